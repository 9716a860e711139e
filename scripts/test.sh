#!/usr/bin/env bash
# Quick start, command 2: set everything up, then run the whole test suite with ctest:
# unit tests, fuzz-corpus replays, and end-to-end tests with FFmpeg as the client.
#   scripts/test.sh              everything in the default run
#   scripts/test.sh -L unit      only one label (unit, fuzz, e2e)
#   scripts/test.sh --sanitize   the same under AddressSanitizer + UBSan (in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --sanitize ]]; then
  shift
  export BUILD_DIR=build-asan MCU_CMAKE_FLAGS="-DMCU_SANITIZE=ON"
fi
bash scripts/setup.sh
cd "${BUILD_DIR:-build}"
exec ctest --output-on-failure --timeout 300 "$@"
