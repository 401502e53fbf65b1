#!/usr/bin/env bash
# The batch floor of issue 19: the six shared clips analysed one at a time
# (`emoscope analyze`, the sum of their wall times) against one
# `emoscope batch --jobs N` over the same clips, same settings and outputs;
# then a rerun of the finished batch (nothing to analyse). Prints wall and
# CPU seconds of each, the ratio, and checks that the batch's result files
# equal analyze's byte for byte. What else runs on the machine changes the
# figures: the load and a two-thread spin calibration (how much of two
# cores this process really gets) are printed before and after.
# usage: scripts/bench-batch.sh [CLI] [JOBS] [extra options for both...]
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${1:-$root/build/emoscope}
jobs=${2:-2}
shift $(($# > 2 ? 2 : $#))
shared=$(cd "${EMO_SHARED_DIR:-$root/../shared}" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Seconds a busy loop takes on 1 and on 2 threads: 2 cores free give the same.
calibrate() {
  python3 - <<'PY'
import threading, time
def spin(n=3_000_000):
    x = 0
    for i in range(n):
        x += i
import multiprocessing as mp
def run(k):
    ps = [mp.Process(target=spin) for _ in range(k)]
    t = time.monotonic()
    for p in ps: p.start()
    for p in ps: p.join()
    return time.monotonic() - t
one, two = run(1), run(2)
print(f"spin calibration: 1 process {one:.2f} s, 2 processes {two:.2f} s (parallel capacity {2 * one / two:.2f} of 2 cores)")
PY
}
timed() { # label command...: wall and CPU seconds of the command (children included)
  local label=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "$label failed" >&2; exit 1; }
  read -r w u s <"$tmp/time"
  echo "$w $(echo "$u + $s" | bc)"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; calibrate
sum_w=0; sum_c=0
for clip in "$shared"/testdata/video/d*.mp4; do
  name=$(basename "$clip" .mp4)
  read -r w c < <(timed "analyze $name" "$cli" analyze "$clip" --out "$tmp/one/$name" "$@")
  printf 'analyze %-4s wall %7.2f s  cpu %7.2f s\n' "$name" "$w" "$c"
  sum_w=$(echo "$sum_w + $w" | bc); sum_c=$(echo "$sum_c + $c" | bc)
done
printf 'one at a time (sum)  wall %7.2f s  cpu %7.2f s\n' "$sum_w" "$sum_c"
read -r bw bc_ < <(timed batch "$cli" batch "$shared"/testdata/video/d*.mp4 --out "$tmp/batch" --jobs "$jobs" --quiet "$@")
printf 'batch --jobs %-2s      wall %7.2f s  cpu %7.2f s  ratio %.3f (floor: <= 0.6)\n' "$jobs" "$bw" "$bc_" \
  "$(echo "scale=4; $bw / $sum_w" | bc)"
read -r rw rc < <(timed rerun "$cli" batch "$shared"/testdata/video/d*.mp4 --out "$tmp/batch" --jobs "$jobs" --quiet "$@")
printf 'rerun (all skipped)  wall %7.2f s  cpu %7.2f s (floor: < 2 s)\n' "$rw" "$rc"
grep -c ',skipped,' "$tmp/batch/batch.csv" | sed 's/^/skipped: /'
same=0; diff=0
for d in "$tmp"/one/*; do
  name=$(basename "$d")
  for f in "$d"/*; do
    case $(basename "$f") in timeline.svg|annotated.mp4) continue ;; esac
    if cmp -s "$f" "$tmp/batch/$name/$(basename "$f")"; then same=$((same + 1)); else diff=$((diff + 1)); echo "differs: $name/$(basename "$f")"; fi
  done
done
echo "result files equal to analyze's: $same, different: $diff"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; calibrate
