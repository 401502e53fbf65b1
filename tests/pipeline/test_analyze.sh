#!/usr/bin/env bash
# emoscope analyze end to end on a real clip: every output exists, parses and
# agrees with the others; broken input, interruption, missing models and an
# unwritable output folder end cleanly with the documented exit statuses.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cli" analyze "$clip" --out "$tmp/a" > "$tmp/a.log" 2>&1; st=$?
cat "$tmp/a.log"
[ $st -eq 0 ] || fail "analyze exit $st"
for f in annotated.mp4 results.jsonl results.csv events.jsonl events.csv summary.json timeline.png timeline.svg; do
  [ -s "$tmp/a/$f" ] || [ "$f" = events.jsonl ] || [ "$f" = events.csv ] || fail "missing output $f"
done
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip")
out_frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/a/annotated.mp4")
[ "$frames" = "$out_frames" ] || fail "annotated video has $out_frames frames, input $frames"

python3 - "$tmp/a" "$frames" <<'PY' || fail "outputs disagree"
import csv, json, struct, sys
d, frames = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(d + "/results.jsonl")]
rows = list(csv.DictReader(open(d + "/results.csv")))
assert len(recs) == len(rows), (len(recs), len(rows))
# One face in this clip, tracked in (nearly) every frame with one id.
ids = {r["face_id"] for r in recs}
assert len(ids) == 1, ids
assert len(recs) >= 0.99 * frames, (len(recs), frames)
idx = [r["frame"] for r in recs]
assert idx == sorted(idx) and len(set(idx)) == len(idx)
for r, row in zip(recs, rows):
    assert int(row["frame"]) == r["frame"] and int(row["face_id"]) == r["face_id"]
    fused = r["emotion"]["fused"]
    assert abs(sum(fused.values()) - 1) < 1e-3, fused
    assert r["emotion"]["dominant"] == max(r["emotion"]["smoothed"], key=r["emotion"]["smoothed"].get)
    assert abs(float(row["emotion.fused.happy"]) - fused["happy"]) < 1e-6
    x, y, w, h = r["box"]
    assert w > 20 and h > 20
summ = json.load(open(d + "/summary.json"))
assert summ["frames_analysed"] == frames, summ["frames_analysed"]
assert summ["shot_cuts"] == 0, summ["shot_cuts"]  # one shot
f = summ["faces"][0]
assert f["frames"] == len(recs)
events = [json.loads(l) for l in open(d + "/events.jsonl")]
by = f["events_by_type"]
assert len(events) == len(f["events"]) == sum(by.values()), by
assert by["expression"] == f["micro_expressions"] + f["macro_expressions"] + f["expression_twitches"]
assert f["blinks"] == by["blink"]
ev_rows = list(csv.DictReader(open(d + "/events.csv"))) if events else []
assert len(ev_rows) == len(events)
for e, row in zip(events, ev_rows):
    assert e["onset_frame"] <= e["apex_frame"] <= e["offset_frame"]
    assert e["type"] in ("expression", "blink", "speech", "head"), e["type"]
    # Only expression events have a class (null in JSONL, an empty CSV cell otherwise).
    assert (e["class"] in ("micro", "macro", "twitch")) == (e["type"] == "expression"), e
    assert row["class"] == (e["class"] or "")
for r in recs:
    assert isinstance(r["motion"]["speaking"], bool)
# Time per dominant emotion adds up to the tracked time.
span = f["last_t"] - f["first_t"]
assert abs(sum(f["dominant_seconds"].values()) - span) < 0.1, (f["dominant_seconds"], span)
w, h = struct.unpack(">II", open(d + "/timeline.png", "rb").read()[16:24])
assert (w, h) == (1600, 900), (w, h)
assert 'width="1600' in open(d + "/timeline.svg").read(2000)
PY

# A truncated copy (moov first, so that the frames before the cut are
# readable): exit 3, the results so far complete and valid, video finalised.
ffmpeg -v error -i "$clip" -c copy -movflags +faststart "$tmp/fast.mp4" || fail "ffmpeg faststart copy"
head -c $(( $(stat -c %s "$tmp/fast.mp4") * 45 / 100 )) "$tmp/fast.mp4" > "$tmp/cut.mp4"
"$cli" analyze "$tmp/cut.mp4" --out "$tmp/c" > "$tmp/c.log" 2>&1; st=$?
[ $st -eq 3 ] || { cat "$tmp/c.log"; fail "truncated input must exit 3, got $st"; }
python3 -c "
import json,sys
n=0
for l in open('$tmp/c/results.jsonl'): json.loads(l); n+=1
assert n>0, n
json.load(open('$tmp/c/summary.json'))
" || fail "results of a truncated input invalid"
ffprobe -v error "$tmp/c/annotated.mp4" || fail "annotated video of a truncated input not finalised"

# Random bytes: a clear error, exit 1, no crash.
head -c 200000 /dev/urandom > "$tmp/random.mp4"
"$cli" analyze "$tmp/random.mp4" --out "$tmp/r" > "$tmp/r.log" 2>&1; st=$?
[ $st -eq 1 ] || fail "random input must exit 1, got $st"
grep -q "cannot open" "$tmp/r.log" || fail "random input message"

# SIGINT during analyze: exit 4, outputs complete.
"$cli" analyze "$shared/testdata/video/d6.mp4" --out "$tmp/i" > "$tmp/i.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/i/results.jsonl" ] && break; sleep 0.1; done
sleep 1; kill -INT $pid; wait $pid; st=$?
[ $st -eq 4 ] || { cat "$tmp/i.log"; fail "SIGINT must exit 4, got $st"; }
python3 -c "
import json
n=sum(1 for l in open('$tmp/i/results.jsonl') if json.loads(l))
assert n>0
json.load(open('$tmp/i/summary.json'))
" || fail "results after SIGINT invalid"
ffprobe -v error "$tmp/i/annotated.mp4" || fail "annotated video after SIGINT not finalised"

# A missing or corrupt model: exit 5 naming the file.
mkdir "$tmp/m"; cp "$EMO_MODELS_DIR"/* "$tmp/m/"; rm "$tmp/m/face_landmark.tflite"
"$cli" analyze "$clip" --out "$tmp/mm" --general.models_dir="$tmp/m" > "$tmp/m.log" 2>&1; st=$?
[ $st -eq 5 ] || fail "missing model must exit 5, got $st"
grep -q "face_landmark.tflite" "$tmp/m.log" || fail "missing model not named"
cp "$EMO_MODELS_DIR/face_landmark.tflite" "$tmp/m/"; head -c 1000 /dev/urandom >> "$tmp/m/fer_vgg.hdf5"
"$cli" analyze "$clip" --out "$tmp/mm" --general.models_dir="$tmp/m" > "$tmp/m.log" 2>&1; st=$?
[ $st -eq 5 ] || fail "corrupt model must exit 5, got $st"
grep -q "fer_vgg.hdf5.*checksum mismatch" "$tmp/m.log" || fail "corrupt model not named"

# Unwritable output folder: a clear error.
"$cli" analyze "$clip" --out /proc/emoscope-cannot-write > "$tmp/u.log" 2>&1; st=$?
[ $st -eq 1 ] || fail "unwritable output must exit 1, got $st"
grep -q "cannot create output folder" "$tmp/u.log" || fail "unwritable output message"
echo "analyze: all checks passed"
