#!/usr/bin/env bash
# The test command: installs what is missing, builds the suite (warnings as
# errors), checks formatting, builds and runs the unit tests once more under
# AddressSanitizer and UndefinedBehaviorSanitizer, starts a test stack (Kafka
# and PostgreSQL on ports of their own, in .state/test) and runs every test
# with ctest. Stops the test stack on the way out.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"
log() { printf '[cityops-test] %s\n' "$*" >&2; }

JOBS="${CITYOPS_BUILD_JOBS:-$(nproc)}"
BUILD_DIR="${CITYOPS_BUILD_DIR:-build}"
ASAN_DIR="${CITYOPS_ASAN_BUILD_DIR:-build-asan}"

log "1/6 dependencies"
deploy/local/install-deps.sh

log "2/6 build (${BUILD_DIR}, warnings as errors)"
cmake -G Ninja -S . -B "${BUILD_DIR}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITYOPS_WERROR=ON >/dev/null
ninja -C "${BUILD_DIR}" -j "${JOBS}"

log "3/6 formatting and lint"
deploy/lint.sh "${BUILD_DIR}"

log "4/6 unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (${ASAN_DIR})"
cmake -G Ninja -S . -B "${ASAN_DIR}" -DCMAKE_BUILD_TYPE=Debug -DCITYOPS_SANITIZE=ON -DCITYOPS_UNIT_TESTS_ONLY=ON \
  -DCITYOPS_WERROR=ON >/dev/null
ninja -C "${ASAN_DIR}" -j "${JOBS}"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "${ASAN_DIR}" -L unit --output-on-failure -j "${JOBS}"

log "5/6 test stack"
export CITYOPS_STATE_DIR="${REPO_ROOT}/.state/test"
export CITYOPS_KAFKA_PORT="${CITYOPS_TEST_KAFKA_PORT:-29092}"
export CITYOPS_KAFKA_CONTROLLER_PORT="${CITYOPS_TEST_KAFKA_CONTROLLER_PORT:-29093}"
export CITYOPS_PG_PORT="${CITYOPS_TEST_PG_PORT:-25432}"
trap 'deploy/local/stack.sh stop || true' EXIT
deploy/local/stack.sh start
eval "$(deploy/local/stack.sh env)"

log "6/6 all tests (unit and integration, on the real Kafka and PostgreSQL)"
ctest --test-dir "${BUILD_DIR}" --output-on-failure -j "${CITYOPS_TEST_JOBS:-2}"
