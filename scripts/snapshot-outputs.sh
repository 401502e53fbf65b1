#!/usr/bin/env bash
# Runs `emoscope analyze` on the six shared clips and keeps the result files
# (records, events, summary, CSV, chart) in one folder, so that a refactoring
# can be checked byte for byte: snapshot before, snapshot after, then
#   diff -r BEFORE AFTER
# usage: scripts/snapshot-outputs.sh CLI OUTDIR [extra analyze options...]
set -euo pipefail
cli=${1:?usage: snapshot-outputs.sh CLI OUTDIR}
out=${2:?usage: snapshot-outputs.sh CLI OUTDIR}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "${EMO_SHARED_DIR:-$root/../shared}" && pwd)
mkdir -p "$out"
for clip in "$shared"/testdata/video/*.mp4; do
  name=$(basename "$clip" .mp4)
  tmp=$(mktemp -d)
  "$cli" analyze "$clip" --no-video --out "$tmp" "$@" >"$tmp/stdout.log" 2>"$tmp/stderr.log" ||
    { cat "$tmp/stderr.log" >&2; echo "snapshot: analyze failed on $clip" >&2; exit 1; }
  mkdir -p "$out/$name"
  for f in "$tmp"/*; do
    case "$(basename "$f")" in stdout.log|stderr.log) continue ;; esac
    cp -r "$f" "$out/$name/"
  done
  rm -rf "$tmp"
  echo "snapshot: $name"
done
