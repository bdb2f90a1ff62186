#!/usr/bin/env bash
# Backs up a Latchkey installation while it runs:
#
#   deploy/backup.sh DATA_DIR BACKUP_DIR
#
# 1. the database: SQLite's online backup of DATA_DIR/latchkey.db (needs the sqlite3 program), or,
#    when LATCHKEY_PG_URL is set (production mode), pg_dump of that PostgreSQL database;
# 2. the token key DATA_DIR/token-hmac.key (without it no token can be checked: keep the backup private);
# 3. the repositories, DATA_DIR/repositories, as a tar file.
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
else
  sqlite3 "$data/latchkey.db" ".backup '$out/latchkey.db'"
fi
if [ -f "$data/token-hmac.key" ]; then
  cp -p "$data/token-hmac.key" "$out/token-hmac.key"
fi
tar -C "$data" -cf "$out/repositories.tar" repositories
echo "Backed up $data to $out"
