#!/usr/bin/env bash
# clones.sh URL DEST N: N bare clones of URL at once into DEST/1..N; exits with the number that failed.
url=$1 dest=$2 n=$3
mkdir -p "$dest"
pids=()
for ((i = 1; i <= n; i++)); do
    git clone -q --bare "$url" "$dest/$i" &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
    wait "$pid" || failed=$((failed + 1))
done
exit "$failed"
