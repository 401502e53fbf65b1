# Sourced by test_valgrind.sh and test_valgrind_analysis.sh: one memcheck
# run and the verdict on it. Exit codes: 0 pass, 1 fail, 77 skip (ctest's
# SKIP_RETURN_CODE for both tests): a skip always says why.
#
# Memcheck settings: no invalid read/write, no use of uninitialised values,
# no definitely or indirectly lost memory. The only suppressions
# (valgrind.supp, each explained there) are blocks allocated inside
# libfontconfig, which keeps pointers as encoded offsets that memcheck cannot
# follow, and a 4-byte self-copy inside libcpuinfo.
vg_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# Checks that the tools exist and that $1 is not a sanitizer build (those
# cannot run under valgrind; there ASan/UBSan do this job, in tests/pipeline).
vg_require() {
  command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
  if nm "$1" 2>/dev/null | grep -q "__asan_init"; then
    skip "$1 is an AddressSanitizer build, which cannot run under valgrind (ASan checks the same run in tests/pipeline)"
  fi
}

# vg_run LOG OUTLOG PROGRAM ARGS...: runs PROGRAM under memcheck; sets vg_status.
vg_run() {
  local log=$1 outlog=$2; shift 2
  valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --track-origins=no --error-exitcode=99 \
    --suppressions="$vg_here/valgrind.supp" --log-file="$log" "$@" >"$outlog" 2>&1
  vg_status=$?
  grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|suppressed:" "$log" | sed 's/^==[0-9]*== *//'
}

# The instruction, function and library valgrind stopped at, as one line
# ("" when it did not stop at one).
vg_unhandled() {
  local log=$1 bytes where insn
  grep -q "unhandled instruction\|Unrecognised instruction" "$log" || return 0
  bytes=$(sed -n 's/.*unhandled instruction bytes: \(0x[0-9A-F]* 0x[0-9A-F]* 0x[0-9A-F]*\).*/\1/p' "$log" | head -1)
  where=$(grep -A1 "Unrecognised instruction" "$log" | sed -n 's/.*at 0x[0-9A-F]*: *//p' | head -1)
  case "$bytes" in
    "0xF 0x1 0xF9") insn="RDTSCP (0F 01 F9)" ;;
    *) insn="the instruction at bytes $bytes" ;;
  esac
  echo "valgrind $(valgrind --version | sed 's/^valgrind-//') cannot execute $insn, met in ${where:-an unnamed function}"
}

# vg_verdict LOG OUTLOG: fails on any memcheck error or a failed program.
vg_verdict() {
  local log=$1 outlog=$2
  if [ "$vg_status" -ne 0 ]; then
    grep -A30 "Invalid\|uninitialised\|definitely lost in\|indirectly lost in" "$log" | head -120
    tail -5 "$outlog"
    fail "memcheck: exit $vg_status"
  fi
  grep -q "ERROR SUMMARY: 0 errors" "$log" || fail "memcheck reported errors"
}
