#!/usr/bin/env bash
# Builds and runs the gateway benchmark against the stack whose settings are
# in the environment (it starts no stack).
#
#   eval "$(deploy/local/stack.sh env)"
#   tests/bench/run_gateway_bench.sh [BUILD_DIR] [gateway_bench flags...]
#
# BUILD_DIR defaults to build. The script builds gateway_bench, gateway,
# incident-correlation and resident-calls there (ninja -j1 when compilers of
# another build are running; after another ninja working in the same folder
# has finished, so that two do not write its logs at once), then runs the
# bench with those binaries. Without --json the results go to
# tests/bench/results/gateway-<UTC date>.json. Flags go to gateway_bench as
# they are (--calls, --warmup, --clients, --operators, --events, --feed-rate,
# --restarts, --gateway-arg, --service-log, --keep...).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="build"
if [[ $# -gt 0 && "$1" != -* ]]; then
  BUILD_DIR="$1"
  shift
fi
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  echo "usage: $0 [BUILD_DIR] [gateway_bench flags...]" >&2
  exit 2
fi
if [[ -z "${CITYOPS_KAFKA_BOOTSTRAP:-}" || -z "${CITYOPS_PG_ADMIN_DSN:-}" ]]; then
  echo "$0: CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN are not set;" \
       "start the stack and load its settings: eval \"\$(deploy/local/stack.sh env)\"" >&2
  exit 2
fi

# Another ninja in the same build folder: wait for it (at most 20 minutes).
build_abs="$(cd "${BUILD_DIR}" && pwd)"
other_ninja() {
  local pid
  for pid in $(pgrep -x ninja || true); do
    local cwd dir="" prev="" arg
    cwd="$(readlink "/proc/${pid}/cwd" 2>/dev/null || true)"
    [[ -n "${cwd}" ]] || continue
    while IFS= read -r -d '' arg; do
      [[ "${prev}" == -C ]] && dir="${arg}"
      [[ "${arg}" == -C?* ]] && dir="${arg#-C}"
      prev="${arg}"
    done <"/proc/${pid}/cmdline" 2>/dev/null || true
    [[ -z "${dir}" ]] && dir="."
    [[ "${dir}" != /* ]] && dir="${cwd}/${dir}"
    if [[ "$(cd "${dir}" 2>/dev/null && pwd -P)" == "$(cd "${build_abs}" && pwd -P)" ]]; then
      return 0
    fi
  done
  return 1
}
waited=0
while other_ninja; do
  if [[ ${waited} -eq 0 ]]; then echo "another ninja is building in ${BUILD_DIR}; waiting for it..." >&2; fi
  if [[ ${waited} -ge 1200 ]]; then
    echo "$0: another ninja still builds in ${BUILD_DIR} after 20 minutes; giving up" >&2
    exit 2
  fi
  sleep 5
  waited=$((waited + 5))
done
jobs=()
if pgrep -x cc1plus >/dev/null || pgrep -x clang-tidy-14 >/dev/null || pgrep -x ninja >/dev/null; then
  jobs=(-j1)
fi
ninja -C "${BUILD_DIR}" "${jobs[@]}" gateway_bench gateway incident-correlation resident-calls

have_json=0
for arg in "$@"; do
  [[ "${arg}" == --json || "${arg}" == --json=* ]] && have_json=1
done
extra=()
if [[ ${have_json} -eq 0 ]]; then
  extra+=(--json "${REPO_ROOT}/tests/bench/results/gateway-$(date -u +%F).json")
fi
# Where the binaries come from: the commit, and how many files of the services
# differed from it when they were built.
if commit="$(git -C "${REPO_ROOT}" rev-parse --short HEAD 2>/dev/null)"; then
  dirty="$(git -C "${REPO_ROOT}" status --porcelain -- services proto | wc -l)"
  extra+=(--note "built from commit ${commit}; ${dirty} file(s) under services/ and proto/ differed from it")
fi

exec "${BUILD_DIR}/tests/bench/gateway_bench" \
  --gateway-binary "${BUILD_DIR}/services/gateway/gateway" \
  --correlation-binary "${BUILD_DIR}/services/incident-correlation/incident-correlation" \
  --calls-binary "${BUILD_DIR}/services/resident-calls/resident-calls" \
  --topics-file "${REPO_ROOT}/deploy/topics.json" \
  "${extra[@]}" "$@"
