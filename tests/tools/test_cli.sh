#!/usr/bin/env bash
# The command-line shell: help, version, models, config dump, bad configs.
set -u
cli=${EMO_CLI:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cli" --help | grep -q "usage: emoscope" || fail "--help"
"$cli" --version | grep -Eq "^emoscope [0-9]+\.[0-9]+\.[0-9]+$" || fail "--version"
# ... and it is the version of include/emoscope/version.h.
header=$(dirname "$0")/../../include/emoscope/version.h
want=$(sed -n 's/^#define EMO_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$header" | paste -sd.)
[ "$("$cli" --version)" = "emoscope $want" ] || fail "--version is not version.h's $want"
"$cli" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no command must exit 2"
"$cli" frobnicate >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "unknown command must exit 2"
grep -q "unknown command 'frobnicate'" "$tmp/err" || fail "unknown command message"
for c in run analyze eval bench models model config; do
  "$cli" $c --help | grep -q "usage: emoscope $c" || fail "$c --help"
done

# models: all verified in the installed folder; a corrupt copy is named.
"$cli" models > "$tmp/models" || fail "models exit status with installed models"
grep -q "mini_xception .* ok" "$tmp/models" || fail "models lists mini_xception ok"
mkdir "$tmp/m"; cp "$EMO_MODELS_DIR"/*.tflite "$tmp/m/"; echo garbage > "$tmp/m/fer2013_mini_XCEPTION.102-0.66.hdf5"
"$cli" models --general.models_dir="$tmp/m" > "$tmp/models2" 2>&1; st=$?
[ $st -eq 5 ] || fail "models with a corrupt file must exit 5, got $st"
grep -q "fer2013_mini_XCEPTION.102-0.66.hdf5 *checksum mismatch" "$tmp/models2" || fail "corrupt model named"
grep -q "canonical_face_model.obj *missing" "$tmp/models2" || fail "missing model named"

# config: defaults, file, overrides (flag beats file), secrets hidden, errors with names.
printf '[face]\nmax_faces = 2\n[api]\nkey = hunter2\n' > "$tmp/a.ini"
"$cli" --config "$tmp/a.ini" config --dump --face.max_faces=3 > "$tmp/dump" || fail "config --dump"
grep -q "^max_faces = 3$" "$tmp/dump" || fail "override beats file"
grep -q "hunter2" "$tmp/dump" && fail "API key printed"
grep -q "^key = \*\*\*$" "$tmp/dump" || fail "API key masked"
grep -q "^fps = 60$" "$tmp/dump" || fail "default fps"
printf '[face]\nmax_faces = lots\n' > "$tmp/bad.ini"
"$cli" --config "$tmp/bad.ini" config --dump >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "bad config exit 2"
grep -q "face.max_faces" "$tmp/err" || fail "bad config names the key"
"$cli" --config "$tmp/none.ini" config --dump >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "missing config exit 2"
grep -q "none.ini" "$tmp/err" || fail "missing config named"
"$cli" config --dump --nosuch.key=1 >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "unknown override exit 2"
head -c 3000 /dev/urandom > "$tmp/random.ini"
"$cli" --config "$tmp/random.ini" config --dump >/dev/null 2>&1; st=$?
[ $st -eq 2 ] || [ $st -eq 0 ] || fail "random config must fail cleanly, got $st"

# The README documents every setting: its table is `config --markdown`.
readme="$(dirname "$0")/../../README.md"
"$cli" config --markdown > "$tmp/table.md"
while IFS= read -r line; do
  grep -qF -- "$line" "$readme" || fail "README lacks the settings row: $line (regenerate with emoscope config --markdown)"
done < "$tmp/table.md"
echo "cli: all checks passed"
