#!/usr/bin/env bash
# The emoscope binary is hardened: position-independent executable (ELF type
# DYN with the PIE flag), stack protector (__stack_chk_fail referenced) and
# _FORTIFY_SOURCE=2 (checked __*_chk variants of libc calls referenced).
# Sanitizer and Debug builds leave fortify out on purpose (CMakeLists.txt):
# for them the fortify check is reported as not applicable.
set -u
cli=${EMO_CLI:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v readelf >/dev/null && command -v nm >/dev/null || fail "readelf and nm (binutils) are needed"
[ -f "$cli" ] || fail "no binary $cli"

type=$(readelf -h "$cli" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
echo "ELF type: $type"
[ "$type" = DYN ] || fail "not a position-independent executable (type $type)"
readelf -d "$cli" | grep -q "FLAGS_1.*PIE" || fail "DT_FLAGS_1 lacks PIE"

syms=$(nm -D "$cli"; nm "$cli" 2>/dev/null)
grep -q "__stack_chk_fail" <<<"$syms" || fail "no stack protector (__stack_chk_fail not referenced)"
echo "stack protector: __stack_chk_fail referenced"
# Every C file of ours is compiled with it (the DWARF producer records the flags).
if readelf --debug-dump=info "$cli" 2>/dev/null | grep -q "DW_AT_producer"; then
  cus=$(readelf --debug-dump=info "$cli" 2>/dev/null | grep -A8 "DW_TAG_compile_unit" | grep "DW_AT_name.*/src/\|DW_AT_name.*/tools/" | wc -l)
  prot=$(readelf --debug-dump=info "$cli" 2>/dev/null | grep "DW_AT_producer" | grep -c "fstack-protector-strong")
  echo "compile units of ours: $cus, compiled with -fstack-protector-strong: $prot"
  [ "$prot" -ge "$cus" ] || fail "some of our files lack -fstack-protector-strong"
fi

chk=$(grep -o "__[a-z_]*_chk" <<<"$syms" | grep -v stack_chk | sort -u | tr '\n' ' ')
if grep -q "__asan_init\|__ubsan_handle" <<<"$syms"; then
  echo "fortify: not applicable (sanitizer build; fortify is off there by design)"
else
  [ -n "$chk" ] || fail "no __*_chk symbols: _FORTIFY_SOURCE is not in effect"
  echo "fortify: $chk"
fi
relro=$(readelf -lW "$cli" | grep -c GNU_RELRO)
now=$(readelf -d "$cli" | grep -c "BIND_NOW\|FLAGS.*NOW")
echo "RELRO segments: $relro, BIND_NOW: $now (reported, not required)"
echo "PASS"
