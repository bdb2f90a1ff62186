#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into a new, empty data directory (stop the server first):
#
#   deploy/restore.sh BACKUP_DIR DATA_DIR
#
# With LATCHKEY_PG_URL set, the database goes back into that (empty) PostgreSQL database with pg_restore
# (keep the password in ~/.pgpass or PGPASSFILE, not in the URL, where `ps` shows it).
# Then start the server on DATA_DIR: tokens, sessions' keys, accounts and repositories are as backed up.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BACKUP_DIR DATA_DIR" >&2; exit 2; }
backup="$1"; data="$2"
[ -f "$backup/repositories.tar" ] || { echo "$backup holds no repositories.tar: not a Latchkey backup" >&2; exit 1; }
if [ -e "$data" ] && [ -n "$(ls -A "$data")" ]; then
  echo "$data is not empty: restore into a new directory" >&2; exit 1
fi
umask 077
mkdir -p "$data"
chmod 700 "$data"

if [ -n "${LATCHKEY_PG_URL:-}" ]; then
  pg_restore --no-owner --exit-on-error --dbname "$LATCHKEY_PG_URL" "$backup/latchkey.pgdump"
else
  cp "$backup/latchkey.db" "$data/latchkey.db"
fi
if [ -f "$backup/token-hmac.key" ]; then
  cp -p "$backup/token-hmac.key" "$data/token-hmac.key"
fi
tar -C "$data" -xf "$backup/repositories.tar"
# Everything git wrote is checked before anyone relies on it.
find "$data/repositories" -name '*.git' -type d -prune | while read -r repository; do
  git --git-dir "$repository" fsck --no-progress --no-dangling >/dev/null || { echo "git fsck failed for $repository" >&2; exit 1; }
done
if [ -f "$backup/lfs.tar" ]; then
  tar -C "$data" -xf "$backup/lfs.tar"
  find "$data/lfs" -type f | while read -r object; do
    [ "$(sha256sum < "$object" | cut -d' ' -f1)" = "$(basename "$object")" ] || { echo "Git LFS object $object is damaged" >&2; exit 1; }
  done
fi
echo "Restored $backup into $data"
