#!/usr/bin/env bash
# valgrind memcheck on the analysis itself, on every x86-64 machine: the
# vg_analyze program (vg_analyze.c) runs what `emoscope analyze` runs
# (models, face tracking, emotions, motion, overlay drawing, result records,
# summary and chart) on raw BGRA frames that the ffmpeg CLI decodes here,
# outside valgrind. vg_analyze is linked without libavcodec and libavformat,
# so it never loads libjxl and libhwy, whose RDTSCP valgrind 3.19 may refuse
# (see test_valgrind.sh); this is checked before the run.
set -u
: "${EMO_CLI:?}"; shared=${EMO_SHARED_DIR:?}; models=${EMO_MODELS_DIR:?}
prog=${EMO_VG_ANALYZE:?}
. "$(dirname "$0")/valgrind_lib.sh"
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || fail "missing test clip $clip"
[ -x "$prog" ] || fail "no program $prog"
command -v ffmpeg >/dev/null || fail "the ffmpeg program is needed to decode the test frames (apt-get install ffmpeg)"
vg_require "$prog"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

read -r w h < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$clip" | tr ',' ' ')
ffmpeg -v error -nostdin -i "$clip" -frames:v 4 -f rawvideo -pix_fmt bgra -y "$tmp/frames.bgra" ||
  fail "ffmpeg could not decode $clip"
[ "$(stat -c %s "$tmp/frames.bgra")" -eq $((w * h * 4 * 4)) ] || fail "ffmpeg did not give 4 frames of ${w}x$h"
mkdir "$tmp/o" "$tmp/native"
# The process must not map any of the codec libraries, neither as a direct
# dependency nor as a dependency of one, nor by dlopen() during the run:
# checked with ldd and on a run outside valgrind with LD_DEBUG.
bad='lib\(hwy\|jxl\|avcodec\|avformat\|avdevice\)\.so'
if ldd "$prog" | grep "$bad"; then fail "$prog depends on a codec library"; fi
LD_DEBUG=libs "$prog" "$tmp/frames.bgra" "$w" "$h" 25 "$models" "$tmp/native" 2>"$tmp/ld.log" >/dev/null ||
  { tail -5 "$tmp/ld.log"; fail "$prog failed outside valgrind"; }
grep -q "calling init:" "$tmp/ld.log" || fail "LD_DEBUG=libs reported nothing: cannot check what is loaded"
if grep -m5 "$bad" "$tmp/ld.log"; then fail "$prog loads a codec library at run time"; fi
echo "libraries initialised: $(grep -c 'calling init:' "$tmp/ld.log"), none of libavcodec, libavformat, libjxl, libhwy"
vg_run "$tmp/vg.log" "$tmp/out.log" "$prog" "$tmp/frames.bgra" "$w" "$h" 25 "$models" "$tmp/o"
why=$(vg_unhandled "$tmp/vg.log")
[ -z "$why" ] || skip "$why, in a program that loads no codec library"
vg_verdict "$tmp/vg.log" "$tmp/out.log"
cat "$tmp/out.log"
grep -q "^records: 4, events: [0-9]*, faces: 4, drawn: 4, frames: 4$" "$tmp/out.log" ||
  fail "the 4 frames were not all analysed, with their face, and drawn"
for f in frames.jsonl frames.csv events.jsonl events.csv summary.json timeline.png timeline.svg; do
  [ -e "$tmp/o/$f" ] || fail "$f not written"
done
for f in frames.jsonl frames.csv summary.json timeline.png timeline.svg; do
  [ -s "$tmp/o/$f" ] || fail "$f is empty"
done
[ "$(wc -l <"$tmp/o/frames.jsonl")" -eq 4 ] || fail "frames.jsonl does not hold 4 records"
echo "PASS"
