#!/usr/bin/env bash
# Install (Debian's packages) and start a PostgreSQL server on loopback for the store tests,
# create the test role and database, and print the URL to use:
#
#     eval "$(.ci/postgres.sh)"      # sets TESTBAN_TEST_POSTGRES_URL for pytest
#
# Idempotent: an installed package, an existing cluster, a running server, the role and the
# database are all reused. Installing and starting need root (CI runs as root); progress goes
# to stderr, only the `export` line to stdout. Settings: TESTBAN_PG_DB, TESTBAN_PG_USER,
# TESTBAN_PG_PASSWORD (defaults testban_test / testban / testban).
set -euo pipefail

DB=${TESTBAN_PG_DB:-testban_test}
ROLE=${TESTBAN_PG_USER:-testban}
PASSWORD=${TESTBAN_PG_PASSWORD:-testban}
log() { echo "postgres.sh: $*" >&2; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and installing it needs root"; exit 1
    fi
    log "installing postgresql from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1 " " $2}' | grep -qx "$VERSION main"; then
    log "creating cluster $VERSION/main"
    pg_createcluster "$VERSION" main >&2
fi
# Loopback only (Debian's default, made explicit).
pg_conftool "$VERSION" main set listen_addresses localhost >&2 || true
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')
STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}')
if [ "$STATUS" != "online" ]; then
    log "starting cluster $VERSION/main on port $PORT"
    pg_ctlcluster "$VERSION" main start >&2
fi
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -X -q -p "$PORT" "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
else
    psql_admin -c "ALTER ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    log "creating database $DB"
    psql_admin -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\"" >&2
fi

echo "export TESTBAN_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
