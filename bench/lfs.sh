#!/usr/bin/env bash
# Git LFS transfers, Latchkey against copying the same bytes over the reference nginx, side by side
# in one run: a 1 GiB object of random bytes uploaded with the real git-lfs client
# (`git lfs push --object-id`: batch, PUT, verify) and downloaded into a fresh clone (`git lfs fetch`:
# batch, GET), against `curl -T` (a PUT to nginx's dav module) and `curl -o` (a GET of the file it
# stored); also git-lfs against nginx and curl against Latchkey, which tell the client's share from
# the server's. Interleaved rounds, the order reversed every other round; reports wall time, server
# CPU, and Latchkey's RSS before and its peak during each transfer. See bench/README.md.
#
#   bench/lfs.sh [--rounds N] [--size 1G] [--out FILE.jsonl] [--keep]
set -euo pipefail

ROUNDS=3
SIZE=1G
OUT=""
while (($#)); do
    case $1 in
        --rounds) ROUNDS=$2; shift ;;
        --size) SIZE=$2; shift ;;
        --out) OUT=$(realpath -m "$2"); shift ;;
        --keep) BENCH_KEEP=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

source "$(dirname "$0")/lib/common.sh"
ensure_packages nginx:nginx curl:curl python3:python3 git-lfs:git-lfs
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed"
/usr/sbin/nginx -V 2>&1 | grep -q -- --with-http_dav_module || die "this nginx has no dav module (nginx -V): the reference needs its PUT"
bench_workdir
W=$BENCH_WORK
RESULTS=${OUT:-$W/results.jsonl}
: >"$RESULTS"
MEASURE=(python3 "$BENCH_DIR/lib/measure.py" --out "$RESULTS")
LOG=$W/client.log

# start_reference_files PORT DIR: nginx serving DIR/files, PUT through the dav module (written to
# client_body_temp_path, on the same filesystem, then renamed into place), GET with sendfile as
# Debian's nginx.conf has it; no authentication. For git-lfs, two fixed batch answers for the one
# object ($OID, $BYTES): /lfs-up/objects/batch gives an upload link, /lfs-down/objects/batch a
# download link, both to /lfs/$OID, so the same client runs against nginx with nothing in between
# (no verify action, no authentication). Sets NGINX_PID and REFERENCE_CGROUP.
start_reference_files() {
    local port=$1 dir=$2
    mkdir -p "$dir/tmp" "$dir/files"
    local user_line=""
    [[ $(id -u) -eq 0 ]] && user_line="user root;"
    batch_answer() { # action
        printf '{"transfer":"basic","objects":[{"oid":"%s","size":%s,"authenticated":true,"actions":{"%s":{"href":"http://127.0.0.1:%s/lfs/%s"}}}]}' \
            "$OID" "$BYTES" "$1" "$port" "$OID"
    }
    cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes auto;
error_log $dir/nginx-error.log warn;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
    access_log $dir/nginx-access.log;
    sendfile on;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $dir/files;
        client_max_body_size 0;
        location / {
            dav_methods PUT DELETE;
            create_full_put_path on;
        }
        location = /lfs-up/objects/batch {
            default_type application/vnd.git-lfs+json;
            return 200 '$(batch_answer upload)';
        }
        location = /lfs-down/objects/batch {
            default_type application/vnd.git-lfs+json;
            return 200 '$(batch_answer download)';
        }
    }
}
EOF
    REFERENCE_CGROUP=$(cpu_cgroup reference)
    [[ -n $REFERENCE_CGROUP ]] && BENCH_CGROUPS+=("$REFERENCE_CGROUP")
    spawn "$dir/nginx.log" "$REFERENCE_CGROUP" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    NGINX_PID=$SPAWNED_PID
    wait_http "http://127.0.0.1:$port/" 30
}

say "generating $SIZE of random bytes"
head -c "$SIZE" /dev/urandom >"$W/big.bin"
BYTES=$(stat -c %s "$W/big.bin")
OID=$(sha256sum "$W/big.bin" | cut -d' ' -f1)
start=$(date +%s.%N)
sha256sum "$W/big.bin" >/dev/null
SHA_S=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
say "  $BYTES bytes, SHA-256 $OID (sha256sum of the cached file: $SHA_S s)"

build_latchkey
REF_PORT=$(free_port)
LK_PORT=$(free_port)
while [[ $LK_PORT == "$REF_PORT" ]]; do LK_PORT=$(free_port); done
say "starting the reference (nginx, dav PUT) on 127.0.0.1:$REF_PORT and Latchkey on 127.0.0.1:$LK_PORT"
start_reference_files "$REF_PORT" "$W/ref"
start_latchkey "$LK_PORT" "$W/lk/data"
LK=http://127.0.0.1:$LK_PORT
REF=http://127.0.0.1:$REF_PORT
TOKEN=$(latchkey_token "$LK" bench repo delete_repo)
[[ $TOKEN == lkp_* ]] || die "could not get a token from Latchkey (see $W/lk/latchkey-$LK_PORT.log)"

# The client's configuration: nobody's personal settings; git-lfs's filters (git lfs install); the
# token as the password for Latchkey, from a credential helper, as a person's git gives it to
# git-lfs. Not http.extraHeader as in git.sh: git-lfs adds it to the transfers too, a second
# Authorization header beside the link's, and Latchkey refuses such a transfer (401).
export GIT_CONFIG_GLOBAL=$W/client.gitconfig
git config --file "$GIT_CONFIG_GLOBAL" user.name bench
git config --file "$GIT_CONFIG_GLOBAL" user.email bench@bench.invalid
git config --file "$GIT_CONFIG_GLOBAL" init.defaultBranch main
git config --file "$GIT_CONFIG_GLOBAL" "credential.$LK.helper" "!f() { echo username=bench; echo password=$TOKEN; }; f"
HOME=$W git lfs install --skip-repo >/dev/null

lk_create() { # name
    local status
    status=$(latchkey_api "$TOKEN" POST "$LK/api/v3/user/repos" "{\"name\":\"$1\",\"private\":true}")
    [[ $status == 201 ]] || die "creating $1 in Latchkey answered $status: $(cat "$W/api.out")"
}
lk_delete() { latchkey_api "$TOKEN" DELETE "$LK/api/v3/repos/bench/$1" >/dev/null; }

say "committing the file as an LFS object"
git init -q "$W/src"
git -C "$W/src" lfs track '*.bin' >/dev/null
ln "$W/big.bin" "$W/src/big.bin"
git -C "$W/src" add .gitattributes big.bin
git -C "$W/src" commit -q -m "Add big.bin"
[[ $(git -C "$W/src" lfs ls-files --long | cut -d' ' -f1) == "$OID" ]] || die "git-lfs did not take big.bin as object $OID"
git -C "$W/src" remote add latchkey "$LK/bench/none.git"
LK_OBJECT=$W/lk/data/lfs/${OID:0:2}/${OID:2:2}/$OID

LK_ROOTS=$LATCHKEY_PID
REF_ROOTS=$NGINX_PID
if [[ -z $LATCHKEY_CGROUP || -z $REFERENCE_CGROUP ]]; then
    LATCHKEY_CGROUP="" REFERENCE_CGROUP=""
    say "WARNING: no cgroups for CPU accounting (not root?): server CPU comes from /proc"
fi
roots_of() { [[ $1 == latchkey* ]] && echo "$LK_ROOTS" || echo "$REF_ROOTS"; }
cgroup_args() {
    local cg
    [[ $1 == latchkey* ]] && cg=$LATCHKEY_CGROUP || cg=$REFERENCE_CGROUP
    [[ -n $cg ]] && echo "--cgroup $cg" || true
}

# lk_batch OPERATION REPO ACTION: asks Latchkey's batch API with curl, as git-lfs does, for the object;
# sets LINK_HREF and LINK_AUTH from the answer's ACTION (upload, verify, download).
lk_batch() {
    local answer
    answer=$(curl -sS -f -u "bench:$TOKEN" -H 'Accept: application/vnd.git-lfs+json' -H 'Content-Type: application/vnd.git-lfs+json' \
        --data "{\"operation\":\"$1\",\"transfers\":[\"basic\"],\"objects\":[{\"oid\":\"$OID\",\"size\":$BYTES}]}" \
        "$LK/bench/$2.git/info/lfs/objects/batch") || die "the batch request ($1, $2) failed"
    LINK_HREF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"][0]["actions"][sys.argv[1]]["href"])' "$3" <<<"$answer") \
        || die "no $3 action in the batch answer: $answer"
    LINK_AUTH=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"][0]["actions"][sys.argv[1]]["header"]["Authorization"])' "$3" <<<"$answer")
}

# Each upload goes to a new, empty repository (a new path on the reference) and each download into a
# new clone; what the previous run wrote is flushed to disk first, so no run pays for another's writeback.
run_op() { # op side round
    local op=$1 side=$2 round=$3 name=lfs-$3
    local m=("${MEASURE[@]}" --op "lfs-$op" --side "$side" --round "$round" --roots "$(roots_of "$side")" $(cgroup_args "$side"))
    echo "== $op $side round $round" >>"$LOG"
    case $side-$op in
        latchkey-upload)
            lk_create "$name"
            git -C "$W/src" remote set-url latchkey "$LK/bench/$name.git"
            sync
            "${m[@]}" --verify "cmp -s '$LK_OBJECT' '$W/big.bin'" \
                -- bash -c "git -C '$W/src' lfs push --object-id latchkey $OID >>'$LOG' 2>&1"
            # The commit that points to it, for the download's clone (git-lfs's pre-push finds the object there).
            git -C "$W/src" push -q latchkey main >>"$LOG" 2>&1 ;;
        latchkey-download)
            rm -rf "$W/client"
            GIT_LFS_SKIP_SMUDGE=1 git clone -q "$LK/bench/$name.git" "$W/client" 2>>"$LOG"
            sync
            "${m[@]}" --verify "cmp -s '$W/client/.git/lfs/objects/${OID:0:2}/${OID:2:2}/$OID' '$W/big.bin'" \
                -- bash -c "git -C '$W/client' lfs fetch >>'$LOG' 2>&1"
            rm -rf "$W/client"
            lk_delete "$name" ;;
        # The same transfers without git-lfs: curl on the links of a batch answer, so the server's part
        # alone is compared with nginx's (git-lfs's own start, batch request and hashing left out).
        latchkey-curl-upload)
            lk_create "c$name"
            lk_batch upload "c$name" upload
            sync
            "${m[@]}" --verify "cmp -s '$LK_OBJECT' '$W/big.bin'" \
                -- curl -sS -f -T "$W/big.bin" -o /dev/null -H "Authorization: $LINK_AUTH" -H 'Content-Type: application/octet-stream' "$LINK_HREF"
            ;;
        latchkey-curl-download)
            lk_batch download "c$name" download
            rm -f "$W/download.bin"
            sync
            "${m[@]}" --verify "cmp -s '$W/download.bin' '$W/big.bin'" \
                -- curl -sS -f -o "$W/download.bin" -H "Authorization: $LINK_AUTH" "$LINK_HREF"
            rm -f "$W/download.bin"
            lk_delete "c$name" ;;
        # git-lfs against nginx: the batch answers above, so the client's own part is the same on both sides.
        reference-lfs-upload)
            sync
            "${m[@]}" --verify "cmp -s '$W/ref/files/lfs/$OID' '$W/big.bin'" \
                -- bash -c "git -C '$W/src' -c lfs.url='$REF/lfs-up' lfs push --object-id latchkey $OID >>'$LOG' 2>&1" ;;
        reference-lfs-download)
            rm -rf "$W/client"
            GIT_LFS_SKIP_SMUDGE=1 git clone -q "$W/src" "$W/client" 2>>"$LOG"
            git -C "$W/client" config lfs.url "$REF/lfs-down"
            sync
            "${m[@]}" --verify "cmp -s '$W/client/.git/lfs/objects/${OID:0:2}/${OID:2:2}/$OID' '$W/big.bin'" \
                -- bash -c "git -C '$W/client' lfs fetch >>'$LOG' 2>&1"
            rm -rf "$W/client" "$W/ref/files/lfs" ;;
        reference-upload)
            sync
            "${m[@]}" --verify "cmp -s '$W/ref/files/$name/big.bin' '$W/big.bin'" \
                -- curl -sS -f -T "$W/big.bin" -o /dev/null "$REF/$name/big.bin" ;;
        reference-download)
            rm -f "$W/download.bin"
            sync
            "${m[@]}" --verify "cmp -s '$W/download.bin' '$W/big.bin'" \
                -- curl -sS -f -o "$W/download.bin" "$REF/$name/big.bin"
            rm -rf "$W/download.bin" "$W/ref/files/$name" ;;
    esac
}

say "round 0 is a warm-up; then $ROUNDS measured rounds, each side first in every other round"
for ((round = 0; round <= ROUNDS; round++)); do
    if ((round % 2 == 0)); then sides=(reference reference-lfs latchkey latchkey-curl); else sides=(latchkey-curl latchkey reference-lfs reference); fi
    for op in upload download; do
        for side in "${sides[@]}"; do
            run_op "$op" "$side" "$round"
        done
    done
    say "round $round done (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done

echo
echo "Object: $BYTES bytes of random bytes, SHA-256 $OID; sha256sum of the cached file takes $SHA_S s here"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
python3 "$BENCH_DIR/lib/lfs_report.py" "$RESULTS" --bytes "$BYTES"
