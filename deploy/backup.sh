#!/usr/bin/env bash
# Backs up a Latchkey installation while it runs:
#
#   deploy/backup.sh DATA_DIR BACKUP_DIR
#
# 1. the database: SQLite's online backup of DATA_DIR/latchkey.db (needs the sqlite3 program), or,
#    when LATCHKEY_PG_URL is set (production mode), pg_dump of that PostgreSQL database (keep the
#    password out of the URL, where `ps` shows it: use ~/.pgpass or PGPASSFILE);
# 2. the token key DATA_DIR/token-hmac.key (without it no token can be checked: keep the backup private);
# 3. the repositories, DATA_DIR/repositories, as a tar file: in each repository the refs before the
#    objects, so every ref in the copy points at objects the copy holds;
# 4. the Git LFS objects, DATA_DIR/lfs, as lfs.tar (restore.sh checks each against its SHA-256).
# The database goes first: a repository created during the backup is then at worst an orphan folder,
# and a push during the copy at worst missing from it.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATA_DIR BACKUP_DIR" >&2; exit 2; }
data="$1"; out="$2"
[ -d "$data/repositories" ] || { echo "$data does not look like a Latchkey data directory (no repositories/)" >&2; exit 1; }
umask 077
mkdir -p "$out"

if [ -n "${LATCHKEY_PG_URL:-}" ]; then
  pg_dump --format=custom --no-owner --file "$out/latchkey.pgdump" "$LATCHKEY_PG_URL"
elif [ -f "$data/latchkey.db" ]; then
  # sqlite3 would create a missing database: the file must exist, and is opened read-only. The copy
  # is named relative to the backup folder, so no path has to be quoted inside sqlite3's command.
  database="$(cd "$data" && pwd)/latchkey.db"
  ( cd "$out" && sqlite3 -readonly "$database" ".backup latchkey.db" )
else
  echo "$data holds no latchkey.db: for PostgreSQL set LATCHKEY_PG_URL" >&2
  exit 1
fi
if [ -f "$data/token-hmac.key" ]; then
  cp -p "$data/token-hmac.key" "$out/token-hmac.key"
fi
# Files that change while they are read (a push landing) are taken as they are; tar says so with exit 1.
set +e
( cd "$data" && { find repositories -path '*/objects' -prune -o -type f -print; find repositories -path '*/objects/*' -type f -print; } ) \
  | tar -C "$data" --warning=no-file-changed --ignore-failed-read --no-recursion -cf "$out/repositories.tar" -T -
status=$?
set -e
[ "$status" -le 1 ] || { echo "tar failed ($status)" >&2; exit 1; }
# Git LFS objects never change once stored (their name is their SHA-256): after the database, so
# every object it names is already in place; uploads still arriving (lfs/incoming) are left out.
if [ -d "$data/lfs" ]; then
  set +e
  ( cd "$data" && find lfs -path lfs/incoming -prune -o -type f -print ) \
    | tar -C "$data" --warning=no-file-changed --ignore-failed-read --no-recursion -cf "$out/lfs.tar" -T -
  status=$?
  set -e
  [ "$status" -le 1 ] || { echo "tar of lfs/ failed ($status)" >&2; exit 1; }
fi
echo "Backed up $data to $out"
