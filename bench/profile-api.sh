#!/usr/bin/env bash
# Where GET /api/v3/user spends its CPU: perf (cpu-clock samples with call graphs) on the Latchkey
# process while wrk holds 64 connections, with .NET's perf map so JIT-compiled frames have names.
#
#   bench/profile-api.sh OUT_PREFIX [extra Latchkey options...]
# writes OUT_PREFIX.flat (self time by symbol) and OUT_PREFIX.children (inclusive time by symbol).
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,7p' "$0"; exit 2; }
OUT=$(realpath -m "$1")
shift
source "$(dirname "$0")/lib/common.sh"
ensure_packages wrk:wrk perf:linux-perf
bench_workdir
build_latchkey
# Named frames for JIT-compiled code; W^X off so perf sees that code at the addresses the map names.
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
PORT=$(free_port)
start_latchkey "$PORT" "$BENCH_WORK/data" --Bench:HelloWorld=true --Api:UserLimit=2000000000 "$@"
URL=http://127.0.0.1:$PORT/api/v3/user
TOKEN=$(latchkey_token "http://127.0.0.1:$PORT" bench user)
say "warming up for 8 s, then 20 s of samples under 64 connections"
wrk -t2 -c64 -d8s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null
wrk -t2 -c64 -d25s --latency -H "Authorization: Bearer $TOKEN" "$URL" >"$BENCH_WORK/wrk.txt" &
WRK=$!
sleep 2
perf record -F 499 -e cpu-clock -g -p "$LATCHKEY_PID" -o "$BENCH_WORK/perf.data" -- sleep 20 2>/dev/null
while kill -0 "$WRK" 2>/dev/null; do sleep 0.5; done
cat "$BENCH_WORK/wrk.txt"
perf report -i "$BENCH_WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -80 >"$OUT.flat" || true
perf report -i "$BENCH_WORK/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -300 >"$OUT.children" || true
perf report -i "$BENCH_WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' >"$OUT.dso" || true
rm -f "/tmp/perf-$LATCHKEY_PID.map"
say "wrote $OUT.flat, $OUT.children and $OUT.dso"
