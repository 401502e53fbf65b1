#!/usr/bin/env bash
# The main job on the bundled default: `emoscope run` takes the first camera
# if there is one, else the sample clip data/video/d6.mp4; with a display it
# opens the viewer window, without one it runs headless and writes its
# outputs (results, events, summary, chart, annotated video).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${1:-build/emoscope}
out=${EMO_DEMO_OUT:-$root/out/demo}
mkdir -p "$out"
echo "demo: outputs go to $out"
status=0
"$bin" run --out "$out" || status=$?
echo "demo: done (exit status $status); outputs in $out:"
ls -l "$out"
exit $status
