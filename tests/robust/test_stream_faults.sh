#!/usr/bin/env bash
# A network stream that stops, end to end with the real CLI. The "camera" is
# ffmpeg serving the sample clip, looped, at its frame rate (MPEG-TS over
# HTTP); killing the server is the stream breaking or the camera being
# unplugged.
# - analyze: exit 3 (partial), a message, results so far complete and valid,
#   the annotated video finalised with every frame written;
# - run --headless, video.reconnect=false: exits cleanly (3) with a message;
# - run --headless, video.reconnect=true: the server comes back after 2 s,
#   the run reconnects (counted), goes on analysing, and SIGINT ends it (4).
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
tmp=$(mktemp -d)
srv=""; pid=""
cleanup() {
  [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  [ -n "$srv" ] && kill "$srv" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

serve() {
  ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$clip" -c copy -f mpegts -listen 1 "$url" \
    </dev/null >>"$tmp/server.log" 2>&1 & srv=$!
  # Listening, or already serving a client that was quicker than this poll
  # (a reconnecting run): either way a socket with the server's port.
  for _ in $(seq 400); do
    # (Not any socket: the previous run's connection may linger in
    # TIME-WAIT on this port before the new server listens.)
    [ "$( (ss -Htan state listening "sport = :$port"; ss -Htan state established "sport = :$port") | wc -l)" -gt 0 ] &&
      return 0
    sleep 0.05
  done
  cat "$tmp/server.log"
  fail "the stream server did not start within 20 s"
}
unplug() { kill "$srv"; wait "$srv" 2>/dev/null; srv=""; }
# Waits until the run has written N records (up to 120 s: the sanitizer
# build analyses a live stream at a few frames a second).
wait_records() { # DIR N
  for _ in $(seq 1200); do
    [ -f "$1/results.jsonl" ] && [ "$(wc -l <"$1/results.jsonl")" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "no $2 records in $1 after 120 s"
}
check_outputs() { # DIR LOG
  python3 - "$1" <<'PY' || fail "$1: results invalid"
import csv, json, sys
d = sys.argv[1]
raw = open(d + "/results.jsonl").read()
assert raw.endswith("\n")
recs = [json.loads(l) for l in raw.splitlines()]
rows = list(csv.DictReader(open(d + "/results.csv")))
assert len(recs) == len(rows) > 0, (len(recs), len(rows))
idx = [r["frame"] for r in recs]
assert idx == sorted(idx)
json.load(open(d + "/summary.json"))
print("  %d records, JSONL and CSV agree, summary.json valid" % len(recs))
PY
  local n w
  n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1/annotated.mp4")
  w=$(sed -n 's/^video: .* (\([0-9]*\) frames)$/\1/p' "$2")
  echo "  annotated.mp4: $n frames readable, $w written"
  [ -n "$n" ] && [ "$n" = "$w" ] && [ "$n" -gt 0 ] || fail "$1: annotated video not finalised ($n of $w)"
}

# --- analyze, the stream stops
serve
"$cli" analyze "$url" --out "$tmp/a" --no-chart >"$tmp/a.log" 2>&1 & pid=$!
wait_records "$tmp/a" 20
unplug
wait $pid; st=$?
echo "analyze, stream stopped: exit $st"; grep -E "stopped|ended|^status" "$tmp/a.log"
[ $st -eq 3 ] || { cat "$tmp/a.log"; fail "a stream that stops must exit 3, got $st"; }
grep -q "live source .* stopped" "$tmp/a.log" || fail "no message about the stopped stream"
check_outputs "$tmp/a" "$tmp/a.log"

# --- run, reconnect off: exits cleanly with a message
serve
"$cli" run --headless "$url" --video.live=yes --video.reconnect=false --out "$tmp/r" >"$tmp/r.log" 2>&1 & pid=$!
wait_records "$tmp/r" 20
unplug
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -INT $pid; fail "run did not end within 30 s of the camera going away"; }
wait $pid; st=$?
echo "run, camera unplugged, reconnect=false: exit $st"; grep -E "stopped|reconnect|^status" "$tmp/r.log"
[ $st -eq 3 ] || { cat "$tmp/r.log"; fail "run must exit 3, got $st"; }
grep -q "set video.reconnect=true" "$tmp/r.log" || fail "no hint about video.reconnect"
check_outputs "$tmp/r" "$tmp/r.log"

# --- run, reconnect on: the camera comes back
serve
"$cli" run --headless "$url" --video.live=yes --video.reconnect=true --video.reconnect_delay=0.5 \
  --general.stats_interval=1 --out "$tmp/c" >"$tmp/c.log" 2>&1 & pid=$!
wait_records "$tmp/c" 20
unplug
before=$(wc -l <"$tmp/c/results.jsonl")
sleep 2
kill -0 $pid 2>/dev/null || { cat "$tmp/c.log"; fail "run ended while waiting to reconnect"; }
serve
wait_records "$tmp/c" $((before + 30))
kill -INT $pid; wait $pid; st=$?
unplug
rec=$(sed -n 's/^reconnects: //p' "$tmp/c.log")
echo "run, camera unplugged for 2 s, reconnect=true: exit $st, reconnects $rec, records before $before, after $(wc -l <"$tmp/c/results.jsonl")"
grep -E "reconnecting" "$tmp/c.log" | head -2
[ $st -eq 4 ] || { cat "$tmp/c.log"; fail "run stopped by SIGINT must exit 4, got $st"; }
[ -n "$rec" ] && [ "$rec" -ge 1 ] || fail "reconnection not counted ($rec)"
grep -q "stopped; reconnecting" "$tmp/c.log" || fail "the stop was not reported"
grep -q "reconnects=[1-9]" "$tmp/c.log" || fail "the stats line does not count the reconnection"
check_outputs "$tmp/c" "$tmp/c.log"

# --- run, reconnect on, the camera is not there yet: the first open is
# retried until the server comes up
"$cli" run --headless "$url" --video.live=yes --video.reconnect=true --video.reconnect_delay=0.3 \
  --out "$tmp/f" >"$tmp/f.log" 2>&1 & pid=$!
sleep 2
kill -0 $pid 2>/dev/null || { cat "$tmp/f.log"; fail "run gave up on a camera that is not there yet"; }
grep -q "retrying in 0.3 s" "$tmp/f.log" || { cat "$tmp/f.log"; fail "no retry message for the first open"; }
serve
wait_records "$tmp/f" 10
kill -INT $pid; wait $pid; st=$?
unplug
tries=$(grep -c "retrying in" "$tmp/f.log")
echo "run, camera plugged in 2 s after the start, reconnect=true: exit $st after $tries failed opens"
[ $st -eq 4 ] || { cat "$tmp/f.log"; fail "run stopped by SIGINT must exit 4, got $st"; }
check_outputs "$tmp/f" "$tmp/f.log"

# --- the same with no camera ever: SIGINT ends the waiting promptly
"$cli" run --headless "$url" --video.live=yes --video.reconnect=true --video.reconnect_delay=5 \
  --out "$tmp/g" >"$tmp/g.log" 2>&1 & pid=$!
# SIGINT once it is waiting (sent earlier, during the start-up on a loaded
# machine, it would meet the SIG_IGN a background job inherits and be lost)
for _ in $(seq 300); do grep -q "retrying in 5 s" "$tmp/g.log" && break; sleep 0.1; done
grep -q "retrying in 5 s" "$tmp/g.log" || { cat "$tmp/g.log"; fail "no retry message within 30 s"; }
kill -INT $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "run did not end within 5 s of SIGINT while waiting for the camera"; }
wait $pid; st=$?; pid=""
echo "run, no camera, SIGINT while retrying: exit $st"
[ $st -eq 4 ] || { cat "$tmp/g.log"; fail "must exit 4, got $st"; }
grep -q "interrupted before" "$tmp/g.log" || { cat "$tmp/g.log"; fail "no message"; }

# --- reconnect off: a camera that is not there is an error at once
"$cli" run --headless "$url" --video.live=yes --video.reconnect=false --out "$tmp/h" >"$tmp/h.log" 2>&1; st=$?
echo "run, no camera, reconnect=false: exit $st"
[ $st -eq 1 ] || { cat "$tmp/h.log"; fail "must exit 1, got $st"; }
grep -q "cannot open" "$tmp/h.log" || fail "no message"
echo "PASS"
