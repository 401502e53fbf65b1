#!/usr/bin/env bash
# The whole test suite: the optimised build, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, then a short fuzzing pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
shared=${EMO_SHARED_DIR:-$root/../shared}
if [ ! -d "$shared/testdata" ]; then
  echo "test: shared test data not found at $shared/testdata (set EMO_SHARED_DIR)" >&2
  exit 1
fi

echo "== tests (RelWithDebInfo, -Werror)"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEMO_SANITIZE=ON -DEMO_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$jobs" -LE slow)

if [ -d fuzz ] && ls fuzz/*.c >/dev/null 2>&1; then
  echo "== fuzz smoke"
  FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_SECONDS=${SMOKE_FUZZ_SECONDS:-5} scripts/fuzz.sh build-fuzz
fi
echo "test: all passed"
