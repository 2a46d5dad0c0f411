#!/usr/bin/env bash
# Sets everything up on a Debian 12 machine (packages, build) and runs the whole test suite.
# Extra arguments are passed to ctest (e.g. -R rope_math).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 1200 "$@"
# The parsers' fuzz targets, a short smoke run each (tests/fuzz), where clang has libFuzzer;
# not when ctest was given a selection, nor with ROPE_FUZZ_SECONDS=0.
if [ $# -eq 0 ] && [ "${ROPE_FUZZ_SECONDS:-30}" != 0 ]; then
  ROPE_FUZZ_OPTIONAL=1 ROPE_FUZZ_SEED=${ROPE_FUZZ_SEED:-1} bash scripts/fuzz.sh "${ROPE_FUZZ_SECONDS:-30}"
fi
