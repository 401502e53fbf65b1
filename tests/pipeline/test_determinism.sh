#!/usr/bin/env bash
# Same input, same output: two analyze runs of a clip (analysis on this
# thread, overlay on the draw thread, capture on its own) write identical
# results and events, byte for byte.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for run in a b; do
  "$cli" analyze "$clip" --out "$tmp/$run" --no-video --no-chart > "$tmp/$run.log" 2>&1 || { cat "$tmp/$run.log"; fail "analyze $run"; }
done
[ -s "$tmp/a/results.jsonl" ] || fail "no results"
n=$(wc -l < "$tmp/a/results.jsonl")
[ "$n" -ge 70 ] || fail "only $n records"
for f in results.jsonl results.csv events.jsonl events.csv; do
  cmp "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs between two identical runs"
done
echo "ok: $n records, identical across runs"
