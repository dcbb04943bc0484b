#!/bin/sh
# Initialises $PGDATA on first start from POSTGRES_USER (the superuser,
# default postgres), POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (required)
# and POSTGRES_DB (default: the user's name), then runs PostgreSQL as the
# postgres user, listening on all addresses with password (scram-sha-256)
# authentication for the network.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA
# As the official image: the password may come from a file (a secret mounted read-only).
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE")
fi

as_postgres() {
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

if [ "${1:-postgres}" != "postgres" ]; then
    exec "$@"
fi
shift $(( $# > 0 ? 1 : 0 ))

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"
chmod 2775 /run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "postgres: POSTGRES_PASSWORD must be set to initialise $PGDATA" >&2
        exit 1
    fi
    echo "postgres: initialising $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    # Local socket: the postgres OS user may act as the superuser (for
    # `docker exec ... psql`). Network: any address, with a password.
    {
        echo "local all all peer map=container"
        echo "host  all all 0.0.0.0/0 scram-sha-256"
        echo "host  all all ::/0      scram-sha-256"
    } > "$PGDATA/pg_hba.conf"
    {
        echo "container postgres postgres"
        echo "container postgres $POSTGRES_USER"
        echo "container root     $POSTGRES_USER"
    } > "$PGDATA/pg_ident.conf"
    {
        echo "listen_addresses = '*'"
        echo "unix_socket_directories = '/run/postgresql'"
        echo "password_encryption = scram-sha-256"
    } >> "$PGDATA/postgresql.conf"

    if [ "$POSTGRES_DB" != "postgres" ]; then
        # A one-off server on the socket only, to create the database.
        as_postgres pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses=''" start
        # psql quotes the names itself (:"var"); it interpolates only on stdin.
        echo 'CREATE DATABASE :"db" OWNER :"owner";' \
            | as_postgres psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
                --set db="$POSTGRES_DB" --set owner="$POSTGRES_USER" >/dev/null
        as_postgres pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
    fi
    echo "postgres: initialised"
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" "$@"
