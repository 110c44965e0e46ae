#!/usr/bin/env bash
# Formatting and lint of the project's own C++ (never generated code):
# clang-format must have nothing to change; clang-tidy runs the checks of
# .clang-tidy on the library sources, with the build's compile_commands.json.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"
BUILD_DIR="${1:-build}"

mapfile -t sources < <(git ls-files '*.h' '*.cc' | grep -E '^(services|tests)/')
clang-format --dry-run --Werror "${sources[@]}"
echo "clang-format: ${#sources[@]} files clean"

mapfile -t tidy_sources < <(git ls-files 'services/*.cc' | grep -v '/main.cc$')
run-clang-tidy -quiet -p "${BUILD_DIR}" -j "$(nproc)" "${tidy_sources[@]}" >"${BUILD_DIR}/clang-tidy.log" 2>&1 || {
  grep -E 'warning:|error:' "${BUILD_DIR}/clang-tidy.log" | head -50
  echo "clang-tidy found problems (full log: ${BUILD_DIR}/clang-tidy.log)" >&2
  exit 1
}
echo "clang-tidy: ${#tidy_sources[@]} files clean"
