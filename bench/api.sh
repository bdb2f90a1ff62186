#!/usr/bin/env bash
# The cost of a token check: wrk against GET /api/v3/user with a token and against GET /bench/hello
# (the same server build, the same run, Bench:HelloWorld=true), with 1 and 64 connections, in
# interleaved rounds. See bench/README.md.
#
#   bench/api.sh [--rounds N] [--duration SECONDS] [--out FILE.jsonl] [--keep]
# Extra Latchkey options (e.g. --Logging:LogLevel:Default=Warning) go in BENCH_LATCHKEY_ARGS.
set -euo pipefail

ROUNDS=3
DURATION=10
OUT=""
while (($#)); do
    case $1 in
        --rounds) ROUNDS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --out) OUT=$(realpath -m "$2"); shift ;;
        --keep) BENCH_KEEP=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

source "$(dirname "$0")/lib/common.sh"
ensure_packages wrk:wrk curl:curl python3:python3
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed"
bench_workdir
W=$BENCH_WORK
RESULTS=${OUT:-$W/api.jsonl}
: >"$RESULTS"

build_latchkey
PORT=$(free_port)
# The API's hourly rate limit (5,000 per user) would turn most of a wrk run into 403s: lifted here.
# shellcheck disable=SC2086
start_latchkey "$PORT" "$W/data" --Bench:HelloWorld=true --Api:UserLimit=2000000000 ${BENCH_LATCHKEY_ARGS:-}
BASE=http://127.0.0.1:$PORT
TOKEN=$(latchkey_token "$BASE" bench user)
[[ $TOKEN == lkp_* ]] || die "could not get a token from Latchkey"
[[ $(curl -s "$BASE/bench/hello") == "Hello World!" ]] || die "GET /bench/hello did not answer Hello World!"
status=$(latchkey_api "$TOKEN" GET "$BASE/api/v3/user")
[[ $status == 200 ]] || die "GET /api/v3/user answered $status: $(cat "$W/api.out")"

run() { # endpoint connections round
    local op=$1 c=$2 round=$3 url threads=1 out=$W/wrk-$1-$2-$3.txt
    [[ $op == hello ]] && url=$BASE/bench/hello || url=$BASE/api/v3/user
    ((c > 1)) && threads=2
    local duration=$DURATION
    ((round == 0)) && duration=5
    # /proc is exact here: Latchkey answers these requests without starting any process.
    python3 "$BENCH_DIR/lib/measure.py" --out "$RESULTS" --op "$op" --side "c$c" --round "$round" --roots "$LATCHKEY_PID" \
        --wrk-output "$out" -- bash -c "wrk -t$threads -c$c -d${duration}s --latency -H 'Authorization: Bearer $TOKEN' '$url' >'$out'"
}

say "round 0 is a warm-up; then $ROUNDS rounds of ${DURATION}s runs, each endpoint first in every other round"
for ((round = 0; round <= ROUNDS; round++)); do
    if ((round % 2 == 0)); then ops=(hello user); else ops=(user hello); fi
    for c in 1 64; do
        for op in "${ops[@]}"; do
            run "$op" "$c" "$round"
        done
    done
    say "round $round done"
done
echo
python3 "$BENCH_DIR/lib/api_report.py" "$RESULTS"
