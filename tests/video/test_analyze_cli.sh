#!/usr/bin/env bash
# `emoscope analyze --passthrough` (the video path: decode, encode, no
# analysis) on real clips: exit statuses, printed counts and the annotated
# video it writes (checked with ffprobe), for a good clip, a cut copy,
# unreadable inputs, a missing camera and an interrupted run.
set -u

: "${EMO_CLI:?EMO_CLI not set}" "${EMO_SHARED_DIR:?EMO_SHARED_DIR not set}" "${EMO_BUILD_DIR:?EMO_BUILD_DIR not set}"
CLIP="$EMO_SHARED_DIR/testdata/video/d12.mp4"
D3="$EMO_SHARED_DIR/testdata/video/d3.mp4"
for f in "$CLIP" "$D3"; do
    [ -f "$f" ] || { echo "FAIL: missing test clip $f (shared data must be at ../shared)"; exit 1; }
done
command -v ffprobe >/dev/null || { echo "FAIL: ffprobe not installed"; exit 1; }
TMP="$EMO_BUILD_DIR/test-tmp/analyze-cli-$$"
rm -rf "$TMP" && mkdir -p "$TMP"
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# Fast encoder settings keep the test short; the default preset is exercised by the unit tests' writer.
CLI=("$EMO_CLI" --output.video_preset=ultrafast --log-level warn)
PT=--passthrough

count_frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
duration() { ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 "$1"; }

# 1. A good clip: status 0, every frame, same duration.
"${CLI[@]}" analyze $PT "$CLIP" --out "$TMP/ok" >"$TMP/ok.out" 2>"$TMP/ok.err"
rc=$?
[ $rc -eq 0 ] || fail "good clip: exit $rc, expected 0 ($(cat "$TMP/ok.err"))"
want=$(ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 "$CLIP" | grep -c '^[0-9]')
grep -q "^frames: $want\$" "$TMP/ok.out" && grep -q "^dropped: 0\$" "$TMP/ok.out" &&
    grep -q "^video: .*annotated.mp4 ($want frames)\$" "$TMP/ok.out" ||
    fail "good clip: 'frames: $want', 'dropped: 0', 'video: ... ($want frames)' not printed: $(cat "$TMP/ok.out")"
grep -q '^status: ok$' "$TMP/ok.out" || fail "good clip: no 'status: ok'"
if [ -f "$TMP/ok/annotated.mp4" ]; then
    got=$(count_frames "$TMP/ok/annotated.mp4")
    [ "$got" = "$want" ] || fail "good clip: annotated.mp4 has $got frames, input $want"
    din=$(duration "$CLIP"); dout=$(duration "$TMP/ok/annotated.mp4")
    awk -v a="$din" -v b="$dout" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 0.001) }' ||
        fail "good clip: duration $dout s, input $din s"
else
    fail "good clip: no annotated.mp4"
fi

# 2. --no-video writes no video.
"${CLI[@]}" analyze $PT "$CLIP" --out "$TMP/novideo" --no-video >"$TMP/nv.out" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "--no-video: exit $rc"
[ ! -e "$TMP/novideo/annotated.mp4" ] || fail "--no-video wrote a video"

# 3. A copy of d3 with its index at the front, cut at 40%: status 3 (partial),
#    the frames before the cut encoded, the file finalised.
ffmpeg -nostdin -v error -y -i "$D3" -c copy -movflags +faststart "$TMP/d3fs.mp4" || fail "ffmpeg remux failed"
size=$(stat -c %s "$TMP/d3fs.mp4")
head -c $((size * 40 / 100)) "$TMP/d3fs.mp4" >"$TMP/d3_cut.mp4"
"${CLI[@]}" analyze $PT "$TMP/d3_cut.mp4" --out "$TMP/cut" >"$TMP/cut.out" 2>"$TMP/cut.err"
rc=$?
[ $rc -eq 3 ] || fail "cut clip: exit $rc, expected 3 (partial)"
grep -q 'd3_cut.mp4' "$TMP/cut.err" || fail "cut clip: the error does not name the file: $(cat "$TMP/cut.err")"
n=$(sed -n 's/^frames: \([0-9]*\)$/\1/p' "$TMP/cut.out")
[ -n "$n" ] && [ "$n" -gt 100 ] || fail "cut clip: only '${n:-none}' frames delivered"
if [ -f "$TMP/cut/annotated.mp4" ]; then
    got=$(count_frames "$TMP/cut/annotated.mp4")
    [ "$got" = "$n" ] || fail "cut clip: annotated.mp4 has '$got' frames, $n delivered"
else
    fail "cut clip: no annotated.mp4"
fi

# 4. Cut in its original layout (index at the end, so none), random bytes,
#    a missing file, a missing camera: status 1 with a clear message.
head -c $(($(stat -c %s "$D3") * 40 / 100)) "$D3" >"$TMP/d3_raw_cut.mp4"
head -c 200000 /dev/urandom >"$TMP/random.mp4"
check_fail() { # name input expected-text
    "${CLI[@]}" analyze $PT "$2" --out "$TMP/$1" >"$TMP/$1.out" 2>"$TMP/$1.err"
    local r=$?
    [ $r -eq 1 ] || fail "$1: exit $r, expected 1"
    grep -q -- "$3" "$TMP/$1.err" || fail "$1: message lacks '$3': $(cat "$TMP/$1.err")"
}
check_fail rawcut "$TMP/d3_raw_cut.mp4" "truncated"
check_fail random "$TMP/random.mp4" "not a readable video"
check_fail missing "$TMP/nope.mp4" "nope.mp4"
check_fail camera /dev/video99 "/dev/video99: no such device"

# 5. Bad usage: status 2.
"${CLI[@]}" analyze $PT "$CLIP" --bogus >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "bad option: exit $rc, expected 2"

# 6. SIGINT stops cleanly with status 4 and a playable, finalised video.
"${CLI[@]}" --video.loop=true analyze $PT "$CLIP" --out "$TMP/int" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
for _ in $(seq 1 100); do
    [ -s "$TMP/int/annotated.mp4" ] && break
    sleep 0.1
done
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc -eq 4 ] || fail "SIGINT: exit $rc, expected 4"
n=$(sed -n 's/^frames: \([0-9]*\)$/\1/p' "$TMP/int.out")
if [ -f "$TMP/int/annotated.mp4" ]; then
    got=$(count_frames "$TMP/int/annotated.mp4")
    [ -n "$got" ] && [ "$got" = "$n" ] || fail "SIGINT: annotated.mp4 has '$got' frames, $n delivered"
else
    fail "SIGINT: no annotated.mp4"
fi

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed; outputs in $TMP"
    exit 1
fi
rm -rf "$TMP"
echo "analyze CLI: all checks passed"
