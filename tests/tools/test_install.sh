#!/usr/bin/env bash
# The install (issue 19): `cmake --install` of this build into a temporary
# prefix gives libemoscope.so.MAJOR with its soname, the public headers,
# emoscope.pc, the CLI, the man page and the models; a program built with
# `pkg-config --cflags --libs emoscope` alone analyses a real photo with the
# installed models and finds its one face; the installed CLI finds the
# installed models too, with no setting, no environment and no build tree.
set -u
build=${EMO_BUILD_DIR:?}
shared=${EMO_SHARED_DIR:?}
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
image="$shared/testdata/faces/obama.jpg"
[ -f "$image" ] || fail "no $image (shared test data missing: set EMO_SHARED_DIR)"
ls "$root"/models/*.tflite >/dev/null 2>&1 || fail "no models in $root/models (run scripts/install-models.sh)"
for tool in pkg-config cc readelf; do
  command -v $tool >/dev/null || fail "$tool is not installed"
done
tmp=$(mktemp -d)
# cmake --install rewrites the build's install_manifest.txt, which
# `make uninstall` reads: the one of the user's own install is put back.
manifest="$build/install_manifest.txt"
[ -f "$manifest" ] && cp "$manifest" "$tmp/user_manifest"
restore() {
  if [ -f "$tmp/user_manifest" ]; then cp "$tmp/user_manifest" "$manifest"; else rm -f "$manifest"; fi
  rm -rf "$tmp"
}
trap restore EXIT
prefix="$tmp/prefix with space"
unset EMOSCOPE_MODELS_DIR PKG_CONFIG_PATH

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "cmake --install"; }
# The library names folders resolved (realpath), whatever $TMPDIR is.
models=$(realpath "$prefix/share/emoscope/models") || fail "no share/emoscope/models installed"

# The library: real file, soname link and dev link, soname = MAJOR of version.h.
major=$(sed -n 's/^#define EMO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$root/include/emoscope/version.h")
version=$(sed -n 's/^#define EMO_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$root/include/emoscope/version.h" | paste -sd.)
lib=$(find "$prefix" -name "libemoscope.so.$version" -type f)
[ -n "$lib" ] || fail "no libemoscope.so.$version installed"
libdir=$(dirname "$lib")
[ "$(readlink "$libdir/libemoscope.so.$major")" = "libemoscope.so.$version" ] || fail "libemoscope.so.$major link"
[ -L "$libdir/libemoscope.so" ] || fail "libemoscope.so link"
readelf -d "$lib" | grep -q "SONAME.*\[libemoscope.so.$major\]" || fail "soname is not libemoscope.so.$major"
find "$prefix" -name 'libemoscope.a' | grep -q . && fail "the static library is for the build tree only"

# Every public header, and nothing else in include/.
(cd "$root/include" && find emoscope -name '*.h' | sort) >"$tmp/want_h"
(cd "$prefix/include" && find . -type f | sed 's|^\./||' | sort) >"$tmp/got_h"
diff "$tmp/want_h" "$tmp/got_h" || fail "installed headers differ from include/emoscope/*.h"

# The CLI, its man page, the models with their checksums.
[ -x "$prefix/bin/emoscope" ] || fail "no bin/emoscope"
[ -f "$prefix/share/man/man1/emoscope.1" ] || fail "no share/man/man1/emoscope.1"
for m in "$root"/models/*; do
  cmp -s "$m" "$prefix/share/emoscope/models/$(basename "$m")" || fail "model $(basename "$m") not installed"
done
# From elsewhere, the installed CLI finds the installed models by itself.
(cd "$tmp" && "$prefix/bin/emoscope" models) >"$tmp/models.txt" 2>&1 || { cat "$tmp/models.txt"; fail "installed emoscope models"; }
grep -qxF "models folder: $models" "$tmp/models.txt" ||
  { cat "$tmp/models.txt"; fail "installed CLI does not use the installed models"; }
"$prefix/bin/emoscope" --version | grep -qx "emoscope $version" || fail "installed emoscope --version"

# pkg-config gives all a program needs; the program uses nothing else.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion emoscope)" = "$version" ] || fail "pkg-config --modversion"
[ "$(pkg-config --variable=modelsdir emoscope | sed 's/\\ / /g')" = "$prefix/share/emoscope/models" ] || fail "pkg-config modelsdir"
# A sanitized build (EMO_SANITIZE, the ASan suite) installs an instrumented
# library, whose runtime must come first: the program is built the same way.
san=""
readelf -d "$lib" | grep -q 'NEEDED.*libasan' && san="-fsanitize=address,undefined -fno-omit-frame-pointer"
# shellcheck disable=SC2046 # word splitting of the flags is the point (the prefix's space is escaped by pkg-config)
eval "cc -std=c11 -Wall -Wextra -Werror $san -o \"$tmp/analyze_frame\" \"$root/examples/analyze_frame.c\" $(pkg-config --cflags --libs emoscope)" \
  2>"$tmp/cc.log" || { cat "$tmp/cc.log"; fail "the example does not build with pkg-config's flags"; }
# It links the installed shared library, not anything from the build tree.
LD_LIBRARY_PATH="$libdir" ldd "$tmp/analyze_frame" | grep -F "libemoscope.so.$major => $libdir/" >/dev/null ||
  fail "the example is not linked to the installed libemoscope.so.$major"
(cd "$tmp" && LD_LIBRARY_PATH="$libdir" ./analyze_frame "$image" 1) >"$tmp/run.txt" 2>&1
st=$?
cat "$tmp/run.txt"
[ $st -eq 0 ] || fail "the example exited $st on $image"
grep -qF "models from $models" "$tmp/run.txt" || fail "the example did not use the installed models"
# ... and it fails when it should: no face in a frame of plain grey.
ffmpeg -v error -f lavfi -i color=c=gray:s=320x240 -frames:v 1 "$tmp/grey.png" || fail "ffmpeg"
(cd "$tmp" && LD_LIBRARY_PATH="$libdir" ./analyze_frame "$tmp/grey.png" 1) >/dev/null 2>&1 &&
  fail "the example exited 0 on a frame without a face"
# uninstall removes every file it installed and emoscope's own folders.
cp "$manifest" "$tmp/manifest"
"$root/scripts/uninstall.sh" "$tmp/manifest" >/dev/null || fail "uninstall.sh"
find "$prefix" -type f -o -type l | grep . && fail "files left after uninstall"
find "$prefix" -name 'emoscope*' | grep . && fail "emoscope folders left after uninstall"
echo "install into a temporary prefix: library, headers, pc, CLI, man page, models; pkg-config program ok; uninstall clean"
