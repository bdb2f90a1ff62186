#!/bin/sh
# Latchkey push protection (installed by the server; changes here are overwritten).
# Lists token-shaped strings in the blobs this push adds, hands them to the server, and waits for
# its verdict: a live Latchkey token refuses the whole push before any ref moves.
[ -n "$LATCHKEY_PUSH_SCAN" ] || exit 0
scan="$LATCHKEY_PUSH_SCAN"
verdict="$LATCHKEY_PUSH_VERDICT"
found="$scan.partial"
: > "$found" || exit 1
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  # Every blob added or changed by a commit this push brings, with the commit and the path.
  git log --format='commit %H' --raw --no-abbrev --no-renames -r --diff-filter=AM "$new" --not --all |
  while IFS= read -r line; do
    case "$line" in
      "commit "*) commit=${line#commit } ;;
      :*)
        meta=${line%%	*}
        path=${line#*	}
        blob=$(echo "$meta" | cut -d' ' -f4)
        git cat-file blob "$blob" | grep -aoE 'lk[pf]_[A-Za-z0-9]{36}' | sort -u |
        while read -r token; do
          printf '%s\t%s\t%s\n' "$commit" "$path" "$token" >> "$found"
        done ;;
    esac
  done || exit 1
done
if [ ! -s "$found" ]; then
  rm -f "$found"
  exit 0
fi
mv "$found" "$scan" || exit 1
# Fail closed: no verdict within a minute refuses the push.
tries=0
while [ ! -f "$verdict" ]; do
  tries=$((tries + 1))
  if [ "$tries" -gt 1200 ]; then
    echo "Push protection could not check this push for secrets; it was refused. Try again." >&2
    exit 1
  fi
  sleep 0.05
done
first=$(head -n 1 "$verdict")
tail -n +2 "$verdict" >&2
[ "$first" = "allow" ]
