#!/usr/bin/env bash
# emoscope bench --clip with a clip longer than 600 frames: every figure
# covers the whole clip. (The samples used to stop at 608 frames while the
# clock ran to the end: a 2,016-frame clip read 49 fps and 3.3 faces per
# frame for ~163 fps and one face.) The clip is the 78-frame one-face sample
# looped 9 times (702 frames) at 256x256, so that the run stays short.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
src=$shared/testdata/video/d0.mp4
[ -f "$src" ] || { echo "FAIL: missing test clip $src" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

clip=$tmp/long.mp4
ffmpeg -nostdin -hide_banner -v error -y -stream_loop 8 -i "$src" -vf scale=256:256 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -an "$clip" || fail "cannot make the long clip"
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip")
[ "$n" -gt 600 ] || fail "the looped clip has $n frames, not more than 600"

"$cli" bench --stage pipeline --clip "$clip" --faces 1 --nn-threads 1 --workers 1 --no-paced --max-seconds 0 \
  --json > "$tmp/b.log" 2>&1; st=$?
cat "$tmp/b.log"
[ $st -eq 0 ] || fail "bench exit $st"
grep -q "^1 face, 1 analysis worker (1 XNNPACK thread each), as fast as possible: $n frames in " "$tmp/b.log" ||
  fail "the printed frame count is not the clip's $n frames"
python3 - "$tmp/b.log" "$n" <<'PY' || fail "bench figures of a $n-frame clip"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
n = int(sys.argv[2])
assert len(runs) == 1, runs
r = runs[0]
assert not r["cut_short"], r
assert r["frames"] == n, (r["frames"], n)
# one face in every frame of this clip: about 1, not frames / 608
assert 0.9 <= r["faces_per_frame"] <= 1.0, r["faces_per_frame"]
# the rate is the frames counted over the time measured
assert abs(r["fps"] - r["frames"] / r["seconds"]) <= 0.01 * r["fps"], r
assert 1 <= r["detector_runs"] <= n, r
for k in ("face", "emotion", "motion", "analysis", "overlay", "latency", "latency_drawn"):
    s = r[k]
    assert 0 < s["median_ms"] <= s["p99_ms"] <= s["max_ms"], (k, s)
print("long clip ok:", n, "frames,", round(r["fps"], 1), "fps,", r["faces_per_frame"], "faces/frame")
PY
echo "ok"
