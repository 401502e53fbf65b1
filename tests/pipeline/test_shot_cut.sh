#!/usr/bin/env bash
# emoscope analyze on an edited clip: one second of obama.jpg, a cut, one
# second of biden.jpg with the face at the same place. The cut is counted in
# summary.json and no face id carries over it (docs/face.md, Groups).
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
a=$shared/testdata/faces/obama.jpg; b=$shared/testdata/faces/biden.jpg
for f in "$a" "$b"; do [ -f "$f" ] || { echo "FAIL: missing test image $f" >&2; exit 1; }; done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Square crops centred on each face (the detector's boxes: obama 484,279 and
# biden 578,410, about 300 px), so that both faces land at the frame's centre.
ffmpeg -nostdin -v error -y -loop 1 -t 1 -i "$a" -loop 1 -t 1 -i "$b" -filter_complex \
  "[0]crop=600:600:184:0,scale=480:480,pad=640:480:80:0,setsar=1,fps=25[x];[1]crop=700:700:228:60,scale=480:480,pad=640:480:80:0,setsar=1,fps=25[y];[x][y]concat=n=2[v]" \
  -map '[v]' -c:v libx264 -pix_fmt yuv420p "$tmp/cut.mp4" || fail "cannot make the clip"

"$cli" analyze "$tmp/cut.mp4" --no-video --out "$tmp/o" > "$tmp/log" 2>&1 || { cat "$tmp/log"; fail "analyze"; }
python3 - "$tmp/o" <<'PY' || fail "ids or the cut count are wrong"
import json, sys
d = sys.argv[1]
summ = json.load(open(d + "/summary.json"))
recs = [json.loads(l) for l in open(d + "/results.jsonl")]
before = {r["face_id"] for r in recs if r["t"] < 0.98}
after = {r["face_id"] for r in recs if r["t"] > 1.02}
print("shot_cuts", summ["shot_cuts"], "ids before", sorted(before), "after", sorted(after))
assert summ["shot_cuts"] == 1, summ["shot_cuts"]
assert len(before) == 1 and len(after) == 1, (before, after)
assert not before & after, (before, after)
PY
echo "PASS"
