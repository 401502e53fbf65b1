#!/usr/bin/env bash
# The shared build of the library exports exactly the functions that the
# public headers mark EMO_API, all named emo_, and every function the public
# headers declare is so marked (scripts/annotate-api.py --check).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
lib=${EMO_BUILD_DIR:?}/libemoscope.so
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$lib" ] || fail "no $lib (the emoscope_shared target)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# What the headers mark: the name before the first parenthesis of each EMO_API line.
grep -ho '^EMO_API [^(]*(' "$root"/include/emoscope/*.h | grep -o '[A-Za-z_][A-Za-z0-9_]*($' | tr -d '(' |
  sort -u >"$tmp/marked"
if [ ! -s "$tmp/marked" ]; then
  echo "SKIP: the public headers carry no EMO_API yet (run scripts/annotate-api.py)"
  exit 77
fi
# What the library exports: defined dynamic symbols, without the ones the
# toolchain itself adds to every shared object (the sanitizers' runtimes).
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^_init$\|^_fini$\|^__odr_asan\|^__asan\|^__ubsan\|^__sanitizer' |
  sort -u >"$tmp/exported"

grep -v '^emo_' "$tmp/exported" && fail "exported names above are not emo_ names"
comm -23 "$tmp/exported" "$tmp/marked" | grep . && fail "exported above but not marked EMO_API in include/"
comm -13 "$tmp/exported" "$tmp/marked" | grep . && fail "marked EMO_API above but not exported (declared, never defined?)"
python3 "$root/scripts/annotate-api.py" --check || fail "public declarations without EMO_API"

# The script is idempotent: a second run on an annotated copy changes nothing.
mkdir -p "$tmp/inc" && cp "$root"/include/emoscope/*.h "$tmp/inc/"
python3 "$root/scripts/annotate-api.py" "$tmp"/inc/*.h >/dev/null
cp -r "$tmp/inc" "$tmp/once"
[ -z "$(python3 "$root/scripts/annotate-api.py" "$tmp"/inc/*.h)" ] || fail "a second run changed headers"
diff -r "$tmp/once" "$tmp/inc" >/dev/null || fail "a second run changed headers"
echo "$(wc -l <"$tmp/exported") functions exported, all marked EMO_API and named emo_"
