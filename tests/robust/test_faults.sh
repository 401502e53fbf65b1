#!/usr/bin/env bash
# Faults during `emoscope analyze`, end to end with the real CLI:
# - SIGTERM mid-run: exit 4, results so far complete, video finalised;
# - output disk full (a 300 KiB tmpfs when this user may mount one) and a
#   file-size limit (RLIMIT_FSIZE: SIGXFSZ must not kill the program):
#   a clear error, exit 1, every JSONL/CSV line whole, as many CSV rows as
#   JSONL records;
# - a [model.NAME] section naming a missing or corrupt file: exit 5, the
#   message names the file.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
long=$shared/testdata/video/d6.mp4
[ -f "$clip" ] && [ -f "$long" ] || { echo "FAIL: missing test clips" >&2; exit 1; }
tmp=$(mktemp -d)
mnt=""
cleanup() { [ -n "$mnt" ] && umount "$mnt" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Every line of results.jsonl is a whole JSON object, every CSV row has the
# header's column count, and both hold the same records.
check_whole() { # DIR
  python3 - "$1" <<'PY'
import csv, json, sys
d = sys.argv[1]
raw = open(d + "/results.jsonl", "rb").read()
assert raw == b"" or raw.endswith(b"\n"), "results.jsonl ends inside a record"
recs = [json.loads(l) for l in raw.decode().splitlines()]
craw = open(d + "/results.csv", "rb").read()
assert craw == b"" or craw.endswith(b"\n"), "results.csv ends inside a row"
rows = list(csv.reader(craw.decode().splitlines()))
if rows:
    assert all(len(r) == len(rows[0]) for r in rows), "a CSV row with a wrong column count"
    rows = rows[1:]
assert len(rows) == len(recs), ("CSV rows", len(rows), "JSONL records", len(recs))
for r, row in zip(recs, rows):
    assert int(row[0]) == r["frame"] or str(r["frame"]) in row, (r["frame"], row[:3])
print("  %d whole records in JSONL and CSV" % len(recs))
PY
}

# --- SIGTERM during analyze
"$cli" analyze "$long" --out "$tmp/t" > "$tmp/t.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/t/results.jsonl" ] && break; sleep 0.1; done
sleep 1; kill -TERM $pid; wait $pid; st=$?
echo "SIGTERM: exit $st"
[ $st -eq 4 ] || { cat "$tmp/t.log"; fail "SIGTERM must exit 4, got $st"; }
grep -q "interrupted; the results up to frame" "$tmp/t.log" || fail "SIGTERM: no message"
check_whole "$tmp/t" || fail "SIGTERM: results not whole"
python3 -c "import json; json.load(open('$tmp/t/summary.json'))" || fail "SIGTERM: summary.json invalid"
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/t/annotated.mp4")
w=$(sed -n 's/^video: .* (\([0-9]*\) frames)$/\1/p' "$tmp/t.log")
echo "  annotated.mp4: $n frames readable, $w written"
[ -n "$n" ] && [ "$n" = "$w" ] && [ "$n" -gt 0 ] || fail "SIGTERM: annotated video not finalised ($n of $w)"

# --- disk full: a small tmpfs (root only), else skipped in favour of the file-size limit below
mkdir "$tmp/mnt"
if mount -t tmpfs -o size=300k tmpfs "$tmp/mnt" 2>/dev/null; then
  mnt=$tmp/mnt
  "$cli" analyze "$clip" --out "$mnt/o" --no-chart > "$tmp/d.log" 2>&1; st=$?
  echo "disk full (300 KiB tmpfs): exit $st"; grep -E "error|failed" "$tmp/d.log" | grep -v '^\[' | head -3
  [ $st -eq 1 ] || { cat "$tmp/d.log"; fail "disk full must exit 1, got $st"; }
  grep -q "No space left on device" "$tmp/d.log" || fail "disk full: no clear message"
  check_whole "$mnt/o" || fail "disk full: half-written record"
  umount "$mnt"; mnt=""
else
  echo "disk full: cannot mount a tmpfs here (not root); the file-size limit below stands in"
fi

# --- file-size limit: results.jsonl hits 120 KiB mid-run
bash -c "ulimit -f 120; exec \"$cli\" analyze \"$clip\" --out \"$tmp/f\" --no-chart" > "$tmp/f.log" 2>&1; st=$?
echo "file-size limit: exit $st"; grep -E "error|failed" "$tmp/f.log" | grep -v '^\[' | head -3
[ $st -ne $((128 + 25)) ] || fail "killed by SIGXFSZ"
[ $st -eq 1 ] || { cat "$tmp/f.log"; fail "file-size limit must exit 1, got $st"; }
grep -q "File too large" "$tmp/f.log" || fail "file-size limit: no clear message"
grep -q "^status: failed" "$tmp/f.log" || fail "file-size limit: status line"
check_whole "$tmp/f" || fail "file-size limit: half-written record"

# --- [model.NAME] naming a missing, then a corrupt file
cat > "$tmp/m.ini" <<INI
[emotion]
models = mini_xception,mine
[model.mine]
file = $tmp/missing_model.hdf5
size = 64x64
gray = true
scale = pm1
labels = angry, disgust, fear, happy, sad, surprise, neutral
INI
"$cli" analyze "$clip" --config "$tmp/m.ini" --out "$tmp/mo" > "$tmp/m.log" 2>&1; st=$?
echo "missing [model.mine] file: exit $st"; grep -v '^\[' "$tmp/m.log" | head -2
[ $st -eq 5 ] || fail "missing extra model must exit 5, got $st"
grep -q "$tmp/missing_model.hdf5" "$tmp/m.log" || fail "missing extra model not named"
head -c 5000 /dev/urandom > "$tmp/missing_model.hdf5"
"$cli" analyze "$clip" --config "$tmp/m.ini" --out "$tmp/mo" > "$tmp/m.log" 2>&1; st=$?
echo "corrupt [model.mine] file: exit $st"; grep -v '^\[' "$tmp/m.log" | head -2
[ $st -eq 5 ] || fail "corrupt extra model must exit 5, got $st"
grep -q "$tmp/missing_model.hdf5" "$tmp/m.log" || fail "corrupt extra model not named"
# A truncated real Keras file, too.
head -c 200000 "$EMO_MODELS_DIR/fer2013_mini_XCEPTION.102-0.66.hdf5" > "$tmp/missing_model.hdf5"
"$cli" analyze "$clip" --config "$tmp/m.ini" --out "$tmp/mo" > "$tmp/m.log" 2>&1; st=$?
echo "truncated [model.mine] file: exit $st"; grep -v '^\[' "$tmp/m.log" | head -2
[ $st -eq 5 ] || fail "truncated extra model must exit 5, got $st"
grep -q "$tmp/missing_model.hdf5" "$tmp/m.log" || fail "truncated extra model not named"
echo "PASS"
