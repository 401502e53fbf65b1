#!/usr/bin/env bash
# Installs the model files and sample clips listed in scripts/assets.txt:
# copied from the mirror folder (../shared by default, EMO_SHARED_DIR to
# change it) when it has them, else downloaded from upstream; every file's
# SHA256 is checked, and a missing or corrupt file is named.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${EMO_SHARED_DIR:-$root/../shared}
status=0
while read -r dest sum mirror url; do
  case "$dest" in ''|'#'*) continue ;; esac
  out="$root/$dest"
  if [ -f "$out" ] && echo "$sum  $out" | sha256sum -c --status 2>/dev/null; then
    continue
  fi
  mkdir -p "$(dirname "$out")"
  tmp="$out.part"
  rm -f "$tmp"
  if [ -f "$shared/$mirror" ]; then
    cp "$shared/$mirror" "$tmp"
    from="mirror $shared/$mirror"
  else
    from="$url"
    if ! curl -fsSL --retry 2 --connect-timeout 15 -o "$tmp" "$url"; then
      echo "models: cannot fetch $(basename "$dest") from $url" >&2
      rm -f "$tmp"; status=1; continue
    fi
  fi
  if echo "$sum  $tmp" | sha256sum -c --status; then
    mv "$tmp" "$out"
    echo "models: installed $dest (from $from)"
  else
    echo "models: checksum mismatch for $(basename "$dest") (from $from)" >&2
    rm -f "$tmp"; status=1
  fi
done < "$root/scripts/assets.txt"
[ $status -eq 0 ] && echo "models: all files present and verified"
exit $status
