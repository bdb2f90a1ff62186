#!/bin/bash
# Latchkey push protection (installed by the server; changes here are overwritten).
# Lists token-shaped strings in what this push adds (ref names, file contents, merges included, and
# commit messages), hands them to the server, and waits for its verdict: a live Latchkey token refuses
# the whole push before any ref moves. Any failure here refuses the push too (fail closed).
set -o pipefail
[ -n "$LATCHKEY_PUSH_SCAN" ] || exit 0
scan="$LATCHKEY_PUSH_SCAN"
verdict="$LATCHKEY_PUSH_VERDICT"
found="$scan.partial"
pattern='lk[pf]_[A-Za-z0-9]{36}'
# Working files sit beside the scan file, in the folder the server removes after the push. They hold
# candidate tokens, so they go as soon as this hook ends, however it ends (the server may be gone).
work=${scan%/*}
remove_work() { rm -f -- "$found" "$scan" "$verdict" "$work"/*; }
cleanup() {
  [ -n "$watchdog" ] && kill -KILL "$watchdog" 2>/dev/null
  # Everything in this push's own folder, the server's half-written verdict included (the server may be gone).
  remove_work
}
trap cleanup EXIT
# PIPE too: once receive-pack is gone, a message to it would otherwise end this hook before its cleanup.
trap 'exit 1' TERM INT HUP PIPE
refuse() {
  echo "Push protection could not check this push for secrets; it was refused. Try again." >&2
  exit 1
}
# Is the server that started this push still alive? The same process, not merely the same process id:
# where /proc has it, the start time the server passed must match (ids are reused; start times are
# not), and a zombie counts as dead. Elsewhere kill -0. No server named: a hand-run hook, alive.
server_alive() {
  [ -n "$LATCHKEY_SERVER_PID" ] || return 0
  if [ -n "$LATCHKEY_SERVER_START" ] && [ -d /proc/self ]; then
    local stat fields
    { read -r stat < "/proc/$LATCHKEY_SERVER_PID/stat"; } 2>/dev/null || return 1
    read -ra fields <<< "${stat##*) }"
    [ "${fields[0]}" != Z ] && [ "${fields[0]}" != X ] && [ "${fields[19]}" = "$LATCHKEY_SERVER_START" ]
  else
    kill -0 "$LATCHKEY_SERVER_PID" 2>/dev/null
  fi
}
# When the server dies mid-push nobody will read a verdict or a report. Reading and writing git
# notice it (their pipes close), this hook would not: the watchdog ends the push's whole process
# group (receive-pack, this hook, its git and grep) within a fifth of a second, then (itself immune)
# waits for this hook to be gone and removes the work files again, whatever way the hook ended. Only
# when the server started receive-pack in a session of its own: otherwise the group is shared with
# the server's own parent (a shell, a service manager, a test runner), which must not be touched.
watchdog=""
if [ -n "$LATCHKEY_SERVER_PID" ] && [ "$LATCHKEY_OWN_SESSION" = 1 ]; then
  hook=$$
  { trap '' TERM
    while server_alive; do sleep 0.2; done
    kill -TERM 0
    # (A few seconds at most: a hook nobody reaps stays a zombie, which kill -0 still finds.)
    for _ in {1..60}; do kill -0 "$hook" || break; sleep 0.05; done
    remove_work
  } </dev/null >/dev/null 2>&1 &
  watchdog=$!
  # Out of the job table: its end (killed by the cleanup) is not reported on the pusher's terminal.
  disown "$watchdog"
fi
: > "$found" || refuse
zero=0000000000000000000000000000000000000000
updates=$(cat) || refuse
# Ref names first: a token as a branch or tag name would be shown to every reader of the repository.
# Deleting such a ref is always allowed.
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  case "$ref" in
    refs/heads/*) kind="(branch name)" ;;
    refs/tags/*) kind="(tag name)" ;;
    *) kind="(ref name)" ;;
  esac
  rest=$ref
  while [[ $rest =~ $pattern ]]; do
    printf '%s\t%s\t%s\n' "$new" "$kind" "${BASH_REMATCH[0]}" >> "$found" || refuse
    rest=${rest#*"${BASH_REMATCH[0]}"}
  done
done <<< "$updates"
# Every object this push adds (commits, tags, trees, blobs), read once, in two halves at once, each
# through git cat-file: usually no token-shaped string turns up at all. receive-pack keeps what the
# push sent in a quarantine object directory until the hook allows it, so listing that directory
# without the repository's own objects lists exactly the new objects, with no history walk.
# Scanned is what GitHub's secret scanning scans: text. Blobs larger than LATCHKEY_PUSH_SCAN_MAX_BYTES
# (Git:PushScanMaxBytes) are not read at all, and a blob with a NUL byte in its first 8000 bytes
# (git's own test for binary) is skipped after its header.
objects_with_sizes='%(objectname) %(objecttype) %(objectsize)'
if [ -n "$GIT_QUARANTINE_PATH" ] && [ "$GIT_OBJECT_DIRECTORY" = "$GIT_QUARANTINE_PATH" ]; then
  new_objects() { env -u GIT_ALTERNATE_OBJECT_DIRECTORIES git cat-file --batch-all-objects --batch-check="$objects_with_sizes" --unordered; }
else
  # No quarantine (older git): what the updated refs reach that no ref reached before.
  new_objects() {
    while read -r old new ref; do
      [ "$new" = "$zero" ] || printf '%s\n' "$new"
    done <<< "$updates" | git rev-list --objects --stdin --not --all | cut -d' ' -f1 | git cat-file --batch-check="$objects_with_sizes"
  }
fi
new_objects > "$work/objects" || refuse
max_bytes=${LATCHKEY_PUSH_SCAN_MAX_BYTES:-1048576}
# Two halves of about equal cost, each a run of the pack's own order (what --unordered lists) and
# of one kind of object: the first half is the commits, tags and trees, then blobs up to half the
# weight; the second the remaining blobs. Runs keep delta chains within one cat-file and its delta
# base cache: handing out objects in turn made both halves resolve nearly every chain, and trees
# mixed in among blobs pushed bases out of the cache (on a 50,000-commit history, 20 % more CPU).
# An object weighs its size plus 1000 bytes (reading an object costs about that much beyond its bytes).
awk -v max="$max_bytes" -v first="$work/first.list" -v blobs="$work/first-blobs.list" -v second="$work/second.list" '
  NR == FNR { if ($2 != "blob" || $3 <= max) { total += $3 + 1000; if ($2 != "blob") head += $3 + 1000 } next }
  $2 != "blob" { print $1 > first; next }
  $3 <= max { if (head < total / 2) { head += $3 + 1000; print $1 > blobs } else print $1 > second }
' "$work/objects" "$work/objects" || refuse
touch "$work/first.list" "$work/first-blobs.list" "$work/second.list" || refuse
cat "$work/first-blobs.list" >> "$work/first.list" || refuse
# perl is part of every git installation. It reads cat-file's stream object by object: header, body.
scan_part() {
  git cat-file --batch --buffer < "$1" | LC_ALL=C PATTERN="$pattern" perl -e '
    binmode STDIN;
    my $pattern = qr/($ENV{PATTERN})/;
    while (defined(my $header = <STDIN>)) {
      my (undef, $type, $size) = split / /, $header;
      defined $size or exit 3;
      my $body = "";
      read(STDIN, $body, $size + 1) == $size + 1 or exit 4;
      next if $type eq "blob" && index(substr($body, 0, 8000), "\0") >= 0;
      print "$1\n" while $body =~ /$pattern/g;
    }'
}
scan_part "$work/first.list" > "$work/first" &
first=$!
scan_part "$work/second.list" > "$work/second" || refuse
wait "$first" || refuse
candidates=$(sort -u "$work/first" "$work/second") || refuse
rm -f "$work/first" "$work/second"
# Only then: where each candidate is, for the message. A candidate found nowhere in particular
# is still reported (as "this push"): the server judges the token, not the place.
for token in $candidates; do
  located=0
  somewhere=""
  while read -r old new ref; do
    [ "$new" = "$zero" ] && continue
    somewhere=$new
    if [ "$(git cat-file -t "$new")" = tag ] && git cat-file tag "$new" | grep -aqF "$token"; then
      printf '%s\t%s\t%s\n' "$new" "(tag message)" "$token" >> "$found"
      located=1
    fi
    while read -r commit; do
      printf '%s\t%s\t%s\n' "$commit" "(commit message)" "$token" >> "$found"
      located=1
    done < <(git log --format=%H -F --grep="$token" "$new" --not --all)
    commit=""
    while IFS= read -r line; do
      case "$line" in
        "commit "*) commit=${line#commit } ;;
        "") ;;
        *)
          printf '%s\t%s\t%s\n' "$commit" "$line" "$token" >> "$found"
          located=1 ;;
      esac
    done < <(git log -m --format='commit %H' --name-only --no-renames --diff-filter=AMT -S"$token" "$new" --not --all)
  done <<< "$updates"
  if [ "$located" = 0 ]; then
    printf '%s\t%s\t%s\n' "${somewhere:-$zero}" "(this push)" "$token" >> "$found"
  fi
done
[ -s "$found" ] || exit 0
mv "$found" "$scan" || refuse
# No verdict within a minute, or no server any more, refuses the push.
tries=0
while [ ! -f "$verdict" ]; do
  tries=$((tries + 1))
  [ "$tries" -gt 1200 ] && refuse
  server_alive || refuse
  sleep 0.05
done
first=$(head -n 1 "$verdict")
tail -n +2 "$verdict" >&2
[ "$first" = "allow" ]
