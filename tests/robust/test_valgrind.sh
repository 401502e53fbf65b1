#!/usr/bin/env bash
# valgrind memcheck on a real `emoscope analyze` (a few frames of the sample
# clip, every output written): no invalid read/write, no use of
# uninitialised values, no definitely or indirectly lost memory. The only
# suppressions (valgrind.supp, each explained there) are blocks allocated
# inside libfontconfig, which keeps pointers as encoded offsets that memcheck
# cannot follow, and a 4-byte self-copy inside libcpuinfo.
# Sanitizer builds cannot run under valgrind: there ASan/UBSan do this job.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || { echo "FAIL: missing test clip $clip" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
if nm "$cli" 2>/dev/null | grep -q "__asan_init"; then
  echo "not applicable: $cli is an AddressSanitizer build (ASan checks the same run in tests/pipeline)"
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect --track-origins=no --error-exitcode=99 \
  --suppressions="$here/valgrind.supp" --log-file="$tmp/vg.log" \
  "$cli" analyze "$clip" --video.max_frames=4 --out "$tmp/o" >"$tmp/out.log" 2>&1
st=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|suppressed:" "$tmp/vg.log" | sed 's/^==[0-9]*== *//'
if grep -q "unhandled instruction\|Unrecognised instruction\|illegal instruction" "$tmp/vg.log"; then
  grep -B2 -A8 "unhandled instruction\|Unrecognised instruction" "$tmp/vg.log" | head -30
  fail "valgrind cannot run an instruction of this build"
fi
if [ $st -ne 0 ]; then
  grep -A30 "Invalid\|uninitialised\|definitely lost in\|indirectly lost in" "$tmp/vg.log" | head -120
  tail -5 "$tmp/out.log"
  fail "memcheck: exit $st"
fi
grep -q "ERROR SUMMARY: 0 errors" "$tmp/vg.log" || fail "memcheck reported errors"
grep -q "^records: 4," "$tmp/out.log" || { cat "$tmp/out.log"; fail "analyze did not analyse the 4 frames"; }
echo "PASS"
