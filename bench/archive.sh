#!/usr/bin/env bash
# Archive streaming: a ~1 GiB repository of incompressible files (make-repo.py --huge, a shorter
# history) is pushed into Latchkey, then its tarball is downloaded as CI does, with curl following
# the API's redirect with the token; reports Latchkey's RSS before the download and its peak during
# it (VmHWM, reset through clear_refs just before). See bench/README.md.
#
#   bench/archive.sh [--format tarball|zipball] [--out FILE.jsonl] [--keep]
set -euo pipefail

FORMAT=tarball
OUT=""
while (($#)); do
    case $1 in
        --format) FORMAT=$2; shift ;;
        --out) OUT=$(realpath -m "$2"); shift ;;
        --keep) BENCH_KEEP=1 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[[ $FORMAT == tarball || $FORMAT == zipball ]] || { echo "--format is tarball or zipball" >&2; exit 2; }

source "$(dirname "$0")/lib/common.sh"
ensure_packages curl:curl python3:python3
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed"
bench_workdir
W=$BENCH_WORK
RESULTS=${OUT:-$W/results.jsonl}
: >"$RESULTS"

say "generating the ~1 GiB repository (300 binaries of 2-5 MiB, 400 commits)"
python3 "$BENCH_DIR/make-repo.py" --huge --commits 400 --files 1000 --dirs 50 "$W/huge.git"
HEAD=$(git -C "$W/huge.git" rev-parse main)

build_latchkey
LK_PORT=$(free_port)
say "starting Latchkey on 127.0.0.1:$LK_PORT"
start_latchkey "$LK_PORT" "$W/lk/data"
LK=http://127.0.0.1:$LK_PORT
TOKEN=$(latchkey_token "$LK" bench repo)
[[ $TOKEN == lkp_* ]] || die "could not get a token from Latchkey (see $W/lk/latchkey-$LK_PORT.log)"
status=$(latchkey_api "$TOKEN" POST "$LK/api/v3/user/repos" '{"name":"huge","private":true}')
[[ $status == 201 ]] || die "creating the repository answered $status: $(cat "$W/api.out")"

say "pushing it into Latchkey"
export GIT_CONFIG_GLOBAL=$W/client.gitconfig
git config --file "$GIT_CONFIG_GLOBAL" "http.$LK/.extraHeader" "Authorization: Basic $(printf 'bench:%s' "$TOKEN" | base64 -w0)"
git -C "$W/huge.git" push -q "$LK/bench/huge.git" main
sleep 1

if [[ $FORMAT == tarball ]]; then EXT=tar.gz; else EXT=zip; fi
PREFIX=bench-huge-${HEAD:0:7}/
# The same bytes as git archive of the commit (a tarball compared inside its gzip).
if [[ $FORMAT == tarball ]]; then
    VERIFY="cmp -s <(git -C '$W/huge.git' archive --format=tar --prefix=$PREFIX $HEAD) <(gzip -dc '$W/archive.$EXT')"
else
    VERIFY="git -C '$W/huge.git' archive --format=zip --prefix=$PREFIX $HEAD | cmp -s - '$W/archive.$EXT'"
fi
say "downloading the $FORMAT (the redirect, then the archive) and measuring"
python3 "$BENCH_DIR/lib/measure.py" --out "$RESULTS" --op "archive-$FORMAT-1g" --side latchkey --round 1 --roots "$LATCHKEY_PID" \
    --verify "$VERIFY" \
    -- curl -sS -f -L -H "Authorization: Bearer $TOKEN" -o "$W/archive.$EXT" "$LK/api/v3/repos/bench/huge/$FORMAT/main"

python3 - "$RESULTS" "$W/archive.$EXT" "$LATCHKEY_PID" <<'PY'
import json, os, sys
record = json.loads(open(sys.argv[1]).read().splitlines()[-1])
pid = sys.argv[3]
size = os.path.getsize(sys.argv[2]) / 1048576
before = record["root_rss_before_mb"][pid]
growth = record["root_growth_mb"][pid]
print(f"\narchive: {size:.0f} MB in {record['wall_s']:.1f} s, byte-identical to git archive of the same commit: {record['verified']}")
print(f"Latchkey RSS before: {before:.0f} MB; peak during the download: {before + growth:.0f} MB "
      f"(growth {growth:.1f} MB, peak/before {(before + growth) / before:.2f}, growth/archive {growth / size:.4f})")
print(f"server tree (Latchkey + git archive) peak RSS: {record['peak_rss_mb']:.0f} MB; server CPU {record['cpu_s']:.1f} s ({record['cpu_source']})")
PY
