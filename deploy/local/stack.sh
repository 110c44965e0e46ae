#!/usr/bin/env bash
# CityOps local stack: a single-node Apache Kafka (KRaft) and a PostgreSQL 15 + PostGIS
# server, run from a state folder on ports of their own, bound to 127.0.0.1 only.
#
#   stack.sh start    start both (formats / initialises / provisions on first run); idempotent
#   stack.sh stop     stop both cleanly
#   stack.sh status   tell what runs (exit 0 when both run, 3 otherwise)
#   stack.sh env      print `export` lines for `eval "$(stack.sh env)"`
#   stack.sh reset    stop, then delete the state folder (never the jar cache)
#
# Env: CITYOPS_STATE_DIR (default <repo>/.state/local), CITYOPS_KAFKA_PORT (19092),
# CITYOPS_KAFKA_CONTROLLER_PORT (19093), CITYOPS_PG_PORT (15432), CITYOPS_CACHE_DIR,
# CITYOPS_KAFKA_VERSION, CITYOPS_KAFKA_HEAP_OPTS (-Xms256m -Xmx512m).
# Ports given at `start` are recorded in the state folder and reused by the other commands
# when their variables are unset.
set -euo pipefail

# shellcheck source=deploy/local/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

PG_BIN="/usr/lib/postgresql/15/bin"
STATE_DIR="${CITYOPS_STATE_DIR:-${REPO_ROOT}/.state/local}"
PORTS_FILE="${STATE_DIR}/ports.env"
SECRETS_DIR="${STATE_DIR}/secrets"
KAFKA_DIR="${STATE_DIR}/kafka"
KAFKA_DATA="${KAFKA_DIR}/data"
KAFKA_CONF="${KAFKA_DIR}/server.properties"
KAFKA_PID="${KAFKA_DIR}/kafka.pid"
KAFKA_LOG="${KAFKA_DIR}/kafka.log"
PG_DIR="${STATE_DIR}/postgres"
PG_DATA="${PG_DIR}/data"
PG_SOCK="${PG_DIR}/run"
PG_LOG="${PG_DIR}/postgres.log"
PG_ADMIN="cityops_admin"
PG_DB="cityops"
SERVICES_FILE="${LOCAL_DIR}/services.txt"
START_TIMEOUT=60
KAFKA_STOP_TIMEOUT=30

# ---------------------------------------------------------------- settings

load_ports() {
  local recorded_kafka="" recorded_ctrl="" recorded_pg=""
  if [[ -f "${PORTS_FILE}" ]]; then
    recorded_kafka="$(sed -n 's/^kafka=//p' "${PORTS_FILE}")"
    recorded_ctrl="$(sed -n 's/^kafka_controller=//p' "${PORTS_FILE}")"
    recorded_pg="$(sed -n 's/^pg=//p' "${PORTS_FILE}")"
  fi
  KAFKA_PORT="${CITYOPS_KAFKA_PORT:-${recorded_kafka:-19092}}"
  KAFKA_CTRL_PORT="${CITYOPS_KAFKA_CONTROLLER_PORT:-${recorded_ctrl:-19093}}"
  PG_PORT="${CITYOPS_PG_PORT:-${recorded_pg:-15432}}"
  local p
  for p in "${KAFKA_PORT}" "${KAFKA_CTRL_PORT}" "${PG_PORT}"; do
    if [[ ! "${p}" =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then
      die "bad port: '${p}'"
    fi
  done
  ((KAFKA_PORT != KAFKA_CTRL_PORT && KAFKA_PORT != PG_PORT && KAFKA_CTRL_PORT != PG_PORT)) \
    || die "ports must differ (kafka ${KAFKA_PORT}, controller ${KAFKA_CTRL_PORT}, pg ${PG_PORT})"
}

record_ports() {
  printf 'kafka=%s\nkafka_controller=%s\npg=%s\n' \
    "${KAFKA_PORT}" "${KAFKA_CTRL_PORT}" "${PG_PORT}" >"${PORTS_FILE}"
}

# Service schema names, one a line in services.txt (blank lines and # comments ignored).
services() {
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do
    line="${line%%#*}"
    line="${line//[[:space:]]/}"
    [[ -z "${line}" ]] && continue
    [[ "${line}" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad service name in ${SERVICES_FILE}: '${line}'"
    printf '%s\n' "${line}"
  done <"${SERVICES_FILE}"
}

# Run a command as the PostgreSQL server's owner: the `postgres` system user when root.
as_pg() {
  if ((EUID == 0)); then
    # From / so that a working folder the server's user cannot read does not matter.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_java() {
  local main="$1"
  shift
  java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${LOCAL_DIR}/kafka/tools-log4j2.properties" \
    -cp "${KAFKA_LIBS}/*" "${main}" "$@"
}

# Generates a password (letters and digits only, so it needs no escaping in a DSN).
new_password() { head -c 48 /dev/urandom | base64 -w0 | tr -d '/+=' | cut -c1-32; }

password_of() {
  local f="${SECRETS_DIR}/$1.password"
  [[ -s "${f}" ]] || die "no password for '$1' in ${SECRETS_DIR}: run '$0 start' first"
  cat "${f}"
}

ensure_password() {
  local f="${SECRETS_DIR}/$1.password"
  if [[ ! -s "${f}" ]]; then
    (umask 077 && new_password >"${f}")
  fi
  chmod 600 "${f}"
}

# ---------------------------------------------------------------- Kafka

kafka_pid() {
  [[ -f "${KAFKA_PID}" ]] || return 1
  local pid cmdline
  pid="$(cat "${KAFKA_PID}")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  # The pid must still be this stack's broker (pids get reused).
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/${pid}/cmdline")" || return 1
  [[ "${cmdline}" == *"${KAFKA_CONF}"* ]] || return 1
  printf '%s\n' "${pid}"
}

kafka_running() { kafka_pid >/dev/null; }

write_kafka_config() {
  cat >"${KAFKA_CONF}" <<EOF
# Written by deploy/local/stack.sh on each start: edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CTRL_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CTRL_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${KAFKA_DATA}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
EOF
}

kafka_log_tail() {
  if [[ -f "${KAFKA_LOG}" ]]; then
    printf -- '--- last lines of %s ---\n' "${KAFKA_LOG}" >&2
    tail -n 30 "${KAFKA_LOG}" >&2
  fi
}

start_kafka() {
  if kafka_running; then
    log "Kafka: already running (pid $(kafka_pid)) on 127.0.0.1:${KAFKA_PORT}"
    return
  fi
  kafka_libs_ready || die "Kafka ${CITYOPS_KAFKA_VERSION} jars not in ${KAFKA_LIBS}: run deploy/local/install-deps.sh"
  command -v java >/dev/null 2>&1 || die "java not found: run deploy/local/install-deps.sh"
  local p
  for p in "${KAFKA_PORT}" "${KAFKA_CTRL_PORT}"; do
    ! port_open "${p}" || die "Kafka: port ${p} is already in use by another process"
  done
  mkdir -p "${KAFKA_DATA}"
  write_kafka_config
  if [[ ! -f "${KAFKA_DATA}/meta.properties" ]]; then
    local cluster_id
    if [[ -s "${KAFKA_DIR}/cluster.id" ]]; then
      cluster_id="$(cat "${KAFKA_DIR}/cluster.id")"
    else
      cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)"
      printf '%s\n' "${cluster_id}" >"${KAFKA_DIR}/cluster.id"
    fi
    log "Kafka: formatting storage (cluster id ${cluster_id})"
    kafka_java kafka.tools.StorageTool format --ignore-formatted \
      -t "${cluster_id}" -c "${KAFKA_CONF}" >>"${KAFKA_LOG}" 2>&1 \
      || { kafka_log_tail; die "Kafka: storage format failed"; }
  fi
  log "Kafka ${CITYOPS_KAFKA_VERSION}: starting on 127.0.0.1:${KAFKA_PORT} (controller ${KAFKA_CTRL_PORT})"
  local heap=()
  read -r -a heap <<<"${CITYOPS_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
  # New session, so the broker outlives the shell that started it; the inner shell writes
  # its own pid, which `exec` hands to the JVM.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "${KAFKA_PID}" \
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${LOCAL_DIR}/kafka/log4j2.properties" \
    -Dkafka.logs.dir="${KAFKA_DIR}" \
    -cp "${KAFKA_LIBS}/*" kafka.Kafka "${KAFKA_CONF}" \
    </dev/null >>"${KAFKA_LOG}" 2>&1 &
  wait_kafka
}

wait_kafka() {
  local started=${SECONDS} deadline=$((SECONDS + START_TIMEOUT))
  while ! port_open "${KAFKA_PORT}"; do
    sleep 0.5
    # (the pid file appears a moment after the launch)
    if ((SECONDS - started >= 2)) && ! kafka_running; then
      kafka_log_tail
      die "Kafka: the broker exited during startup (log: ${KAFKA_LOG})"
    fi
    if ((SECONDS >= deadline)); then
      kafka_log_tail
      die "Kafka: no listener on 127.0.0.1:${KAFKA_PORT} after ${START_TIMEOUT} s (log: ${KAFKA_LOG})"
    fi
  done
  # A real metadata round trip, not just an open socket.
  local id
  until id="$(kafka_java org.apache.kafka.tools.ClusterTool cluster-id \
    --bootstrap-server "127.0.0.1:${KAFKA_PORT}" 2>/dev/null)"; do
    if ((SECONDS >= deadline)); then
      kafka_log_tail
      die "Kafka: broker does not answer metadata requests after ${START_TIMEOUT} s (log: ${KAFKA_LOG})"
    fi
    sleep 1
  done
  log "Kafka: ready (pid $(kafka_pid), ${id})"
}

stop_kafka() {
  local pid
  if ! pid="$(kafka_pid)"; then
    log "Kafka: not running"
    rm -f "${KAFKA_PID}"
    return
  fi
  log "Kafka: stopping (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "${pid}" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "Kafka: still running after ${KAFKA_STOP_TIMEOUT} s, sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "${KAFKA_PID}"
  log "Kafka: stopped"
}

# ---------------------------------------------------------------- PostgreSQL

pg_running() {
  [[ -f "${PG_DATA}/PG_VERSION" ]] && as_pg "${PG_BIN}/pg_ctl" status -D "${PG_DATA}" >/dev/null 2>&1
}

pg_log_tail() {
  if [[ -f "${PG_LOG}" ]]; then
    printf -- '--- last lines of %s ---\n' "${PG_LOG}" >&2
    tail -n 30 "${PG_LOG}" >&2
  fi
}

# psql as the admin over TCP (scram), stopping at the first error.
admin_psql() {
  local db="$1"
  shift
  PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$(password_of "${PG_ADMIN}")" "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "${PG_PORT}" -U "${PG_ADMIN}" -d "${db}" "$@"
}

init_pg() {
  [[ -x "${PG_BIN}/initdb" ]] || die "PostgreSQL 15 not found in ${PG_BIN}: run deploy/local/install-deps.sh"
  mkdir -p "${PG_DIR}" "${PG_SOCK}"
  touch "${PG_LOG}"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user: run deploy/local/install-deps.sh"
    chown postgres: "${PG_DIR}" "${PG_SOCK}" "${PG_LOG}"
    as_pg test -w "${PG_DIR}" \
      || die "user 'postgres' cannot reach ${PG_DIR}: a parent folder is not traversable (chmod o+x)"
  fi
  chmod 700 "${PG_DIR}"
  [[ -f "${PG_DATA}/PG_VERSION" ]] && return
  ensure_password "${PG_ADMIN}"
  log "PostgreSQL: initdb in ${PG_DATA} (superuser ${PG_ADMIN})"
  rm -rf "${PG_DATA}"
  local pwfile="${PG_DIR}/.initdb-pw"
  (umask 077 && cp "${SECRETS_DIR}/${PG_ADMIN}.password" "${pwfile}")
  ((EUID == 0)) && chown postgres: "${pwfile}"
  if ! as_pg "${PG_BIN}/initdb" -D "${PG_DATA}" -U "${PG_ADMIN}" --pwfile="${pwfile}" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >>"${PG_LOG}" 2>&1; then
    rm -f "${pwfile}"
    pg_log_tail
    die "PostgreSQL: initdb failed"
  fi
  rm -f "${pwfile}"
  # Password (scram) logins only: the local socket for the admin, TCP on 127.0.0.1.
  as_pg tee "${PG_DATA}/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/local/stack.sh at initdb.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

start_pg() {
  init_pg
  if pg_running; then
    log "PostgreSQL: already running on 127.0.0.1:${PG_PORT}"
  else
    ! port_open "${PG_PORT}" || die "PostgreSQL: port ${PG_PORT} is already in use by another process"
    log "PostgreSQL 15: starting on 127.0.0.1:${PG_PORT}"
    # pg_ctl detaches the server into its own session. 300 connections: the
    # tests run two suites of six services at once (a pool each, plus relays).
    as_pg "${PG_BIN}/pg_ctl" start -D "${PG_DATA}" -l "${PG_LOG}" -w -t "${START_TIMEOUT}" \
      -o "-c listen_addresses=127.0.0.1 -p ${PG_PORT} -k ${PG_SOCK} -c max_connections=300" >/dev/null \
      || { pg_log_tail; die "PostgreSQL: did not start (log: ${PG_LOG})"; }
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}"; do
    if ((SECONDS >= deadline)); then
      pg_log_tail
      die "PostgreSQL: not ready after ${START_TIMEOUT} s (log: ${PG_LOG})"
    fi
    sleep 0.5
  done
  provision_pg
  log "PostgreSQL: ready (database ${PG_DB}, $(services | wc -l) service roles)"
}

# Database, PostGIS and one role + schema per service. Safe to run again.
provision_pg() {
  if [[ -z "$(admin_psql postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" ]]; then
    log "PostgreSQL: creating database ${PG_DB}"
    admin_psql postgres -c "CREATE DATABASE ${PG_DB}"
  fi
  # PostGIS lives in its own schema, usable (not writable) by the services; nobody gets
  # anything on `public` or on the database by default.
  admin_psql "${PG_DB}" <<SQL
CREATE SCHEMA IF NOT EXISTS postgis AUTHORIZATION ${PG_ADMIN};
CREATE EXTENSION IF NOT EXISTS postgis SCHEMA postgis;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA postgis FROM PUBLIC;
REVOKE ALL ON DATABASE ${PG_DB} FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
SQL
  local svc
  while IFS= read -r svc; do
    ensure_password "${svc}"
    # The password goes through stdin, never on a command line.
    {
      printf '\\set name %s\n\\set pw %s\n' "${svc}" "$(password_of "${svc}")"
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
    } | admin_psql "${PG_DB}"
  done < <(services)
}

stop_pg() {
  if ! pg_running; then
    log "PostgreSQL: not running"
    return
  fi
  log "PostgreSQL: stopping"
  as_pg "${PG_BIN}/pg_ctl" stop -D "${PG_DATA}" -m fast -w -t "${START_TIMEOUT}" >/dev/null
  log "PostgreSQL: stopped"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  mkdir -p "${STATE_DIR}" "${SECRETS_DIR}"
  chmod 700 "${SECRETS_DIR}"
  record_ports
  start_pg
  start_kafka
  log "stack up (state ${STATE_DIR}); load its settings with: eval \"\$($0 env)\""
}

cmd_stop() {
  stop_kafka
  stop_pg
}

cmd_status() {
  local rc=0 pid
  if pid="$(kafka_pid)"; then
    if port_open "${KAFKA_PORT}"; then
      echo "kafka: running (pid ${pid}) on 127.0.0.1:${KAFKA_PORT}, controller ${KAFKA_CTRL_PORT}"
    else
      echo "kafka: process ${pid} up but 127.0.0.1:${KAFKA_PORT} does not answer"
      rc=3
    fi
  else
    echo "kafka: stopped"
    rc=3
  fi
  if pg_running; then
    if "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}"; then
      echo "postgresql: running (pid $(head -n1 "${PG_DATA}/postmaster.pid")) on 127.0.0.1:${PG_PORT}"
    else
      echo "postgresql: server up but not accepting connections on 127.0.0.1:${PG_PORT}"
      rc=3
    fi
  else
    echo "postgresql: stopped"
    rc=3
  fi
  echo "state: ${STATE_DIR}"
  return "${rc}"
}

cmd_env() {
  local admin_pw svc upper
  admin_pw="$(password_of "${PG_ADMIN}")"
  printf 'export CITYOPS_KAFKA_BOOTSTRAP=127.0.0.1:%s\n' "${KAFKA_PORT}"
  printf 'export CITYOPS_PG_ADMIN_DSN=postgresql://%s:%s@127.0.0.1:%s/%s\n' \
    "${PG_ADMIN}" "${admin_pw}" "${PG_PORT}" "${PG_DB}"
  while IFS= read -r svc; do
    upper="${svc^^}"
    printf 'export CITYOPS_%s_PG_DSN=postgresql://%s:%s@127.0.0.1:%s/%s\n' \
      "${upper}" "${svc}" "$(password_of "${svc}")" "${PG_PORT}" "${PG_DB}"
  done < <(services)
}

cmd_reset() {
  cmd_stop
  [[ -d "${STATE_DIR}" ]] || { log "nothing to delete: ${STATE_DIR} does not exist"; return; }
  local state_abs cache_abs keep=""
  state_abs="$(cd "${STATE_DIR}" && pwd -P)"
  cache_abs="$(mkdir -p "${CITYOPS_CACHE_DIR}" && cd "${CITYOPS_CACHE_DIR}" && pwd -P)"
  [[ "${state_abs}" != "/" && "${state_abs}" != "$(cd "${REPO_ROOT}" && pwd -P)" ]] \
    || die "refusing to delete ${state_abs}"
  [[ "${state_abs}/" != "${cache_abs}/"* ]] || die "the state folder ${state_abs} is inside the cache ${cache_abs}"
  if [[ "${cache_abs}" == "${state_abs}/"* ]]; then
    keep="${cache_abs#"${state_abs}/"}"
    keep="${keep%%/*}"
    log "deleting ${state_abs} except the cache (${keep})"
    find "${state_abs}" -mindepth 1 -maxdepth 1 ! -name "${keep}" -exec rm -rf {} +
  else
    log "deleting ${state_abs}"
    rm -rf "${state_abs}"
  fi
}

usage() {
  echo "usage: $0 start|stop|status|env|reset" >&2
  exit 2
}

main() {
  (($# == 1)) || usage
  load_ports
  case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    *) usage ;;
  esac
}

main "$@"
