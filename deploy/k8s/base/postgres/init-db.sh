#!/usr/bin/env bash
# CityOps database provisioning: the database, PostGIS in a schema of its own, and one role
# and one schema per service, each role able to touch only its own schema. The same SQL as
# the local stack (deploy/local/stack.sh provision_pg). Safe to run again: it creates what
# is missing and resets the services' passwords to the ones given.
#
# Run as a one-shot job, with a superuser, by docker-compose.yml (service db-init) and by
# Kubernetes (Job cityops-db-init). Needs psql and bash (the PostgreSQL images have both).
#
# Env:
#   PGHOST PGPORT PGUSER PGPASSWORD [PGSSLMODE]   the superuser's connection (libpq variables)
#   PGDATABASE            maintenance database to connect to first (default postgres)
#   CITYOPS_DB            the CityOps database (default cityops)
#   CITYOPS_SERVICES      the services' role and schema names, separated by spaces
#   <NAME>_PASSWORD       each service's password, e.g. TELEMETRY_INGEST_PASSWORD
#   CITYOPS_WAIT_SECONDS  how long to wait for the server to answer (default 120)
set -euo pipefail

log() { printf '[db-init] %s\n' "$*" >&2; }
die() {
  printf '[db-init] ERROR: %s\n' "$*" >&2
  exit 1
}

db="${CITYOPS_DB:-cityops}"
services="${CITYOPS_SERVICES:?CITYOPS_SERVICES is empty: name the services, e.g. 'telemetry_ingest incident_correlation'}"
wait_seconds="${CITYOPS_WAIT_SECONDS:-120}"
export PGDATABASE="${PGDATABASE:-postgres}"
export PGOPTIONS="-c client_min_messages=warning"

[[ "${db}" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name '${db}'"

deadline=$((SECONDS + wait_seconds))
until pg_isready -q; do
  ((SECONDS < deadline)) || die "PostgreSQL at ${PGHOST:-local socket}:${PGPORT:-5432} did not answer in ${wait_seconds} s"
  sleep 1
done
# pg_isready answers before the server takes logins (e.g. during an image's first start).
until psql -X -q -tAc 'SELECT 1' >/dev/null 2>&1; do
  ((SECONDS < deadline)) || die "cannot log in as ${PGUSER:-?} on ${PGHOST:-local socket}"
  sleep 1
done

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "${db}"; }

if [[ -z "$(psql -X -tAc "SELECT 1 FROM pg_database WHERE datname = '${db}'")" ]]; then
  log "creating database ${db}"
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8'"
fi

# PostGIS lives in its own schema, usable (not writable) by the services; nobody gets
# anything on `public` or on the database by default.
psql_db <<SQL
CREATE SCHEMA IF NOT EXISTS postgis AUTHORIZATION CURRENT_USER;
CREATE EXTENSION IF NOT EXISTS postgis SCHEMA postgis;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA postgis FROM PUBLIC;
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
SQL

count=0
for svc in ${services}; do
  [[ "${svc}" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad service name '${svc}'"
  var="${svc^^}_PASSWORD"
  pw="${!var:-}"
  [[ -n "${pw}" ]] || die "${var} is empty: every service needs a password"
  # The password goes through stdin, never on a command line.
  {
    printf '\\set name %s\n\\set pw %s\n' "${svc}" "${pw}"
    cat <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L',
              :'name', :'pw') \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'name', :'name') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'name') \gexec
SELECT format('GRANT USAGE ON SCHEMA postgis TO %I', :'name') \gexec
SELECT format('ALTER ROLE %I IN DATABASE %I SET search_path = %I, postgis',
              :'name', current_database(), :'name') \gexec
SQL
  } | psql_db
  count=$((count + 1))
done
log "database ${db} ready: PostGIS in schema postgis, ${count} service role(s) and schema(s)"
