#!/usr/bin/env bash
# The pipeline benchmark repeated, for a figure that a noisy machine cannot
# make up: `emoscope bench --faces N --no-paced` run R times per variant,
# the variants interleaved (A B A B ...) so that a change in the machine's
# load falls on all of them alike; prints every run's fps, CPU and analysis
# CPU per frame, then per variant the median, the lowest and the highest.
# A variant is a quoted list of extra options ("" is the default settings);
# put -- before the variants when the first one begins with a dash.
# -w: analysis workers (default 2, one per core of the 2-core machine).
# usage: scripts/bench-faces.sh [-c CLI] [-f FACES] [-w WORKERS] [-r RUNS] [-s SECONDS] [--] [VARIANT...]
# e.g.   scripts/bench-faces.sh -r 5 -- "" "--emotion.models=mini_xception,big_xception"
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$root/build/emoscope faces=4 workers=2 runs=3 secs=10
while getopts c:f:w:r:s: o; do
  case $o in
    c) cli=$OPTARG ;; f) faces=$OPTARG ;; w) workers=$OPTARG ;; r) runs=$OPTARG ;; s) secs=$OPTARG ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- ""
[ -x "$cli" ] || { echo "bench-faces: no CLI at $cli (make build)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "bench --faces $faces --workers $workers --no-paced --max-seconds $secs, $runs runs per variant, interleaved; load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= runs; r++)); do
  for ((v = 1; v <= $#; v++)); do
    opts=${!v}
    # shellcheck disable=SC2086 # a variant is a list of options
    if ! "$cli" bench --faces "$faces" --workers "$workers" --no-paced --max-seconds "$secs" $opts >"$tmp/out" 2>&1; then
      cat "$tmp/out" >&2; echo "bench-faces: variant ${v} (${opts:-default}) failed" >&2; exit 1
    fi
    fps=$(awk '/^  fps /{print $2; exit}' "$tmp/out")
    cores=$(awk '/^  fps /{print $4; exit}' "$tmp/out")
    acpu=$(awk '/cpu: analysis, all workers/{print $5; exit}' "$tmp/out")
    [ -n "$fps" ] || { cat "$tmp/out" >&2; echo "bench-faces: no fps line" >&2; exit 1; }
    printf 'run %d  %-50s fps %6.1f  cores %s  analysis cpu %s ms/frame\n' "$r" "${opts:-default}" "$fps" "$cores" "$acpu"
    echo "$fps" >>"$tmp/v$v"
  done
done
for ((v = 1; v <= $#; v++)); do
  opts=${!v}
  sort -n "$tmp/v$v" | awk -v name="${opts:-default}" '{a[NR] = $1} END {
    m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%-50s median %6.1f fps  (lowest %.1f, highest %.1f, %d runs)\n", name, m, a[1], a[NR], NR }'
done
