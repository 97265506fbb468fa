#!/bin/sh
# Run once by the postgres image on a fresh volume (docker-entrypoint-initdb.d):
# the application's role, which owns nothing. Migrations (run as POSTGRES_USER, the
# owner) grant it reads and writes, and only SELECT/INSERT on the journal
# (escrow/migrations/0008_app_role_grants.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=role="${APP_DB_USER:-gongguan_app}" --set=password="${APP_DB_PASSWORD:-gongguan-app}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
SQL
