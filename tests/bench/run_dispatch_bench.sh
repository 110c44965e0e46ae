#!/usr/bin/env bash
# Runs the crew-dispatch benchmark with binaries already built in BUILD_DIR,
# against the stack whose settings are in the environment. Starts and builds
# nothing.
#
#   eval "$(deploy/local/stack.sh env)"
#   ninja -C BUILD_DIR dispatch_bench crew-dispatch
#   tests/bench/run_dispatch_bench.sh BUILD_DIR [--json FILE] [other dispatch_bench flags...]
#
# Flags after BUILD_DIR go to dispatch_bench as they are (--scale, --queue,
# --samples, --rate, --duration, --job-s, --seed, --decision-only,
# --service-arg, --no-restart, --keep...).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [--json FILE] [dispatch_bench flags...]" >&2
  exit 2
fi
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" dispatch_bench crew-dispatch "$@"
