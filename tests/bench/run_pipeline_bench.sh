#!/usr/bin/env bash
# Runs the end-to-end benchmark (fault to crew assigned, through
# incident-correlation and crew-dispatch together) with binaries already built
# in BUILD_DIR, against the stack whose settings are in the environment.
# Starts and builds nothing.
#
#   eval "$(deploy/local/stack.sh env)"
#   ninja -C BUILD_DIR pipeline_bench incident-correlation crew-dispatch
#   tests/bench/run_pipeline_bench.sh BUILD_DIR [--json FILE] [other pipeline_bench flags...]
#
# A stack of its own, beside another one (state folder and ports apart):
#
#   export CITYOPS_STATE_DIR=$PWD/.state/bench-pipeline CITYOPS_KAFKA_PORT=39092 \
#          CITYOPS_KAFKA_CONTROLLER_PORT=39093 CITYOPS_PG_PORT=35432
#   deploy/local/stack.sh start && eval "$(deploy/local/stack.sh env)"
#   tests/bench/run_pipeline_bench.sh BUILD_DIR --json pipeline-bench.json
#   deploy/local/stack.sh stop
#
# Flags after BUILD_DIR go to pipeline_bench as they are (--scale, --rate,
# --duration, --job-s, --seed, --drain-timeout, --service-log,
# --service-arg, --keep...).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [pipeline_bench flags...]" >&2
  exit 2
fi
BUILD_DIR="$1"
shift

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="${BUILD_DIR}/tests/bench/pipeline_bench"
CORRELATION="${BUILD_DIR}/services/incident-correlation/incident-correlation"
DISPATCH="${BUILD_DIR}/services/crew-dispatch/crew-dispatch"

for bin in "${BENCH}" "${CORRELATION}" "${DISPATCH}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} is not built (ninja -C ${BUILD_DIR} pipeline_bench incident-correlation crew-dispatch)" >&2
    exit 2
  fi
done
if [[ -z "${CITYOPS_KAFKA_BOOTSTRAP:-}" || -z "${CITYOPS_PG_ADMIN_DSN:-}" ]]; then
  echo "$0: CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN are not set;" \
       "start the stack and load its settings: eval \"\$(deploy/local/stack.sh env)\"" >&2
  exit 2
fi

exec "${BENCH}" --correlation-binary "${CORRELATION}" --dispatch-binary "${DISPATCH}" \
  --topics-file "${REPO_ROOT}/deploy/topics.json" "$@"
