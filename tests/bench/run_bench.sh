#!/usr/bin/env bash
# What run_ingest_bench.sh and run_correlation_bench.sh share: runs benchmark
# BENCH against service SERVICE, both already built in BUILD_DIR, against the
# stack whose settings are in the environment. Starts and builds nothing.
#
#   tests/bench/run_bench.sh BENCH SERVICE BUILD_DIR [BENCH flags...]
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 BENCH SERVICE BUILD_DIR [flags...]" >&2
  exit 2
fi
BENCH_NAME="$1"
SERVICE_NAME="$2"
BUILD_DIR="$3"
shift 3

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="${BUILD_DIR}/tests/bench/${BENCH_NAME}"
SERVICE="${BUILD_DIR}/services/${SERVICE_NAME}/${SERVICE_NAME}"

for bin in "${BENCH}" "${SERVICE}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} is not built (ninja -C ${BUILD_DIR} ${BENCH_NAME} ${SERVICE_NAME})" >&2
    exit 2
  fi
done
if [[ -z "${CITYOPS_KAFKA_BOOTSTRAP:-}" || -z "${CITYOPS_PG_ADMIN_DSN:-}" ]]; then
  echo "$0: CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN are not set;" \
       "start the stack and load its settings: eval \"\$(deploy/local/stack.sh env)\"" >&2
  exit 2
fi

exec "${BENCH}" --service-binary "${SERVICE}" --topics-file "${REPO_ROOT}/deploy/topics.json" "$@"
