#!/usr/bin/env bash
# emoscope bench --stage pipeline: the JSON lines parse and carry every
# field with sane values; a looped run (--frames beyond the clip) analyses
# exactly the frames asked for. Short runs on a small sample clip: the
# figures themselves are not judged here (benchmarks print, tests check).
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cli" bench --stage pipeline --clip "$clip" --faces 1 --nn-threads 1 --workers 2 --frames 100 --json > "$tmp/b.log" 2>&1; st=$?
cat "$tmp/b.log"
[ $st -eq 0 ] || fail "bench exit $st"
python3 - "$tmp/b.log" <<'PY' || fail "bench JSON"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
# one run as fast as possible and one paced at 60 fps
assert len(runs) == 2, runs
assert runs[0]["pace_fps"] == 0 and runs[1]["pace_fps"] == 60, runs
for r in runs:
    assert r["stage"] == "pipeline" and r["clip"] == "1 face" and r["threads"] == 1 and r["workers"] == 2, r
    # the analysis CPU is its thread's plus the pool's (the flow task of the face runs there)
    c = r["cpu_analysis"]["median_ms"]
    assert 0 < r["cpu_analysis_thread"]["median_ms"] <= c and 0 <= r["cpu_workers"]["median_ms"] <= c, r
    assert r["frames"] == 100 or r["cut_short"], r   # 78-frame clip looped to 100
    assert r["fps"] > 0 and r["seconds"] > 0 and 0 < r["cpu_cores"] <= 64, r
    assert r["peak_rss_mb"] > 10 and r["faces_per_frame"] > 0.9, r
    assert 1 <= r["detector_runs"] <= r["frames"], r
    for k in ("face", "emotion", "motion", "analysis", "overlay", "latency", "latency_drawn"):
        s = r[k]
        assert 0 < s["median_ms"] <= s["p99_ms"] <= s["max_ms"], (k, s)
    # the analysis is the sum of its stages; results come before the drawn frame
    assert r["analysis"]["median_ms"] >= r["face"]["median_ms"], r
    assert r["latency"]["median_ms"] >= r["analysis"]["median_ms"] * 0.99, r
    assert r["latency_drawn"]["median_ms"] >= r["latency"]["median_ms"], r
    for k in ("peak_rss_warm_mb", "peak_rss_growth_mb", "rss_warm_mb", "rss_end_mb", "rss_growth_mb", "warmup_frames"):
        assert k in r, k
# paced at 60 fps: no faster than the clip's rate
assert runs[1]["fps"] <= 61, runs[1]
print("bench JSON ok:", [(r["pace_fps"], round(r["fps"], 1)) for r in runs])
PY

"$cli" bench --stage pipeline --faces 1 --nn-threads 0 > /dev/null 2>&1 && fail "--nn-threads 0 accepted"
"$cli" bench --stage pipeline --faces 1 --workers 1,x > /dev/null 2>&1 && fail "--workers 1,x accepted"
"$cli" bench --stage pipeline --bogus > /dev/null 2>&1 && fail "unknown option accepted"

# bench --stage open: one line per open, then the first open and the median
# reopen; a models folder without the models is a clear failure, not a crash.
"$cli" bench --stage open --runs 3 > "$tmp/open.log" 2>&1 || { cat "$tmp/open.log" >&2; fail "bench --stage open failed"; }
[ "$(grep -c '^  open [0-9]' "$tmp/open.log")" = 3 ] || { cat "$tmp/open.log" >&2; fail "bench open: not 3 opens"; }
grep -Eq '^first open [0-9.]+ ms cpu; reopen median [0-9.]+ ms wall, [0-9.]+ ms cpu \(2 reopens\)$' "$tmp/open.log" ||
  { cat "$tmp/open.log" >&2; fail "bench open: no summary line"; }
"$cli" bench --stage open --runs 1 > /dev/null 2>&1 && fail "--runs 1 accepted"
mkdir -p "$tmp/nomodels"
"$cli" --general.models_dir="$tmp/nomodels" bench --stage open --runs 2 > "$tmp/nm.log" 2>&1; st=$?
[ $st -ne 0 ] && [ $st -lt 128 ] || fail "bench open without models: exit $st"
grep -q "cannot load the models" "$tmp/nm.log" || { cat "$tmp/nm.log" >&2; fail "bench open without models: no message"; }
echo "ok"
