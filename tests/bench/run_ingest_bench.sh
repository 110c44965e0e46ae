#!/usr/bin/env bash
# Runs the ingest benchmark with binaries already built in BUILD_DIR, against
# the stack whose settings are in the environment. Starts and builds nothing.
#
#   eval "$(deploy/local/stack.sh env)"
#   ninja -C BUILD_DIR ingest_bench telemetry-ingest
#   tests/bench/run_ingest_bench.sh BUILD_DIR [--json FILE] [other ingest_bench flags...]
#
# Flags after BUILD_DIR go to ingest_bench as they are (--readings, --batch,
# --streams, --inflight, --rounds, --assets, --service-arg, --no-drain, --keep...).
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--json FILE] [ingest_bench flags...]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
case "$1" in -h|--help) usage ;; esac
BUILD_DIR="$1"
shift

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="${BUILD_DIR}/tests/bench/ingest_bench"
SERVICE="${BUILD_DIR}/services/telemetry-ingest/telemetry-ingest"

for bin in "${BENCH}" "${SERVICE}"; do
  if [[ ! -x "${bin}" ]]; then
    echo "$0: ${bin} is not built (ninja -C ${BUILD_DIR} ingest_bench telemetry-ingest)" >&2
    exit 2
  fi
done
if [[ -z "${CITYOPS_KAFKA_BOOTSTRAP:-}" || -z "${CITYOPS_PG_ADMIN_DSN:-}" ]]; then
  echo "$0: CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN are not set;" \
       "start the stack and load its settings: eval \"\$(deploy/local/stack.sh env)\"" >&2
  exit 2
fi

exec "${BENCH}" --service-binary "${SERVICE}" --topics-file "${REPO_ROOT}/deploy/topics.json" "$@"
