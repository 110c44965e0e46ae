#!/usr/bin/env bash
# Runs the resident-calls benchmark with binaries already built in BUILD_DIR,
# against the stack whose settings are in the environment. Starts and builds
# nothing.
#
#   eval "$(deploy/local/stack.sh env)"
#   ninja -C BUILD_DIR calls_bench resident-calls
#   tests/bench/run_calls_bench.sh BUILD_DIR [--json FILE] [other calls_bench flags...]
#
# Flags after BUILD_DIR go to calls_bench as they are (--per-day, --days,
# --calls, --clients, --rounds, --restarts, --preload-clients, --seed,
# --only, --service-arg, --service-log, --keep...).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [calls_bench flags...]" >&2
  exit 2
fi
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" calls_bench resident-calls "$@"
