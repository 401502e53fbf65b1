#!/usr/bin/env bash
# Removes what `make install` installed, as listed in the build's
# install_manifest.txt, then the folders of emoscope's own that are left
# empty (include/emoscope, share/emoscope/models, share/emoscope); never a
# shared folder such as PREFIX/lib. (CMake ends the manifest without a
# newline: the last line is read all the same.)
set -euo pipefail
manifest=${1:?usage: uninstall.sh BUILD/install_manifest.txt}
if [ ! -f "$manifest" ]; then
  echo "uninstall: no $manifest (nothing was installed from this build)" >&2
  exit 1
fi
n=0
while IFS= read -r f || [ -n "$f" ]; do
  [ -n "$f" ] || continue
  if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; n=$((n + 1)); fi
done <"$manifest"
while IFS= read -r f || [ -n "$f" ]; do
  d=$(dirname -- "$f")
  while [[ "$(basename -- "$d")" = emoscope || "$d" = */emoscope/* ]]; do
    echo "$d"
    d=$(dirname -- "$d")
  done
done <"$manifest" | sort -ru | while IFS= read -r d; do
  rmdir --ignore-fail-on-non-empty -- "$d" 2>/dev/null || true
done
echo "uninstall: removed $n files listed in $manifest"
