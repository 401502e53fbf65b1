#!/usr/bin/env bash
# emoscope batch end to end: a folder with two short clips and a corrupt
# file (two done, one failed with its error, exit 1, progress lines,
# batch.csv); a rerun skips everything in under 2 s; a changed setting
# reruns; SIGINT after the first item started: exit 4, no temporary or
# half folder, the rest marked interrupted, and a rerun completes it;
# --scheduler hands the same arguments to python3 -m emoscope.batch.
set -u
cli=${EMO_CLI:?}
shared=${EMO_SHARED_DIR:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
for c in d12 d10; do
  [ -f "$shared/testdata/video/$c.mp4" ] || fail "missing test clip $shared/testdata/video/$c.mp4"
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"
cp "$shared/testdata/video/d12.mp4" "$tmp/in/a.mp4"
cp "$shared/testdata/video/d10.mp4" "$tmp/in/b.mp4"
head -c 20000 /dev/urandom >"$tmp/in/broken.mp4"
opts=(--video.max_frames=20 --output.video=false)
# The status of one input in an index: "status,frames".
row() { grep "/$2," "$1" | awk -F, '{print $2 "," $4}'; }
no_temp() { [ -z "$(find "$1" -name '.*.tmp-*')" ] || fail "temporary folders left in $1: $(find "$1" -name '.*.tmp-*')"; }

"$cli" batch "$tmp/in" --out "$tmp/out" --jobs 2 "${opts[@]}" >"$tmp/1.out" 2>"$tmp/1.err"; st=$?
[ $st -eq 1 ] || { cat "$tmp/1.err"; fail "a failed input must make exit 1, got $st"; }
idx=$tmp/out/batch.csv
[ "$(head -1 "$idx")" = "input,status,output,frames,seconds,error" ] || fail "index header: $(head -1 "$idx")"
[ "$(wc -l <"$idx")" -eq 4 ] || fail "index rows: $(cat "$idx")"
[ "$(row "$idx" a.mp4)" = "done,20" ] || fail "a.mp4: $(row "$idx" a.mp4)"
[ "$(row "$idx" b.mp4)" = "done,20" ] || fail "b.mp4: $(row "$idx" b.mp4)"
grep "/broken.mp4,failed,$tmp/out/broken,0,[0-9.]*,cannot open .*broken.mp4" "$idx" >/dev/null ||
  fail "broken.mp4 must fail with its error: $(grep broken "$idx")"
[ -d "$tmp/out/broken" ] && fail "a failed input must leave no folder"
for f in results.jsonl results.csv events.jsonl summary.json timeline.png emoscope-key.txt; do
  [ -s "$tmp/out/a/$f" ] || fail "out/a/$f missing"
done
[ "$(wc -l <"$tmp/out/a/results.jsonl")" -ge 20 ] || fail "out/a/results.jsonl short"
no_temp "$tmp/out"
grep -q "^batch: 3/3 files (0 skipped, 1 failed), [0-9.]* fps, [0-9:?]* left" "$tmp/1.err" || { cat "$tmp/1.err"; fail "progress line"; }
grep -q "^batch: 3 inputs: 2 done, 0 skipped, 1 failed, 0 interrupted" "$tmp/1.out" || fail "closing line: $(cat "$tmp/1.out")"
echo "first run: $(tail -2 "$tmp/1.out" | head -1)"

# Rerun: nothing analysed, under 2 s.
t0=$(date +%s.%N)
"$cli" batch "$tmp/in" --out "$tmp/out" --jobs 2 "${opts[@]}" >"$tmp/2.out" 2>"$tmp/2.err"; st=$?
t1=$(date +%s.%N)
dt=$(echo "$t1 - $t0" | bc)
echo "rerun: $dt s: $(head -1 "$tmp/2.out")"
[ $st -eq 1 ] || fail "rerun exit $st (the corrupt file still fails)"
[ "$(row "$idx" a.mp4)" = "skipped,20" ] && [ "$(row "$idx" b.mp4)" = "skipped,20" ] || fail "rerun must skip: $(cat "$idx")"
[ "$(echo "$dt < 2" | bc)" -eq 1 ] || fail "rerun took $dt s (floor: < 2 s)"

# A changed setting reruns (another worker count alone would not).
"$cli" --general.workers=1 batch "$tmp/in/a.mp4" "$tmp/in/b.mp4" --out "$tmp/out" --video.max_frames=15 --output.video=false \
  --quiet >/dev/null 2>"$tmp/3.err"; st=$?
[ $st -eq 0 ] || { cat "$tmp/3.err"; fail "changed setting: exit $st"; }
[ "$(row "$idx" a.mp4)" = "done,15" ] && [ "$(row "$idx" b.mp4)" = "done,15" ] || fail "changed setting must rerun: $(cat "$idx")"
grep -q '^batch:' "$tmp/3.err" && { cat "$tmp/3.err"; fail "--quiet printed a progress line"; }
grep -q "^frames=15$" "$tmp/out/a/emoscope-key.txt" || fail "key file not replaced"
no_temp "$tmp/out"

# SIGINT once the first item is under way (its temporary folder exists).
# The jobs take the largest input first: that one is interrupted, the other
# is not started.
if [ "$(stat -c %s "$tmp/in/a.mp4")" -ge "$(stat -c %s "$tmp/in/b.mp4")" ]; then first=a; second=b; else first=b; second=a; fi
"$cli" batch "$tmp/in/a.mp4" "$tmp/in/b.mp4" --out "$tmp/out2" --jobs 1 --output.video=false >"$tmp/4.out" 2>"$tmp/4.err" &
pid=$!
for _ in $(seq 1 600); do
  [ -n "$(find "$tmp/out2" -maxdepth 1 -name '.?.tmp-*' 2>/dev/null)" ] && break
  sleep 0.05
done
started=$(find "$tmp/out2" -maxdepth 1 -name '.?.tmp-*' 2>/dev/null | head -1)
[ -n "$started" ] || { kill $pid; fail "the first item never started"; }
case "$(basename "$started")" in
  ".$first.tmp-"*) ;;
  *) kill $pid; fail "the jobs took $(basename "$started") first, not the larger input $first.mp4" ;;
esac
sleep 0.5
kill -INT $pid
wait $pid; st=$?
echo "SIGINT: exit $st: $(head -1 "$tmp/4.out")"
[ $st -eq 4 ] || { cat "$tmp/4.err"; fail "SIGINT must exit 4, got $st"; }
idx2=$tmp/out2/batch.csv
[ -f "$idx2" ] || fail "no index after SIGINT"
[ "$(row "$idx2" $first.mp4 | cut -d, -f1)" = interrupted ] || fail "$first.mp4 after SIGINT: $(cat "$idx2")"
grep -q "/$second.mp4,interrupted,.*,not started" "$idx2" || fail "$second.mp4 after SIGINT: $(cat "$idx2")"
[ -e "$tmp/out2/a" ] || [ -e "$tmp/out2/b" ] && fail "SIGINT left an output folder: $(ls -A "$tmp/out2")"
no_temp "$tmp/out2"
"$cli" batch "$tmp/in/a.mp4" "$tmp/in/b.mp4" --out "$tmp/out2" --jobs 2 "${opts[@]}" --quiet >/dev/null 2>&1; st=$?
[ $st -eq 0 ] || fail "rerun after SIGINT: exit $st"
[ "$(row "$idx2" a.mp4)" = "done,20" ] && [ "$(row "$idx2" b.mp4)" = "done,20" ] || fail "rerun after SIGINT: $(cat "$idx2")"

# --scheduler: the Dask driver gets the global options and the same arguments.
cat >"$tmp/fake-python" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/dask-args"
exit 7
EOS
chmod +x "$tmp/fake-python"
EMOSCOPE_PYTHON=$tmp/fake-python "$cli" --face.max_faces=2 batch "$tmp/in" --out "$tmp/out3" --jobs 3 \
  --scheduler tcp://127.0.0.1:8786; st=$?
[ $st -eq 7 ] || fail "--scheduler must exec the driver (its exit status 7), got $st"
want=$(printf '%s\n' -m emoscope.batch --set face.max_faces=2 "$tmp/in" --out "$tmp/out3" --jobs 3 --scheduler tcp://127.0.0.1:8786)
[ "$(cat "$tmp/dask-args")" = "$want" ] || fail "driver arguments: $(cat "$tmp/dask-args")"
[ -e "$tmp/out3" ] && fail "--scheduler must not analyse locally"

"$cli" batch --out "$tmp/x" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no inputs must exit 2"
"$cli" batch "$tmp/in" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no --out must exit 2"
echo "batch: all checks passed"
