#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a loopback port for the test suite and prints the
# connection string the tests read from LATCHKEY_TEST_POSTGRES:
#
#   export LATCHKEY_TEST_POSTGRES="$(bash tests/postgres.sh start)"
#   dotnet test Latchkey.slnx
#   bash tests/postgres.sh stop
#
# Needs Debian's `postgresql` package. As root, the cluster runs as the unprivileged `postgres` user.
set -euo pipefail

port="${LATCHKEY_PG_PORT:-55432}"
dir="${LATCHKEY_PG_DIR:-/tmp/latchkey-pg}"
password="latchkey-test"
bin="$( (ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true) | sort -V | tail -1)"
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      pwfile="$(mktemp)"; echo "$password" > "$pwfile"; chmod 644 "$pwfile"
      as_owner "$bin/initdb" -D "$dir" -U latchkey --auth=scram-sha-256 --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      # A test cluster: durability off for speed, room for many test servers at once.
      as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    fi
    echo "Host=127.0.0.1;Port=$port;Database=postgres;Username=latchkey;Password=$password"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
