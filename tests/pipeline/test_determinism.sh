#!/usr/bin/env bash
# Same input, same output: two analyze runs of a clip (analysis on this
# thread, overlay on the draw thread, capture on its own) write identical
# results and events, byte for byte. And the number of analysis workers
# (general.workers: the faces of a frame analysed in parallel, each worker
# with its own model instances) changes nothing: on a 4-face clip (two
# sample clips tiled 2x2, made here with the ffmpeg program), 1, 2 and 3
# workers write identical results (with every landmark), events and summary.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
clip6=$shared/testdata/video/d6.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
[ -f "$clip6" ] || { echo "FAIL: missing test clip $clip6" >&2; exit 1; }
command -v ffmpeg > /dev/null || { echo "FAIL: the ffmpeg program is needed to make the 4-face clip" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for run in a b; do
  "$cli" analyze "$clip" --out "$tmp/$run" --no-video --no-chart > "$tmp/$run.log" 2>&1 || { cat "$tmp/$run.log"; fail "analyze $run"; }
done
[ -s "$tmp/a/results.jsonl" ] || fail "no results"
n=$(wc -l < "$tmp/a/results.jsonl")
[ "$n" -ge 70 ] || fail "only $n records"
for f in results.jsonl results.csv events.jsonl events.csv; do
  cmp "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs between two identical runs"
done
echo "ok: $n records, identical across runs"

# 4 faces, 1280x720, 2 s at 30 fps; the lower tiles start later in their clips.
tile="scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,fps=30,setsar=1"
ffmpeg -nostdin -hide_banner -v error -y -i "$clip6" -i "$clip" -ss 1 -i "$clip6" -ss 0.5 -i "$clip" \
  -filter_complex "[0:v]$tile[a];[1:v]$tile[b];[2:v]$tile[c];[3:v]$tile[d];[a][b][c][d]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0[v]" \
  -map '[v]' -t 2 -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -an "$tmp/four.mp4" || fail "ffmpeg 4-face clip"
for w in 1 2 3; do
  "$cli" analyze "$tmp/four.mp4" --out "$tmp/w$w" --no-video --no-chart --landmarks --general.workers=$w \
    > "$tmp/w$w.log" 2>&1 || { cat "$tmp/w$w.log"; fail "analyze workers=$w"; }
done
python3 - "$tmp/w1/results.jsonl" <<'PY' || fail "4-face clip: expected 4 faces in most frames"
import json, sys, collections
per = collections.Counter(json.loads(l)["frame"] for l in open(sys.argv[1]))
four = sum(1 for v in per.values() if v == 4)
assert len(per) >= 55 and four >= 0.9 * len(per), (len(per), four)
print("4-face clip:", len(per), "frames,", four, "with 4 faces")
PY
for w in 2 3; do
  for f in results.jsonl results.csv events.jsonl events.csv summary.json; do
    cmp "$tmp/w1/$f" "$tmp/w$w/$f" || fail "$f differs between 1 and $w workers"
  done
done
echo "ok: 1, 2 and 3 workers write identical results ($(wc -l < "$tmp/w1/results.jsonl") records, $(wc -l < "$tmp/w1/events.jsonl") events)"

# The emotion models every 0.1 s only: the workers run them just when the
# analysing thread's schedule says so (fresh flags and stale probabilities
# alike).
for w in 1 2; do
  "$cli" analyze "$tmp/four.mp4" --out "$tmp/i$w" --no-video --no-chart --emotion.interval=0.1 --general.workers=$w \
    > "$tmp/i$w.log" 2>&1 || { cat "$tmp/i$w.log"; fail "analyze interval 0.1 workers=$w"; }
done
grep -q '"fresh":false' "$tmp/i1/results.jsonl" || fail "emotion.interval=0.1 ran the models on every frame"
for f in results.jsonl events.jsonl summary.json; do
  cmp "$tmp/i1/$f" "$tmp/i2/$f" || fail "$f differs between 1 and 2 workers with emotion.interval=0.1"
done
echo "ok: emotion.interval=0.1, 1 and 2 workers identical"
