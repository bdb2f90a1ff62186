#!/bin/bash
# Latchkey's pack cache (written by the server; changes here are overwritten). git upload-pack runs it
# as uploadpack.packObjectsHook, given on git's command line so no repository can set it:
#   pack-cache.sh git pack-objects ARGS...   (the wants and haves on stdin, the pack wanted on stdout)
# Identical requests (same repository, same ref state, same arguments, same wants and haves: a CI
# fleet cloning after a push) get one pack, generated once: the first request writes it and streams
# it at the same time; requests that come while it is written follow the file as it grows; later ones
# read the finished file, for LATCHKEY_PACK_CACHE_SECONDS. Each request appends one word to
# KEY.served (miss, follow, hit). Any trouble with the cache falls back to running pack-objects.
set -o pipefail
cache=$LATCHKEY_PACK_CACHE
seconds=${LATCHKEY_PACK_CACHE_SECONDS:-0}
if [ -z "$cache" ] || ! [ "$seconds" -gt 0 ] 2>/dev/null || ! [ -d "$cache" ]; then
  exec "$@"
fi
request=$(mktemp "$cache/request.XXXXXXXX") || exec "$@"
trap 'rm -f "$request"' EXIT
cat > "$request" || exit 1
generate() { "$@" < "$request"; }

# The key: the repository, its refs (a push changes them), the arguments without --progress (which
# only says whether to talk on stderr), and the request itself.
repo=$(git rev-parse --absolute-git-dir) || { generate "$@"; exit; }
refs=$(git for-each-ref --format='%(objectname) %(refname)') || { generate "$@"; exit; }
key=$({
  printf '%s\n%s\n' "$repo" "$refs"
  for arg in "$@"; do [ "$arg" = --progress ] || printf '%s\0' "$arg"; done
  cat "$request"
} | sha256sum) || { generate "$@"; exit; }
key=${key%% *}
pack="$cache/$key.pack"
lock="$cache/$key.lock"
served="$cache/$key.served"

# How this request was answered: in KEY.served, and for the server's metrics in its report file.
record() { echo "$1" >> "$served"; [ -z "$LATCHKEY_PACK_CACHE_REPORT" ] || echo "$1" >> "$LATCHKEY_PACK_CACHE_REPORT"; }
fresh() { [ -f "$pack" ] && [ $(($(date +%s) - $(stat -c %Y "$pack" 2>/dev/null || echo 0))) -lt "$seconds" ]; }
# A finished pack is opened before it is read, so removing it meanwhile cannot cut the read short.
# exec replaces this shell, so its EXIT trap would not run: the request goes first.
serve_finished() { fresh && { exec 3< "$pack"; } 2>/dev/null && record hit && rm -f "$request" && exec cat <&3; }

for attempt in 1 2; do
  serve_finished
  if mkdir "$lock" 2>/dev/null; then
    # The writer: git's pack to the client and to the file. tee -p keeps writing the file when this
    # client hangs up, for those who follow it.
    echo $$ > "$lock/writer.tmp" && mv "$lock/writer.tmp" "$lock/writer"
    # Now and then (whenever a pack is written) what has aged out goes: packs and their records.
    find "$cache" -maxdepth 1 \( -name '*.pack' -o -name '*.served' \) ! -newermt "@$(($(date +%s) - seconds))" -delete 2>/dev/null
    # and what a crash left: requests and locks a day old belong to no live fetch.
    find "$cache" -maxdepth 1 \( -name 'request.*' -o -name 'report.*' -o -name '*.lock' \) -mmin +1440 -exec rm -rf {} + 2>/dev/null
    record miss
    if generate "$@" | tee -p "$lock/pack"; then
      mv "$lock/pack" "$pack"
      status=0
    else
      status=1
    fi
    rm -rf "$lock"
    exit $status
  fi
  # Another request is writing this pack: follow it as it grows, until its writer is done.
  writer=""
  for _ in {1..100}; do
    { read -r writer < "$lock/writer"; } 2>/dev/null && [ -e "$lock/pack" ] && break
    [ -d "$lock" ] || break
    sleep 0.02
  done
  serve_finished
  if [ -n "$writer" ] && kill -0 "$writer" 2>/dev/null && { exec 4< "$lock/pack"; } 2>/dev/null; then
    inode=$(stat -L -c %i /dev/fd/4)
    record follow
    tail -c +1 -s 0.05 --pid="$writer" -f /dev/fd/4 || exit 1
    # Whole only if the writer kept it: the finished pack is the file followed.
    [ "$(stat -c %i "$pack" 2>/dev/null)" = "$inode" ]
    exit
  fi
  # A writer that died (a crash) left its lock: clear it once and try again.
  if [ -n "$writer" ] && ! kill -0 "$writer" 2>/dev/null; then
    rm -rf "$lock"
  fi
done
generate "$@"
