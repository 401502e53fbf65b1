#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang and runs each for
# FUZZ_SECONDS, seeding the corpus from real files (fuzz/seeds.txt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
# A fixed seed (the smoke pass of `make test`) makes a run repeatable.
seed_opt=${FUZZ_SEED:+-seed=$FUZZ_SEED}
shared=${EMO_SHARED_DIR:-$root/../shared}
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMO_FUZZ=ON -DEMO_TESTS=OFF -DEMO_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  # Seeds: lines "<target> <path relative to shared or project>".
  if [ -f fuzz/seeds.txt ]; then
    while read -r t p; do
      [ "$t" = "$name" ] || continue
      for f in $shared/$p $root/$p; do [ -f "$f" ] && cp "$f" "$corpus/" || true; done
    done < fuzz/seeds.txt
  fi
  echo "fuzz: $name for ${secs}s"
  if ! "$bin" $seed_opt -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$corpus" \
       >"$build/$name.log" 2>&1; then
    echo "fuzz: $name FAILED, see $build/$name.log" >&2
    tail -40 "$build/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units" "$build/$name.log" || true
  fi
done
exit $status
