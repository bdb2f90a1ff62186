#!/usr/bin/env bash
# Repository maintenance: what a clone costs git on the server for a repository stored as pushed
# (issue #7's test repository, make-repo.py, pushed in 20 pushes of 100 commits) against the same
# repository after Latchkey's maintenance (RepositoryMaintenance: pack-refs, geometric repack with a
# multi-pack index and its bitmap, split commit-graph) and after a full `repack -adb`. Measures the
# pack-objects that upload-pack runs for a full clone (user and system CPU, wall), three times each,
# and the maintenance itself once. git alone, no server: the server's own share (streaming) does not
# change with the repository's shape.
#
#   bench/maintenance.sh [WORKDIR]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
W=${1:-$(mktemp -d /tmp/latchkey-bench-maintenance.XXXXXX)}
mkdir -p "$W"
cd "$W"
rm -rf source.git pushed.git
python3 "$BENCH_DIR/make-repo.py" source.git > make.log 2>&1
git init -q --bare pushed.git
for c in $(git -C source.git rev-list --reverse main | awk 'NR%100==0') $(git -C source.git rev-parse main); do
    git -C source.git push -q ../pushed.git -f "$c:refs/heads/main"
done
head=$(git -C pushed.git rev-parse main)
clone_cpu() {
    for _ in 1 2 3; do
        /usr/bin/time -f "  user %U s, sys %S s, wall %e s" sh -c \
            "echo $head | git -C pushed.git pack-objects --revs --stdout --thin --delta-base-offset --include-tag -q > /dev/null" 2>&1 | tail -1
    done
}
echo "as pushed: $(ls pushed.git/objects/pack/*.pack | wc -l) packs"
clone_cpu
/usr/bin/time -f "maintenance: user %U s, sys %S s, wall %e s" sh -c \
    'git -C pushed.git pack-refs --all && git -C pushed.git repack -d -q --geometric=2 --write-midx --write-bitmap-index && git -C pushed.git commit-graph write --reachable --split --no-progress'
echo "maintained: $(ls pushed.git/objects/pack/*.pack | wc -l) pack(s), $(ls pushed.git/objects/pack/ | grep -c bitmap) bitmap(s)"
clone_cpu
git -C pushed.git repack -adb -q
echo "repack -adb (the reference's shape: one pack, its bitmap):"
clone_cpu
