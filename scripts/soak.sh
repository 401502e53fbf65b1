#!/usr/bin/env bash
# Soak test: a live-mode `emoscope run --headless` on a looped sample clip
# served as a paced network stream (ffmpeg -re -stream_loop -1, MPEG-TS over
# HTTP), for SOAK_SECONDS (default 1800). Every SOAK_SAMPLE seconds (10) it
# samples the process's resident memory (VmRSS) and the frame/drop counters
# (from the `stats:` lines that general.stats_interval makes the CLI print)
# into a CSV, then prints a summary: RSS at start, after warm-up and at the
# end, and the drops per minute in each quarter of the run.
#
# usage: scripts/soak.sh [OUT_DIR]   (env: SOAK_SECONDS, SOAK_SAMPLE, SOAK_CLIP,
#                                     SOAK_PORT, EMO_CLI, extra CLI options in SOAK_ARGS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/soak-out}
secs=${SOAK_SECONDS:-1800}
every=${SOAK_SAMPLE:-10}
clip=${SOAK_CLIP:-$root/data/video/d0.mp4}
port=${SOAK_PORT:-$((20000 + RANDOM % 20000))}
cli=${EMO_CLI:-$root/build/emoscope}
mkdir -p "$out"
csv=$out/soak.csv
[ -f "$clip" ] || { echo "soak: no clip $clip (run make models)" >&2; exit 1; }
[ -x "$cli" ] || { echo "soak: no $cli (run make build)" >&2; exit 1; }

ffpid=""
empid=""
cleanup() {
    [ -n "$empid" ] && kill -INT "$empid" 2>/dev/null || true
    [ -n "$empid" ] && wait "$empid" 2>/dev/null || true
    [ -n "$ffpid" ] && kill "$ffpid" 2>/dev/null || true
}
trap cleanup EXIT

# The "camera": the clip looped forever at its own frame rate.
ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$clip" -c copy -f mpegts -listen 1 \
    "http://127.0.0.1:$port" </dev/null >"$out/server.log" 2>&1 &
ffpid=$!
# Wait until it listens (a probe connection would use up its single client).
for _ in $(seq 100); do
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
    sleep 0.1
done

# shellcheck disable=SC2086
"$cli" run --headless "http://127.0.0.1:$port" --video.live=yes --general.stats_interval="$every" \
    --output.video_preset=ultrafast --out "$out/run" ${SOAK_ARGS:-} >"$out/run.stdout" 2>"$out/run.stderr" &
empid=$!
echo "soak: pid $empid, ${secs}s, sampling every ${every}s into $csv"
echo "elapsed_s,rss_kb,frames,dropped,reconnects,fps,load1" >"$csv"
t0=$(date +%s)
while kill -0 "$empid" 2>/dev/null; do
    now=$(date +%s)
    el=$((now - t0))
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$empid/status" 2>/dev/null || echo 0)
    line=$(grep '^stats:' "$out/run.stderr" | tail -1 || true)
    frames=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' <<<"$line")
    dropped=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' <<<"$line")
    rec=$(sed -n 's/.*reconnects=\([0-9]*\).*/\1/p' <<<"$line")
    fps=$(sed -n 's/.* fps=\([0-9.]*\).*/\1/p' <<<"$line")
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "$el,${rss:-0},${frames:-0},${dropped:-0},${rec:-0},${fps:-0},$load" >>"$csv"
    [ "$el" -ge "$secs" ] && break
    sleep "$every"
done
if ! kill -0 "$empid" 2>/dev/null; then
    echo "soak: emoscope stopped early" >&2
    wait "$empid" || echo "soak: exit status $?" >&2
    empid=""
    tail -5 "$out/run.stderr" >&2
    exit 1
fi
kill -INT "$empid"
st=0
wait "$empid" || st=$?
empid=""
echo "soak: emoscope exit status $st (4 = interrupted, expected)"
tail -3 "$out/run.stdout"

# Summary: RSS at the first sample, after 60 s of warm-up and at the end;
# drops per minute in each quarter.
awk -F, -v secs="$secs" 'NR == 1 { next }
    { t[n] = $1; r[n] = $2; d[n] = $4; f[n] = $3; l[n] = $7; n++ }
    END {
        w = 0; while (w < n - 1 && t[w] < 60) w++
        printf "rss_kb: start %d, after warm-up (%d s) %d, end %d, growth after warm-up %d kB (%.2f%%)\n",
               r[0], t[w], r[w], r[n-1], r[n-1] - r[w], r[w] ? 100.0 * (r[n-1] - r[w]) / r[w] : 0
        for (q = 0; q < 4; q++) {
            a = int(q * (n - 1) / 4); b = int((q + 1) * (n - 1) / 4)
            if (b <= a) continue
            dm = (d[b] - d[a]) / ((t[b] - t[a]) / 60.0); fm = (f[b] - f[a]) / (t[b] - t[a])
            ls = 0; for (i = a; i <= b; i++) ls += l[i]
            printf "quarter %d (%d-%d s): %.1f drops/min, %.1f fps analysed, load %.1f\n", q + 1, t[a], t[b], dm, fm, ls / (b - a + 1)
        }
    }' "$csv" | tee "$out/summary.txt"
[ "$st" -eq 4 ]
