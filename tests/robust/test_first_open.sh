#!/usr/bin/env bash
# `run` with video.reconnect=true when the live source is not there at the
# start (a camera plugged in later, a stream server still starting):
# - a server that accepts and stays silent: SIGINT during the first open
#   ends the run cleanly (exit 4, "interrupted before"), within one attempt's
#   video.timeout, instead of killing it;
# - no source given and no camera: run waits for /dev/video0, retrying every
#   video.reconnect_delay, instead of playing the sample clip; SIGINT ends it
#   (exit 4). Skipped (77) where a camera exists.
set -u
cli=${EMO_CLI:?}
tmp=$(mktemp -d)
pid=""; srv=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$srv" ] && kill "$srv" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Waits up to $2 tenths of a second for the run to end; its exit status in st.
wait_end() {
  for _ in $(seq "$2"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; wait "$1"; pid=""; fail "$3"; }
  wait "$1"; st=$?; pid=""
}

# --- a server that accepts connections and never sends a byte
python3 - "$tmp" <<'PY' & srv=$!
import socket, sys, os
d = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(os.path.join(d, "port.part"), "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(os.path.join(d, "port.part"), os.path.join(d, "port"))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(os.path.join(d, "accepted"), "a") as f:
        f.write("x\n")
PY
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.1; done
[ -f "$tmp/port" ] || fail "the silent server did not start"
url="tcp://127.0.0.1:$(cat "$tmp/port")"
"$cli" run --headless "$url" --video.live=yes --video.reconnect=true --video.reconnect_delay=0.3 \
  --video.timeout=2 --out "$tmp/a" >"$tmp/a.log" 2>&1 & pid=$!
for _ in $(seq 100); do [ -s "$tmp/accepted" ] && break; sleep 0.1; done
[ -s "$tmp/accepted" ] || { cat "$tmp/a.log"; fail "run never connected to the server"; }
kill -INT $pid
wait_end $pid 80 "run did not end within 8 s of SIGINT during its first open (video.timeout=2)"
echo "run, silent server, SIGINT during the first open: exit $st"
[ $st -eq 4 ] || { cat "$tmp/a.log"; fail "must exit 4 (interrupted), got $st"; }
grep -q "interrupted before $url could be opened" "$tmp/a.log" || { cat "$tmp/a.log"; fail "no message"; }

# --- no source, no camera: wait for one
if compgen -G "/dev/video[0-9]*" >/dev/null; then
  echo "SKIP: this machine has a camera node; the no-camera case is not tested"
  exit 77
fi
"$cli" run --headless --video.source= --video.reconnect=true --video.reconnect_delay=0.2 \
  --out "$tmp/b" >"$tmp/b.log" 2>&1 & pid=$!
for _ in $(seq 100); do grep -q "retrying in 0.2 s (attempt 3;" "$tmp/b.log" && break; sleep 0.1; done
grep -q "retrying in 0.2 s (attempt 3;" "$tmp/b.log" || { cat "$tmp/b.log"; fail "run did not keep retrying the camera"; }
kill -0 $pid 2>/dev/null || { cat "$tmp/b.log"; fail "run gave up waiting for the camera"; }
kill -INT $pid
wait_end $pid 50 "run did not end within 5 s of SIGINT while waiting for the camera"
echo "run, no camera yet, reconnect=true: exit $st after $(grep -c "retrying in" "$tmp/b.log") failed opens"
[ $st -eq 4 ] || { cat "$tmp/b.log"; fail "must exit 4, got $st"; }
grep -q "waiting for /dev/video0" "$tmp/b.log" || { cat "$tmp/b.log"; fail "no message about waiting for the camera"; }
grep -q "sample clip" "$tmp/b.log" && { cat "$tmp/b.log"; fail "the sample clip was played instead"; }
echo "PASS"
