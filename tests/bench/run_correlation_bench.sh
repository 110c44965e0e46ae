#!/usr/bin/env bash
# Runs the incident-correlation benchmark with binaries already built in
# BUILD_DIR, against the stack whose settings are in the environment. Starts
# and builds nothing.
#
#   eval "$(deploy/local/stack.sh env)"
#   ninja -C BUILD_DIR correlation_bench incident-correlation
#   tests/bench/run_correlation_bench.sh BUILD_DIR [--json FILE] [other correlation_bench flags...]
#
# Flags after BUILD_DIR go to correlation_bench as they are (--scale, --rate,
# --duration, --rounds, --flood, --seed, --service-arg, --no-restart, --keep...).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [correlation_bench flags...]" >&2
  exit 2
fi
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" correlation_bench incident-correlation "$@"
