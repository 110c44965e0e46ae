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

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [ingest_bench flags...]" >&2
  exit 2
fi
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" ingest_bench telemetry-ingest "$@"
