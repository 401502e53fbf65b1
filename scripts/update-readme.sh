#!/usr/bin/env bash
# Regenerates the settings table of README.md from `emoscope config --markdown`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/emoscope}
table=$("$bin" config --markdown)
python3 - "$root/README.md" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
s = open(path).read()
b, e = "<!-- settings:begin -->", "<!-- settings:end -->"
i, j = s.index(b) + len(b), s.index(e)
open(path, "w").write(s[:i] + "\n" + table + "\n" + s[j:])
PY
echo "README settings table updated"
