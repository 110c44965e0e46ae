#!/usr/bin/env bash
# shellcheck disable=SC2317 # stop_process and cleanup run from traps
# The main job: CityOps running on this machine with a simulated city.
#
#   deploy/run.sh [--skip-deps] [--skip-build] [-- city-sim flags...]
#
# Installs what is missing, builds the suite, starts the local stack (Kafka and
# PostgreSQL), creates the topics, starts telemetry-ingest, incident-correlation,
# resident-calls, crew-dispatch and lighting-control, then the gateway (the operator
# console, REST, the live feed and Open311 on http://127.0.0.1:8080/), then runs city-sim
# (Dijon, scenario cabinet-power-loss, its crews on duty, its light points obeying
# lighting control) with its output shown here, until Ctrl-C. On Ctrl-C (or SIGTERM, or
# if a process dies) it stops the gateway, city-sim, the services and the stack, in that
# order. Flags after `--` go to city-sim, for example
#   deploy/run.sh -- --seed 7 --scenario fibre-cut     (city-sim --list-scenarios lists them)
#
# The gateway's JWT secret and its admin's password are generated once into
# <state>/gateway-secrets.env (mode 600) and reused by later runs, unless given in the
# environment; the admin (user `admin` unless CITYOPS_GATEWAY_ADMIN_USER) is created by
# the gateway's first start on that state folder. The banner names the user and the file
# that holds the password; it does not print the password itself (terminal output ends
# up in logs).
#
# Env: CITYOPS_BUILD_DIR (build), CITYOPS_BUILD_TYPE (RelWithDebInfo),
# CITYOPS_BUILD_JOBS (nproc), CITYOPS_BUILD_TARGETS (empty: the whole suite),
# CITYOPS_INGEST_GRPC_PORT (50051), CITYOPS_INGEST_METRICS_PORT (9101),
# CITYOPS_CORRELATION_GRPC_PORT (50052), CITYOPS_CORRELATION_METRICS_PORT (9102),
# CITYOPS_DISPATCH_GRPC_PORT (50053), CITYOPS_DISPATCH_METRICS_PORT (9103),
# CITYOPS_LIGHTING_GRPC_PORT (50054), CITYOPS_LIGHTING_METRICS_PORT (9104),
# CITYOPS_RESIDENT_CALLS_GRPC_PORT (50055), CITYOPS_RESIDENT_CALLS_METRICS_PORT (9105),
# CITYOPS_RESIDENT_CALLS_HTTP_PORT (8311, resident-calls' own Open311),
# CITYOPS_GATEWAY_GRPC_PORT (50056), CITYOPS_GATEWAY_METRICS_PORT (9106),
# CITYOPS_GATEWAY_HTTP_PORT (8080), CITYOPS_GATEWAY_JWT_SECRET and
# CITYOPS_GATEWAY_ADMIN_PASSWORD (instead of the generated ones),
# CITYOPS_GATEWAY_ADMIN_USER (admin), CITYOPS_OPEN311_API_KEYS (the gateway's Open311
# clients allowed to POST, "client:key,..."; empty: Open311 POST refused), and the local
# stack's own (CITYOPS_STATE_DIR, CITYOPS_KAFKA_PORT, CITYOPS_PG_PORT..., see
# deploy/local/README.md).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

log() { printf '[cityops-run] %s\n' "$*" >&2; }
die() {
  printf '[cityops-run] ERROR: %s\n' "$*" >&2
  exit 1
}

SKIP_DEPS=0
SKIP_BUILD=0
SIM_ARGS=()
while (($# > 0)); do
  case "$1" in
    --skip-deps) SKIP_DEPS=1 ;;
    --skip-build) SKIP_BUILD=1 ;;
    --)
      shift
      SIM_ARGS=("$@")
      break
      ;;
    -h | --help)
      sed -n '2,38p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (city-sim flags go after --; see --help)" ;;
  esac
  shift
done

BUILD_DIR="${CITYOPS_BUILD_DIR:-build}"
BUILD_TYPE="${CITYOPS_BUILD_TYPE:-RelWithDebInfo}"
JOBS="${CITYOPS_BUILD_JOBS:-$(nproc)}"
GRPC_PORT="${CITYOPS_INGEST_GRPC_PORT:-50051}"
METRICS_PORT="${CITYOPS_INGEST_METRICS_PORT:-9101}"
CORRELATION_GRPC_PORT="${CITYOPS_CORRELATION_GRPC_PORT:-50052}"
CORRELATION_METRICS_PORT="${CITYOPS_CORRELATION_METRICS_PORT:-9102}"
DISPATCH_GRPC_PORT="${CITYOPS_DISPATCH_GRPC_PORT:-50053}"
DISPATCH_METRICS_PORT="${CITYOPS_DISPATCH_METRICS_PORT:-9103}"
LIGHTING_GRPC_PORT="${CITYOPS_LIGHTING_GRPC_PORT:-50054}"
LIGHTING_METRICS_PORT="${CITYOPS_LIGHTING_METRICS_PORT:-9104}"
RESIDENT_CALLS_GRPC_PORT="${CITYOPS_RESIDENT_CALLS_GRPC_PORT:-50055}"
RESIDENT_CALLS_METRICS_PORT="${CITYOPS_RESIDENT_CALLS_METRICS_PORT:-9105}"
RESIDENT_CALLS_HTTP_PORT="${CITYOPS_RESIDENT_CALLS_HTTP_PORT:-8311}"
GATEWAY_GRPC_PORT="${CITYOPS_GATEWAY_GRPC_PORT:-50056}"
GATEWAY_METRICS_PORT="${CITYOPS_GATEWAY_METRICS_PORT:-9106}"
GATEWAY_HTTP_PORT="${CITYOPS_GATEWAY_HTTP_PORT:-8080}"
GATEWAY_ADMIN_USER="${CITYOPS_GATEWAY_ADMIN_USER:-admin}"
STATE_DIR="${CITYOPS_STATE_DIR:-${REPO_ROOT}/.state/local}"
LOG_DIR="${STATE_DIR}/logs"
GATEWAY_SECRETS="${STATE_DIR}/gateway-secrets.env"
STACK="deploy/local/stack.sh"

INGEST_BIN="${BUILD_DIR}/services/telemetry-ingest/telemetry-ingest"
CORRELATION_BIN="${BUILD_DIR}/services/incident-correlation/incident-correlation"
DISPATCH_BIN="${BUILD_DIR}/services/crew-dispatch/crew-dispatch"
LIGHTING_BIN="${BUILD_DIR}/services/lighting-control/lighting-control"
RESIDENT_CALLS_BIN="${BUILD_DIR}/services/resident-calls/resident-calls"
GATEWAY_BIN="${BUILD_DIR}/services/gateway/gateway"
# The console built by npm in the build (target gateway_console).
CONSOLE_DIR="${BUILD_DIR}/services/gateway/console"
SIM_BIN="${BUILD_DIR}/services/city-sim/city-sim"
ADMIN_BIN="${BUILD_DIR}/services/common/cityops-admin"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The gateway's secrets and the Open311 keys go to the gateway only (start_service's
# NAME=VALUE arguments): no other process of this script inherits them, even when the
# caller exported them.
export -n CITYOPS_GATEWAY_JWT_SECRET CITYOPS_GATEWAY_ADMIN_USER CITYOPS_GATEWAY_ADMIN_PASSWORD \
  CITYOPS_OPEN311_API_KEYS

# ---------------------------------------------------------------- stopping

INGEST_PID=""
CORRELATION_PID=""
DISPATCH_PID=""
LIGHTING_PID=""
RESIDENT_CALLS_PID=""
GATEWAY_PID=""
SIM_PID=""
STACK_STARTED=0
STOPPING=0

# SIGTERM, then up to `timeout` seconds for the process to go, then SIGKILL.
stop_process() {
  local name="$1" pid="$2" timeout="$3" waited=0
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 0
  log "stopping ${name} (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  while kill -0 "${pid}" 2>/dev/null && ((waited < timeout * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "${pid}" 2>/dev/null; then
    log "${name} still running after ${timeout} s: SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  wait "${pid}" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  ((STOPPING == 0)) || return 0
  STOPPING=1
  trap '' INT TERM
  # The gateway first: the console and the API go before what they front.
  stop_process gateway "${GATEWAY_PID}" 30
  stop_process city-sim "${SIM_PID}" 20
  stop_process lighting-control "${LIGHTING_PID}" 30
  stop_process crew-dispatch "${DISPATCH_PID}" 30
  stop_process resident-calls "${RESIDENT_CALLS_PID}" 30
  stop_process incident-correlation "${CORRELATION_PID}" 30
  stop_process telemetry-ingest "${INGEST_PID}" 30
  if ((STACK_STARTED == 1)); then
    log "stopping the local stack"
    "${STACK}" stop || rc=1
  elif [[ -n "${STACK_WAS_RUNNING:-}" ]]; then
    log "the local stack was already running before: left running (${STACK} stop stops it)"
  fi
  log "stopped; logs in ${LOG_DIR}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- checks

# A port of ours held by another process: say which and what to do.
check_free() {
  local port="$1" what="$2" variable="$3"
  if port_open "${port}"; then
    die "port ${port} (${what}) is already in use by another process; stop it, or pick another port with ${variable}=<port>"
  fi
}

# ---------------------------------------------------------------- steps

if ((SKIP_DEPS == 0)); then
  log "1/6 dependencies"
  deploy/local/install-deps.sh
fi

if ((SKIP_BUILD == 0)); then
  log "2/6 build (${BUILD_DIR}, ${BUILD_TYPE})"
  cmake -G Ninja -S . -B "${BUILD_DIR}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE}" >/dev/null
  # shellcheck disable=SC2086 # a list of targets
  ninja -C "${BUILD_DIR}" -j "${JOBS}" ${CITYOPS_BUILD_TARGETS:-}
fi
for bin in "${INGEST_BIN}" "${CORRELATION_BIN}" "${RESIDENT_CALLS_BIN}" "${DISPATCH_BIN}" "${LIGHTING_BIN}" \
  "${GATEWAY_BIN}" "${SIM_BIN}" "${ADMIN_BIN}"; do
  [[ -x "${bin}" ]] && continue
  if ((SKIP_BUILD == 1)); then
    die "${bin} is not built (run without --skip-build)"
  fi
  die "${bin} is missing after the build: is its folder under services/ and in services/CMakeLists.txt?"
done
[[ -d "${CONSOLE_DIR}" ]] ||
  die "the operator console is not built in ${CONSOLE_DIR} (ninja -C ${BUILD_DIR} gateway_console; it needs npm)"

# The gateway's secrets: those given in the environment, else the ones generated into
# ${GATEWAY_SECRETS} (mode 600) at the first run and reused afterwards, so that tokens
# survive a restart and the password shown matches the admin the gateway created.
# hex_secret BYTES: that many random bytes in hexadecimal (no character needs escaping).
hex_secret() { od -An -N "$1" -tx1 /dev/urandom | tr -d ' \n'; }
secret_from_file() { [[ -f "${GATEWAY_SECRETS}" ]] && sed -n "s/^$1=//p" "${GATEWAY_SECRETS}" | tail -n 1; }
ensure_gateway_secret() { # NAME BYTES
  local value
  value="$(secret_from_file "$1")"
  if [[ -z "${value}" ]]; then
    value="$(hex_secret "$2")"
    mkdir -p "${STATE_DIR}"
    (umask 077 && printf '%s=%s\n' "$1" "${value}" >>"${GATEWAY_SECRETS}")
    log "generated $1 into ${GATEWAY_SECRETS}"
  fi
  chmod 600 "${GATEWAY_SECRETS}"
  printf '%s' "${value}"
}
if [[ -n "${CITYOPS_GATEWAY_JWT_SECRET:-}" ]]; then
  GATEWAY_JWT_SECRET="${CITYOPS_GATEWAY_JWT_SECRET}"
else
  GATEWAY_JWT_SECRET="$(ensure_gateway_secret CITYOPS_GATEWAY_JWT_SECRET 32)"
fi
if [[ -n "${CITYOPS_GATEWAY_ADMIN_PASSWORD:-}" ]]; then
  GATEWAY_ADMIN_PASSWORD="${CITYOPS_GATEWAY_ADMIN_PASSWORD}"
  GATEWAY_PASSWORD_WHERE="the password of CITYOPS_GATEWAY_ADMIN_PASSWORD"
else
  GATEWAY_ADMIN_PASSWORD="$(ensure_gateway_secret CITYOPS_GATEWAY_ADMIN_PASSWORD 12)"
  GATEWAY_PASSWORD_WHERE="the value of CITYOPS_GATEWAY_ADMIN_PASSWORD in ${GATEWAY_SECRETS}"
fi
((${#GATEWAY_JWT_SECRET} >= 32)) || die "CITYOPS_GATEWAY_JWT_SECRET must be at least 32 bytes long"
((${#GATEWAY_ADMIN_PASSWORD} >= 12)) || die "CITYOPS_GATEWAY_ADMIN_PASSWORD must be at least 12 characters long"

# Before starting anything: the services' ports must be free.
check_free "${GRPC_PORT}" "telemetry-ingest gRPC" CITYOPS_INGEST_GRPC_PORT
check_free "${METRICS_PORT}" "telemetry-ingest metrics" CITYOPS_INGEST_METRICS_PORT
check_free "${CORRELATION_GRPC_PORT}" "incident-correlation gRPC" CITYOPS_CORRELATION_GRPC_PORT
check_free "${CORRELATION_METRICS_PORT}" "incident-correlation metrics" CITYOPS_CORRELATION_METRICS_PORT
check_free "${DISPATCH_GRPC_PORT}" "crew-dispatch gRPC" CITYOPS_DISPATCH_GRPC_PORT
check_free "${DISPATCH_METRICS_PORT}" "crew-dispatch metrics" CITYOPS_DISPATCH_METRICS_PORT
check_free "${LIGHTING_GRPC_PORT}" "lighting-control gRPC" CITYOPS_LIGHTING_GRPC_PORT
check_free "${LIGHTING_METRICS_PORT}" "lighting-control metrics" CITYOPS_LIGHTING_METRICS_PORT
check_free "${RESIDENT_CALLS_GRPC_PORT}" "resident-calls gRPC" CITYOPS_RESIDENT_CALLS_GRPC_PORT
check_free "${RESIDENT_CALLS_METRICS_PORT}" "resident-calls metrics" CITYOPS_RESIDENT_CALLS_METRICS_PORT
check_free "${RESIDENT_CALLS_HTTP_PORT}" "resident-calls Open311 HTTP" CITYOPS_RESIDENT_CALLS_HTTP_PORT
check_free "${GATEWAY_GRPC_PORT}" "gateway gRPC" CITYOPS_GATEWAY_GRPC_PORT
check_free "${GATEWAY_METRICS_PORT}" "gateway metrics" CITYOPS_GATEWAY_METRICS_PORT
check_free "${GATEWAY_HTTP_PORT}" "gateway HTTP (console, REST, Open311)" CITYOPS_GATEWAY_HTTP_PORT

log "3/6 local stack"
if "${STACK}" status >/dev/null 2>&1; then
  STACK_WAS_RUNNING=1
  # `start` on a running stack only provisions what is missing: a role and schema for
  # a service added to services.txt since the stack was started (the gateway's).
  log "local stack already running (state ${STATE_DIR}): checking its provisioning"
  "${STACK}" start
else
  STACK_STARTED=1
  "${STACK}" start
fi
eval "$("${STACK}" env)"
[[ -n "${CITYOPS_TELEMETRY_INGEST_PG_DSN:-}" ]] || die "the stack gave no CITYOPS_TELEMETRY_INGEST_PG_DSN"

log "4/6 topics"
"${ADMIN_BIN}" topics --spec deploy/topics.json

mkdir -p "${LOG_DIR}"
# start_service PID_VAR NAME BINARY DSN GRPC_PORT METRICS_PORT [NAME=VALUE...] [--FLAG...]:
# starts a service in a session of its own (so that Ctrl-C reaches only this script,
# which stops the processes in order) and waits for its ready file. Its pid goes into
# PID_VAR at once, so that a failed start is stopped too.
# The DSN and the NAME=VALUE pairs go through the environment, not the command line
# (ps shows that); the subshell execs the service, so the pid is the service's.
start_service() {
  local pid_var="$1" name="$2" bin="$3" dsn="$4" grpc_port="$5" metrics_port="$6"
  shift 6
  local env_pairs=()
  while (($# > 0)) && [[ "$1" != -* ]]; do
    env_pairs+=("$1")
    shift
  done
  local ready_file="${STATE_DIR}/${name}.ready" log_file="${LOG_DIR}/${name}.log" pid pair
  rm -f "${ready_file}"
  (
    for pair in "${env_pairs[@]}"; do export "${pair?}"; done
    CITYOPS_PG_DSN="${dsn}" exec setsid "${bin}" \
      --grpc-address "127.0.0.1:${grpc_port}" \
      --metrics-address "127.0.0.1:${metrics_port}" \
      --kafka-bootstrap "${CITYOPS_KAFKA_BOOTSTRAP}" \
      --ready-file "${ready_file}" "$@"
  ) >>"${log_file}" 2>&1 </dev/null &
  pid=$!
  printf -v "${pid_var}" '%s' "${pid}"
  for ((i = 0; i < 600; i++)); do
    [[ -s "${ready_file}" ]] && break
    if ! kill -0 "${pid}" 2>/dev/null; then
      wait "${pid}" || true
      printf -v "${pid_var}" '%s' ""
      tail -n 20 "${log_file}" >&2 || true
      die "${name} exited during start-up (log above)"
    fi
    sleep 0.1
  done
  [[ -s "${ready_file}" ]] || die "${name} not ready after 60 s (see ${log_file})"
  log "${name} ready: $(cat "${ready_file}")"
}

log "5/6 services and the gateway (logs: ${LOG_DIR})"
for dsn in CITYOPS_INCIDENT_CORRELATION_PG_DSN CITYOPS_RESIDENT_CALLS_PG_DSN CITYOPS_CREW_DISPATCH_PG_DSN \
  CITYOPS_LIGHTING_CONTROL_PG_DSN CITYOPS_GATEWAY_PG_DSN; do
  [[ -n "${!dsn:-}" ]] || die "the stack gave no ${dsn}"
done
start_service INGEST_PID telemetry-ingest "${INGEST_BIN}" "${CITYOPS_TELEMETRY_INGEST_PG_DSN}" \
  "${GRPC_PORT}" "${METRICS_PORT}"
# incident-correlation carries out a declared crisis through lighting-control and
# crew-dispatch, started after it: it retries those calls until they answer.
start_service CORRELATION_PID incident-correlation "${CORRELATION_BIN}" "${CITYOPS_INCIDENT_CORRELATION_PG_DSN}" \
  "${CORRELATION_GRPC_PORT}" "${CORRELATION_METRICS_PORT}" \
  --lighting-address "127.0.0.1:${LIGHTING_GRPC_PORT}" --dispatch-address "127.0.0.1:${DISPATCH_GRPC_PORT}"
# resident-calls keeps its own Open311 port as before, but without the API keys (they
# are the gateway's now): POSTs there are refused, residents' apps use the gateway's
# /open311/v2/.
start_service RESIDENT_CALLS_PID resident-calls "${RESIDENT_CALLS_BIN}" "${CITYOPS_RESIDENT_CALLS_PG_DSN}" \
  "${RESIDENT_CALLS_GRPC_PORT}" "${RESIDENT_CALLS_METRICS_PORT}" --http-address "127.0.0.1:${RESIDENT_CALLS_HTTP_PORT}"
start_service DISPATCH_PID crew-dispatch "${DISPATCH_BIN}" "${CITYOPS_CREW_DISPATCH_PG_DSN}" \
  "${DISPATCH_GRPC_PORT}" "${DISPATCH_METRICS_PORT}"
start_service LIGHTING_PID lighting-control "${LIGHTING_BIN}" "${CITYOPS_LIGHTING_CONTROL_PG_DSN}" \
  "${LIGHTING_GRPC_PORT}" "${LIGHTING_METRICS_PORT}" --ingest-address "127.0.0.1:${GRPC_PORT}"
# The gateway after the five services it fronts: its gRPC port serves health and
# reflection only; the console, REST, the live feed and Open311 are on its HTTP port.
# Its admin is created at its first start on this database (no users yet); later runs
# keep that admin and its password, whatever the variables say.
gateway_env=(
  "CITYOPS_GATEWAY_JWT_SECRET=${GATEWAY_JWT_SECRET}"
  "CITYOPS_GATEWAY_ADMIN_USER=${GATEWAY_ADMIN_USER}"
  "CITYOPS_GATEWAY_ADMIN_PASSWORD=${GATEWAY_ADMIN_PASSWORD}"
  "CITYOPS_OPEN311_API_KEYS=${CITYOPS_OPEN311_API_KEYS:-}"
)
start_service GATEWAY_PID gateway "${GATEWAY_BIN}" "${CITYOPS_GATEWAY_PG_DSN}" \
  "${GATEWAY_GRPC_PORT}" "${GATEWAY_METRICS_PORT}" "${gateway_env[@]}" \
  --http-address "127.0.0.1:${GATEWAY_HTTP_PORT}" --console-dir "${CONSOLE_DIR}" \
  --telemetry-address "127.0.0.1:${GRPC_PORT}" --incidents-address "127.0.0.1:${CORRELATION_GRPC_PORT}" \
  --dispatch-address "127.0.0.1:${DISPATCH_GRPC_PORT}" --lighting-address "127.0.0.1:${LIGHTING_GRPC_PORT}" \
  --calls-address "127.0.0.1:${RESIDENT_CALLS_GRPC_PORT}"

log "6/6 city-sim (log: ${LOG_DIR}/city-sim.log)"
# tee -i: Ctrl-C must not end the pipe before city-sim has said goodbye.
setsid "${SIM_BIN}" --scenario cabinet-power-loss --ingest-address "127.0.0.1:${GRPC_PORT}" \
  --dispatch-address "127.0.0.1:${DISPATCH_GRPC_PORT}" --lighting-address "127.0.0.1:${LIGHTING_GRPC_PORT}" \
  --calls-address "127.0.0.1:${RESIDENT_CALLS_GRPC_PORT}" \
  --kafka-bootstrap "${CITYOPS_KAFKA_BOOTSTRAP}" "${SIM_ARGS[@]}" \
  > >(tee -i -a "${LOG_DIR}/city-sim.log") 2>&1 &
SIM_PID=$!

if [[ -n "${CITYOPS_OPEN311_API_KEYS:-}" ]]; then
  OPEN311_POST="open to the keys of CITYOPS_OPEN311_API_KEYS"
else
  OPEN311_POST="refused: CITYOPS_OPEN311_API_KEYS is empty"
fi
GATEWAY_URL="http://127.0.0.1:${GATEWAY_HTTP_PORT}"
cat <<EOF

  CityOps is running on this machine
  ----------------------------------
  telemetry-ingest        gRPC 127.0.0.1:${GRPC_PORT}, metrics http://127.0.0.1:${METRICS_PORT}/metrics
  incident-correlation    gRPC 127.0.0.1:${CORRELATION_GRPC_PORT}, metrics http://127.0.0.1:${CORRELATION_METRICS_PORT}/metrics
  crew-dispatch           gRPC 127.0.0.1:${DISPATCH_GRPC_PORT}, metrics http://127.0.0.1:${DISPATCH_METRICS_PORT}/metrics
  lighting-control        gRPC 127.0.0.1:${LIGHTING_GRPC_PORT}, metrics http://127.0.0.1:${LIGHTING_METRICS_PORT}/metrics
  resident-calls          gRPC 127.0.0.1:${RESIDENT_CALLS_GRPC_PORT}, metrics http://127.0.0.1:${RESIDENT_CALLS_METRICS_PORT}/metrics
  gateway                 gRPC 127.0.0.1:${GATEWAY_GRPC_PORT} (health), metrics http://127.0.0.1:${GATEWAY_METRICS_PORT}/metrics
  web console             ${GATEWAY_URL}/
    log in as             ${GATEWAY_ADMIN_USER}, with ${GATEWAY_PASSWORD_WHERE}
                          (the admin is the one made at the gateway's first start on this state folder)
  REST API                ${GATEWAY_URL}/api/v1/ (OpenAPI: ${GATEWAY_URL}/openapi.json)
  Open311 (resident apps) ${GATEWAY_URL}/open311/v2/services.json (POST ${OPEN311_POST})
  Kafka                   ${CITYOPS_KAFKA_BOOTSTRAP}
  PostgreSQL              database cityops, one schema per service (stack: ${STACK} env)
  logs                    ${LOG_DIR}

  city-sim streams Dijon's telemetry and plays the scenario cabinet-power-loss
  (services/city-sim/scenarios): 30 s in, one cabinet loses power and its segment
  controller reports its light points without power: FAULT RAISED lines below, and
  incident correlation makes them one INCIDENT on the cabinet, which crew dispatch
  gives to the nearest street-lighting crew (CREW ASSIGNED, ARRIVED, COMPLETED
  lines); the crew's repair brings the power back: FAULT CLEARED, and the
  incident resolves itself. Lighting control plans Dijon's 34,000 light points
  by the sun and its profiles and commands them per cabinet; the simulated
  controllers obey and report their level (the progress lines count them).
  Residents call resident-calls (600 calls a day, --calls-per-day): CALL CREATED
  lines; 3 of them report the dark street 20 to 70 s after the cabinet's
  loss, are linked to its incident (CALL LINKED ... (known incident)) and are
  closed with a note for the resident when it resolves (CALL CLOSED).
  The console shows all of it live: the map, the incident queue, the crews moving.
  Press Ctrl-C to stop everything.

EOF

# Until Ctrl-C, or until one of them stops by itself.
while kill -0 "${SIM_PID}" 2>/dev/null && kill -0 "${INGEST_PID}" 2>/dev/null &&
  kill -0 "${CORRELATION_PID}" 2>/dev/null && kill -0 "${RESIDENT_CALLS_PID}" 2>/dev/null &&
  kill -0 "${DISPATCH_PID}" 2>/dev/null && kill -0 "${LIGHTING_PID}" 2>/dev/null &&
  kill -0 "${GATEWAY_PID}" 2>/dev/null; do
  sleep 1
done
for service in telemetry-ingest:"${INGEST_PID}" incident-correlation:"${CORRELATION_PID}" \
  resident-calls:"${RESIDENT_CALLS_PID}" crew-dispatch:"${DISPATCH_PID}" lighting-control:"${LIGHTING_PID}" \
  gateway:"${GATEWAY_PID}"; do
  if ! kill -0 "${service#*:}" 2>/dev/null; then
    tail -n 20 "${LOG_DIR}/${service%%:*}.log" >&2 || true
    die "${service%%:*} stopped (log above)"
  fi
done
SIM_RC=0
wait "${SIM_PID}" || SIM_RC=$?
SIM_PID=""
if [[ "${SIM_RC}" -ne 0 ]]; then
  die "city-sim exited (code ${SIM_RC})"
fi
# A run with --duration ends here: the simulator finished, everything stops.
log "city-sim finished; stopping everything"
exit 0
