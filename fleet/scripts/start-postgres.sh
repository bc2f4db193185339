#!/bin/sh
# Installs (if needed) and starts Debian's PostgreSQL 15 in a scratch directory,
# as the unprivileged `postgres` user, on 127.0.0.1:$PGPORT (default 55432), with
# a database for the fleet tests. Prints the URL on the last line of stdout:
#   postgres://outpost@127.0.0.1:55432/outpost_fleet
# Usage: fleet/scripts/start-postgres.sh [scratch-dir]    (stop: pg_ctl -D DIR/data stop)
# Idempotent: a server already running in the scratch dir is reused.
set -eu
DIR=${1:-${OUTPOST_PG_DIR:-/tmp/outpost-fleet-pg}}
PORT=${PGPORT:-55432}
DB=outpost_fleet
USER_NAME=outpost

if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo "installing postgresql (apt-get)..." >&2
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
    else
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
    fi
fi
BIN=/usr/lib/postgresql/15/bin

# Run as the postgres user (PostgreSQL refuses to run as root).
as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
    else "$@"; fi
}

mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2
fi
if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c max_connections=200" start >&2
fi
as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$USER_NAME'" | grep -q 1 \
    || as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE ROLE $USER_NAME LOGIN CREATEDB" >&2
as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
    || as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE $DB OWNER $USER_NAME" >&2
# Databases left by earlier test runs (each test creates fleet_test_<random>).
for old in $(as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'fleet_test_%'"); do
    as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $old" >&2 || true
done
echo "postgres://$USER_NAME@127.0.0.1:$PORT/$DB"
