#!/usr/bin/env bash
# Fuzzes the parsers: builds the libFuzzer targets of tests/fuzz with clang (AddressSanitizer +
# UBSan) in build-fuzz/ and runs each for SECONDS (default 60) on a copy of its seed corpus.
#   scripts/fuzz.sh [SECONDS] [CTEST_ARGS...]     e.g. scripts/fuzz.sh 600 -R tokens
# Exits non-zero when a target crashes, leaks, hangs or runs out of memory; the input that did
# it is kept as build-fuzz/tests/fuzz/smoke/<target>/crash-* (timeout-*, oom-*, leak-*), and
# `build-fuzz/fuzz/<target> FILE` replays it. Add it to tests/fixtures/bad-inputs once fixed.
# Environment: CXX_FUZZ (default clang++), ROPE_BUILD_JOBS (default 2), ROPE_FUZZ_SEED (default
# 0: random; scripts/test.sh fixes 1 so that CI's runs replay), ROPE_FUZZ_OPTIONAL=1
# (skip with exit code 0 where the compiler has no libFuzzer, as scripts/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
cxx=${CXX_FUZZ:-clang++}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$probe/p.cpp"
if ! "$cxx" -fsanitize=fuzzer "$probe/p.cpp" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz: $cxx cannot link -fsanitize=fuzzer (Debian: apt install clang); not fuzzing" >&2
  [ "${ROPE_FUZZ_OPTIONAL:-0}" = 1 ] && exit 0
  exit 1
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DROPE_BUILD_GUI=OFF -DROPE_FUZZ=ON
fi
cmake -S . -B build-fuzz -DROPE_FUZZ_SMOKE_SECONDS="$seconds" -DROPE_FUZZ_SEED="${ROPE_FUZZ_SEED:-0}" \
  >/dev/null
cmake --build build-fuzz -j "${ROPE_BUILD_JOBS:-2}" --target fuzz_all
# One target at a time: each gets the whole machine for its SECONDS.
ctest --test-dir build-fuzz -L fuzz --output-on-failure --timeout $((seconds * 2 + 120)) "$@"
