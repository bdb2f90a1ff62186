#!/usr/bin/env bash
# Git over HTTP, Latchkey against the reference (git http-backend behind nginx + fcgiwrap), side by
# side in one run: interleaved rounds of bare clone, clone with checkout, fetch of 10 new commits,
# push of the whole repository into an empty one, 8 concurrent bare clones, and (--ops fleet) 20
# simultaneous bare clones of one commit, a CI fleet after a push. See bench/README.md.
#
#   bench/git.sh [--small] [--shape default|game|deep] [--rounds N] [--ops bare,checkout,fetch,push,concurrent,fleet]
#                [--huge-push] [--no-push-protection] [--source REPO.git] [--out FILE.jsonl] [--keep]
# --shape picks make-repo.py's repository shape; --no-push-protection runs Latchkey with
# Git:PushProtection=false, so a push run with and one without it give push protection's cost.
# --source takes a repository make-repo.py already made (same shape and size) instead of generating
# it again: the deep shape takes minutes to generate, the same every time.
set -euo pipefail

ROUNDS=5
WARM_UPS=40
SIZE=""
SHAPE=default
NO_PROTECTION=""
SOURCE=""
OPS="bare,checkout,fetch,push,concurrent"
HUGE_PUSH=""
OUT=""
while (($#)); do
    case $1 in
        --small) SIZE=--small ;;
        --shape) SHAPE=$2; shift ;;
        --no-push-protection) NO_PROTECTION=--Git:PushProtection=false ;;
        --source) SOURCE=$(realpath "$2"); shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --ops) OPS=$2; shift ;;
        --huge-push) HUGE_PUSH=1 ;;
        --out) OUT=$(realpath -m "$2"); shift ;;
        --keep) BENCH_KEEP=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

source "$(dirname "$0")/lib/common.sh"
source "$BENCH_DIR/lib/reference.sh"
ensure_packages nginx:nginx fcgiwrap:fcgiwrap curl:curl python3:python3
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed"
bench_workdir
W=$BENCH_WORK
RESULTS=${OUT:-$W/results.jsonl}
: >"$RESULTS"
MEASURE=(python3 "$BENCH_DIR/lib/measure.py" --out "$RESULTS")

if [[ -n $SOURCE ]]; then
    say "copying the test repository from $SOURCE (taken to be shape $SHAPE ${SIZE:-(full size)})"
    cp -a "$SOURCE" "$W/source.git"
else
    say "generating the test repository, shape $SHAPE ${SIZE:-(full size)}"
    python3 "$BENCH_DIR/make-repo.py" --shape "$SHAPE" $SIZE "$W/source.git"
fi
HEAD=$(git -C "$W/source.git" rev-parse main)
BASE=$(git -C "$W/source.git" rev-parse main~10)
# The fetch starts from a clone that lacks the last ten commits.
git -C "$W/source.git" branch -f base "$BASE"
git clone -q --bare --no-local --single-branch -b base "$W/source.git" "$W/fetch-base.git"
git -C "$W/fetch-base.git" branch -m base main
git -C "$W/source.git" branch -D -q base

build_latchkey

REF_PORT=$(free_port)
LK_PORT=$(free_port)
while [[ $LK_PORT == "$REF_PORT" ]]; do LK_PORT=$(free_port); done
say "starting the reference on 127.0.0.1:$REF_PORT and Latchkey on 127.0.0.1:$LK_PORT"
start_reference "$REF_PORT" "$W/ref/repos" "$W/ref"
# LATCHKEY_BENCH_ARGS: settings for this run, e.g. "--Git:PackCacheSeconds=0" to measure without the pack cache.
# Maintenance off: the tags pushed before each round (below) would otherwise count as pushes and
# start a background repack of the test repository in the middle of a measurement (bench/maintenance.sh
# measures maintenance on its own).
start_latchkey "$LK_PORT" "$W/lk/data" --Git:Maintenance=false ${LATCHKEY_BENCH_ARGS:-} $NO_PROTECTION
LK=http://127.0.0.1:$LK_PORT
REF=http://127.0.0.1:$REF_PORT
TOKEN=$(latchkey_token "$LK" bench repo delete_repo user)
[[ $TOKEN == lkp_* ]] || die "could not get a token from Latchkey (see $W/lk/latchkey-$LK_PORT.log)"

# The client's git configuration: nobody's personal settings; the token goes to Latchkey on every
# request (as CI systems send it), so each request pays for a token check.
export GIT_CONFIG_GLOBAL=$W/client.gitconfig
git config --file "$GIT_CONFIG_GLOBAL" protocol.version 2
git config --file "$GIT_CONFIG_GLOBAL" "http.$LK/.extraHeader" "Authorization: Basic $(printf 'bench:%s' "$TOKEN" | base64 -w0)"

lk_create() { # name
    local status
    status=$(latchkey_api "$TOKEN" POST "$LK/api/v3/user/repos" "{\"name\":\"$1\",\"private\":true}")
    [[ $status == 201 ]] || die "creating $1 in Latchkey answered $status: $(cat "$W/api.out")"
}
lk_delete() { latchkey_api "$TOKEN" DELETE "$LK/api/v3/repos/bench/$1" >/dev/null; }

say "importing the repository: a push into Latchkey, a push into a bare repository for the reference"
lk_create test
start=$(date +%s.%N)
git -C "$W/source.git" push -q "$LK/bench/test.git" main
say "  push into Latchkey took $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
reference_init_repo "$W/ref/repos" test.git
git -C "$W/source.git" push -q "$W/ref/repos/test.git" main
say "  packs: reference $(du -sk "$W/ref/repos/test.git/objects" | cut -f1) KiB, Latchkey $(du -sk "$W/lk/data/repositories" | cut -f1) KiB (all repositories)"

# Both servers warmed as a server that has been up a while is: 40 pushes and clones of a one-commit
# repository. Latchkey's JIT compiles a method again, optimized, after about 30 calls; with one
# warm-up round alone that recompiling landed in the measured rounds (perf during a game-shape clone
# after round 0: a fifth of Latchkey's samples in the JIT, 3 % after this warm-up).
say "warming both servers: 40 pushes and bare clones of a small repository"
git init -q "$W/warm-source"
git -C "$W/warm-source" -c user.name=bench -c user.email=bench@example.test commit -q --allow-empty -m warm
lk_create warm
reference_init_repo "$W/ref/repos" warm.git
for ((i = 0; i < WARM_UPS; i++)); do
    for url in "$LK/bench/warm.git" "$REF/warm.git"; do
        git -C "$W/warm-source" push -q "$url" "HEAD:refs/tags/warm-$i"
        git clone -q --bare "$url" "$W/warm-clone"
        rm -rf "$W/warm-clone"
    done
done

LK_ROOTS=$LATCHKEY_PID
REF_ROOTS=$NGINX_PID,$FCGIWRAP_PID
if [[ -z $LATCHKEY_CGROUP || -z $REFERENCE_CGROUP ]]; then
    LATCHKEY_CGROUP="" REFERENCE_CGROUP=""
    say "WARNING: no cgroups for CPU accounting (not root?): server CPU comes from /proc and leaves out"
    say "         the reference's CGI processes (fcgiwrap never waits for them): its CPU is undercounted"
fi
sleep 1

url_of() { [[ $1 == latchkey ]] && echo "$LK/bench/$2.git" || echo "$REF/$2.git"; }
roots_of() { [[ $1 == latchkey ]] && echo "$LK_ROOTS" || echo "$REF_ROOTS"; }
cgroup_args() { # side: --cgroup DIR when the servers run in CPU-accounting cgroups
    local cg
    [[ $1 == latchkey ]] && cg=$LATCHKEY_CGROUP || cg=$REFERENCE_CGROUP
    [[ -n $cg ]] && echo "--cgroup $cg" || true
}

run_op() { # op side round
    local op=$1 side=$2 round=$3
    local url dest=$W/client/$op-$side-$round
    url=$(url_of "$side" test)
    rm -rf "$W/client"
    mkdir -p "$W/client"
    local m=("${MEASURE[@]}" --op "$op" --side "$side" --round "$round" --roots "$(roots_of "$side")" $(cgroup_args "$side"))
    # A new tag on the commit before each fetching op (not measured, on both sides): the ref state
    # changes, so Latchkey's fetch cache cannot answer a round with an answer an earlier round made.
    # Each measured fetch costs what a first fetch after a push costs; in a fleet the first clone
    # generates the answer and the other 19 share it.
    [[ $op == push ]] || git -C "$W/source.git" push -q "$url" "$HEAD:refs/tags/bench-$op-$round"
    case $op in
        bare)
            "${m[@]}" --verify "[ \"\$(git -C '$dest' rev-parse main)\" = $HEAD ]" -- git clone -q --bare "$url" "$dest" ;;
        checkout)
            "${m[@]}" --verify "[ \"\$(git -C '$dest' rev-parse HEAD)\" = $HEAD ] && [ -z \"\$(git -C '$dest' status --porcelain)\" ]" -- git clone -q "$url" "$dest" ;;
        fetch)
            cp -al "$W/fetch-base.git" "$dest"
            "${m[@]}" --verify "[ \"\$(git -C '$dest' rev-parse main)\" = $HEAD ]" -- git -C "$dest" fetch -q "$url" +refs/heads/main:refs/heads/main ;;
        push)
            local name=push-$round-$side
            if [[ $side == latchkey ]]; then lk_create "$name"; else reference_init_repo "$W/ref/repos" "$name.git"; fi
            url=$(url_of "$side" "$name")
            "${m[@]}" --verify "[ \"\$(git ls-remote '$url' refs/heads/main | cut -f1)\" = $HEAD ]" -- git -C "$W/source.git" push -q "$url" main
            if [[ $side == latchkey ]]; then lk_delete "$name"; else rm -rf "$W/ref/repos/$name.git"; fi ;;
        concurrent)
            "${m[@]}" --verify "for i in 1 2 3 4 5 6 7 8; do [ \"\$(git -C '$dest'/\$i rev-parse main)\" = $HEAD ] || exit 1; done" \
                -- bash "$BENCH_DIR/lib/clones.sh" "$url" "$dest" 8 ;;
        fleet)
            "${m[@]}" --verify "for i in \$(seq 1 20); do [ \"\$(git -C '$dest'/\$i rev-parse main)\" = $HEAD ] || exit 1; done" \
                -- bash "$BENCH_DIR/lib/clones.sh" "$url" "$dest" 20 ;;
        *) die "unknown operation $op" ;;
    esac
    rm -rf "$W/client"
}

IFS=, read -r -a OP_LIST <<<"$OPS"
say "round 0 is a warm-up; then $ROUNDS measured rounds, each side first in every other round"
for ((round = 0; round <= ROUNDS; round++)); do
    if ((round % 2 == 0)); then sides=(reference latchkey); else sides=(latchkey reference); fi
    for op in "${OP_LIST[@]}"; do
        for side in "${sides[@]}"; do
            run_op "$op" "$side" "$round"
        done
    done
    say "round $round done"
done

if [[ -n $HUGE_PUSH ]]; then
    say "generating the ~1 GiB repository for the RSS check"
    python3 "$BENCH_DIR/make-repo.py" --huge "$W/huge.git"
    for side in reference latchkey; do
        if [[ $side == latchkey ]]; then lk_create huge; else reference_init_repo "$W/ref/repos" huge.git; fi
        "${MEASURE[@]}" --op push-1g --side "$side" --round 1 --roots "$(roots_of "$side")" $(cgroup_args "$side") \
            -- git -C "$W/huge.git" push -q "$(url_of "$side" huge)" main
        if [[ $side == latchkey ]]; then lk_delete huge; else rm -rf "$W/ref/repos/huge.git"; fi
    done
fi

echo
echo "Test repository: $(git -C "$W/source.git" rev-list --count main) commits, main = $HEAD, pack $(du -sh "$W/source.git/objects/pack" | cut -f1)"
python3 "$BENCH_DIR/lib/report.py" "$RESULTS"
