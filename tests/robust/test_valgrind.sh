#!/usr/bin/env bash
# valgrind memcheck on a real `emoscope analyze` (a few frames of the sample
# clip, every output written); the settings and suppressions are those of
# valgrind_lib.sh.
# Where valgrind cannot run the CLI at all (valgrind 3.19 stops at RDTSCP in
# the static initialiser of libhwy, which libavcodec loads through libjxl,
# on CPUs that do not advertise RDTSCP), the test is skipped with that
# reason; test_valgrind_analysis.sh then still checks the analysis, linked
# without the codec libraries.
set -u
cli=${EMO_CLI:?}; shared=${EMO_SHARED_DIR:?}
. "$(dirname "$0")/valgrind_lib.sh"
clip=$shared/testdata/video/d0.mp4
[ -f "$clip" ] || fail "missing test clip $clip"
vg_require "$cli"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
vg_run "$tmp/vg.log" "$tmp/out.log" "$cli" analyze "$clip" --video.max_frames=4 --out "$tmp/o"
why=$(vg_unhandled "$tmp/vg.log")
if [ -n "$why" ]; then
  grep -B2 -A8 "unhandled instruction\|Unrecognised instruction" "$tmp/vg.log" | head -30
  # Which of the CLI's own dependencies bring the library in.
  lib=$(sed -n 's/.*(in \(.*\))$/\1/p' <<<"$why"); lib=${lib##*/}
  via=""
  if [ -n "$lib" ]; then
    for d in $(readelf -d "$cli" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
      p=$(ldd "$cli" | awk -v d="$d" '$1 == d { print $3 }')
      [ -n "$p" ] && ldd "$p" 2>/dev/null | grep -q "${lib%%.so*}.so" && via="$via $d"
    done
  fi
  skip "$why${via:+, a library the CLI loads through$via}; the analysis is checked under memcheck by robust_test_valgrind_analysis instead"
fi
vg_verdict "$tmp/vg.log" "$tmp/out.log"
grep -q "^records: 4," "$tmp/out.log" || { cat "$tmp/out.log"; fail "analyze did not analyse the 4 frames"; }
echo "PASS"
