#!/bin/bash
# Runs once, when the primary's data directory is first made (the postgres image runs
# /docker-entrypoint-initdb.d/*.sh): the role the standby replicates as, its slot (WAL is kept
# for it while it is away, up to max_slot_wal_keep_size), and the pg_hba line that lets it in.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot('replica');
SQL

echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
