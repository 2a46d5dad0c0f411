#!/usr/bin/env bash
# Sets everything up on a Debian 12 machine (packages, build) and runs the whole test suite.
# Extra arguments are passed to ctest (e.g. -R rope_math).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 1200 "$@"
