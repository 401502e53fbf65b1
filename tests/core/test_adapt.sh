#!/usr/bin/env bash
# One adapter from the INI configuration to the module settings
# (src/core/adapt.c, <emoscope/adapt.h>; the viewer's in viewer/adapt.c):
# every *_settings_from_config is declared in adapt.h (or, for the viewer
# library, in viewer.h) and defined in one of the two adapter files, and the
# modules whose settings they fill neither include config.h nor name EmoConfig.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root" || exit 1

defs=$(grep -ln '^[a-z].* emo_[a-z_]*_settings_from_config(' src/*/*.c viewer/*.c tools/*.c bench/*.c | sort | tr '\n' ' ')
[ "$defs" = "src/core/adapt.c viewer/adapt.c " ] || fail "settings_from_config defined outside the adapters: $defs"
decls=$(grep -l 'emo_[a-z_]*_settings_from_config(' include/emoscope/*.h | tr '\n' ' ')
[ "$decls" = "include/emoscope/adapt.h " ] || fail "settings_from_config declared outside adapt.h: $decls"
n=$(grep -c '^EMO_API .*_settings_from_config(' include/emoscope/adapt.h)
[ "$n" -eq 5 ] || fail "adapt.h declares $n converters, expected 5 (video, writer, overlay, api, ensemble)"

for f in src/video/*.c src/video/*.h src/render/*.c src/render/*.h src/emotion/api.c src/emotion/ensemble.c \
         viewer/viewer.c viewer/audio.c include/emoscope/video.h include/emoscope/render.h; do
  grep -q 'emoscope/config\.h\|EmoConfig\b' "$f" && fail "$f reads the INI configuration (config.h / EmoConfig)"
done
echo "adapters: $defs; modules free of the INI configuration"
