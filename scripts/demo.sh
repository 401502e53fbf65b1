#!/usr/bin/env bash
# The main job on the bundled default: the first camera if there is one,
# else the sample clip; headless when there is no display.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${1:-build/emoscope}
out=${EMO_DEMO_OUT:-$root/out/demo}
mkdir -p "$out"
if ls /dev/video* >/dev/null 2>&1 && [ -n "${DISPLAY:-}" ]; then
  echo "demo: camera found, opening the live viewer (q quits); outputs in $out"
  exec "$bin" run --general.output_dir="$out"
fi
clip=data/video/d6.mp4
echo "demo: analysing the sample clip $clip; outputs in $out"
"$bin" analyze "$clip" --out "$out"
echo "demo: outputs written to $out:"
ls -l "$out"
