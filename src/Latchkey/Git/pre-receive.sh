#!/bin/bash
# Latchkey push protection (installed by the server; changes here are overwritten).
# Lists token-shaped strings in what this push adds (file contents, merges included, and commit
# messages), hands them to the server, and waits for its verdict: a live Latchkey token refuses the
# whole push before any ref moves. Any failure here refuses the push too (fail closed).
set -o pipefail
[ -n "$LATCHKEY_PUSH_SCAN" ] || exit 0
scan="$LATCHKEY_PUSH_SCAN"
verdict="$LATCHKEY_PUSH_VERDICT"
found="$scan.partial"
pattern='lk[pf]_[A-Za-z0-9]{36}'
refuse() {
  echo "Push protection could not check this push for secrets; it was refused. Try again." >&2
  exit 1
}
: > "$found" || refuse
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  # One pass over every object this push adds (commits, tags, trees, blobs) in two processes and a
  # grep, whatever the number of commits or files: usually it finds no token-shaped string at all.
  candidates=$(git rev-list --objects "$new" --not --all | cut -d' ' -f1 | git cat-file --batch |
    { grep -aoE "$pattern" || [ $? = 1 ]; } | sort -u) || refuse
  [ -n "$candidates" ] || continue
  # Only then: where each candidate is, for the message. A candidate found nowhere in particular
  # is still reported (as "this push"): the server judges the token, not the place.
  for token in $candidates; do
    located=0
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
    if [ "$located" = 0 ]; then
      printf '%s\t%s\t%s\n' "$new" "(this push)" "$token" >> "$found"
    fi
  done
done
if [ ! -s "$found" ]; then
  rm -f "$found"
  exit 0
fi
mv "$found" "$scan" || refuse
# No verdict within a minute refuses the push.
tries=0
while [ ! -f "$verdict" ]; do
  tries=$((tries + 1))
  [ "$tries" -gt 1200 ] && refuse
  sleep 0.05
done
first=$(head -n 1 "$verdict")
tail -n +2 "$verdict" >&2
[ "$first" = "allow" ]
