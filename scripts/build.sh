#!/usr/bin/env bash
# Configures and builds everything into build/ (binaries in build/bin). Two parallel jobs:
# LibTorch translation units need about 1.5 GB of memory each.
# Extra arguments are passed to CMake's configure step (e.g. -DROPE_BUILD_GUI=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
cmake --build build -j "${ROPE_BUILD_JOBS:-2}"
