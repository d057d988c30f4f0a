#!/bin/bash
# The hot standby's entrypoint: on first start (no PG_VERSION in the data directory) a base
# backup of the primary, streaming the WAL made meanwhile (-X stream), with the settings that
# make it a standby of it (-R: standby.signal and primary_conninfo, on the primary's slot).
# Then the image's own entrypoint starts postgres on it; later starts go straight there.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:?the host name of the primary}"
: "${REPLICATION_PASSWORD:?the password of the replicator role}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h "$PRIMARY_HOST" -p 5432; do
        echo "waiting for the primary at $PRIMARY_HOST:5432"
        sleep 1
    done
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" \
        -R -X stream -S replica -c fast --no-password --progress
fi

exec docker-entrypoint.sh "$@"
