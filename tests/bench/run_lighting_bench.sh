#!/usr/bin/env bash
# Runs the lighting-control benchmark with the binary already built in
# BUILD_DIR. It is the pure domain: no broker, no database, no service.
# Builds nothing.
#
#   ninja -C BUILD_DIR lighting_bench
#   tests/bench/run_lighting_bench.sh BUILD_DIR [--json FILE] [other lighting_bench flags...]
#
# Flags after BUILD_DIR go to lighting_bench as they are (--points N
# (repeatable), --ticks N, --changes N, --seed N).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [lighting_bench flags...]" >&2
  exit 2
fi
BUILD_DIR="$1"
shift
BENCH="${BUILD_DIR}/tests/bench/lighting_bench"
if [[ ! -x "${BENCH}" ]]; then
  echo "$0: ${BENCH} is not built (ninja -C ${BUILD_DIR} lighting_bench)" >&2
  exit 2
fi
exec "${BENCH}" "$@"
