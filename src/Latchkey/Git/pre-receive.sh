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
  # An annotated tag's own message.
  if [ "$(git cat-file -t "$new")" = tag ]; then
    git cat-file tag "$new" | grep -aoE "$pattern" | sort -u | while read -r token; do
      printf '%s\t%s\t%s\n' "$new" "(tag message)" "$token" >> "$found"
    done
    [ "${PIPESTATUS[0]}" = 0 ] || refuse
  fi
  # Commit messages.
  git rev-list "$new" --not --all | while read -r commit; do
    git cat-file commit "$commit" | grep -aoE "$pattern" | sort -u | while read -r token; do
      printf '%s\t%s\t%s\n' "$commit" "(commit message)" "$token" >> "$found"
    done
    [ "${PIPESTATUS[0]}" = 0 ] || exit 1
  done || refuse
  # Every blob added or changed by those commits, against each parent of a merge too.
  git log -m --format='commit %H' --raw --no-abbrev --no-renames -r --diff-filter=AMT "$new" --not --all |
  while IFS= read -r line; do
    case "$line" in
      "commit "*) commit=${line#commit } ;;
      :*)
        meta=${line%%	*}
        path=${line#*	}
        blob=$(echo "$meta" | cut -d' ' -f4)
        git cat-file blob "$blob" | grep -aoE "$pattern" | sort -u | while read -r token; do
          printf '%s\t%s\t%s\n' "$commit" "$path" "$token" >> "$found"
        done
        [ "${PIPESTATUS[0]}" = 0 ] || exit 1 ;;
    esac
  done || refuse
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
