#!/usr/bin/env bash
# The man page (docs/emoscope.1, installed as man1/emoscope.1) documents every
# command that `emoscope --help` lists, under its own .SS heading, carries
# version.h's version, and renders with man(1) without a warning. A command
# added to the CLI without its paragraph fails here, naming it.
set -u
cli=${EMO_CLI:?}
root=$(cd "$(dirname "$0")/../.." && pwd)
page="$root/docs/emoscope.1"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$page" ] || fail "no $page"
command -v man >/dev/null || fail "man is not installed (Debian package man-db)"

# The commands: the first word of each line of the help's "commands:" block.
cmds=$("$cli" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ "$(echo "$cmds" | wc -w)" -ge 7 ] || fail "could not read the commands from emoscope --help: $cmds"
missing=""
for c in $cmds; do
  grep -qx "\.SS $c" "$page" || missing="$missing $c"
done
[ -z "$missing" ] || fail "docs/emoscope.1 has no '.SS NAME' paragraph under COMMANDS for:$missing"
# ... and no paragraph for a command the CLI does not have.
for c in $(sed -n 's/^\.SS \([a-z-]*\)$/\1/p' "$page"); do
  echo "$cmds" | grep -qx "$c" || fail "docs/emoscope.1 documents '$c', which emoscope --help does not list"
done

version=$(sed -n 's/^#define EMO_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$root/include/emoscope/version.h" | paste -sd.)
grep -q "^\.TH EMOSCOPE 1 \"[0-9-]*\" \"emoscope $version\"" "$page" || fail ".TH does not say emoscope $version"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
MANWIDTH=80 man --warnings -l "$page" >"$tmp/page.txt" 2>"$tmp/warn.txt" || fail "man -l failed"
[ -s "$tmp/warn.txt" ] && { cat "$tmp/warn.txt"; fail "man -l warns about docs/emoscope.1"; }
for c in $cmds; do
  grep -q "^   $c\$" "$tmp/page.txt" || fail "the rendered page has no heading for $c"
  # man justifies lines: words may stand more than one space apart.
  grep -Eq "emoscope +$c" "$tmp/page.txt" || fail "the rendered page has no usage line for $c"
done
echo "man page: $(echo $cmds | wc -w) commands documented ($(echo $cmds)), renders cleanly"
