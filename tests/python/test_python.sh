#!/usr/bin/env bash
# The Python package (python/) and its pytest tests, on this build's
# libemoscope.so. Debian's python3 is preferred: it is the one the
# python3-cffi, -numpy, -pandas, -pytest and -distributed packages serve.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
# Python cannot load a library built with the sanitizers unless their
# runtimes come first in the process; the C tests cover the library there.
if grep -q '^EMO_SANITIZE:BOOL=ON' "${EMO_BUILD_DIR:?}/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build (libemoscope.so needs the ASan runtime loaded before python3)"
  exit 77
fi
py=""
for p in ${EMO_PYTHON:-} /usr/bin/python3 python3; do
  if "$p" -c 'import cffi, numpy, pandas, pytest' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "FAIL: no python3 with cffi, numpy, pandas and pytest (scripts/packages.txt: python3-cffi python3-numpy python3-pandas python3-pytest)" >&2
  exit 1
fi
export EMOSCOPE_LIB=${EMO_BUILD_DIR:?}/libemoscope.so
export EMOSCOPE_MODELS_DIR=${EMO_MODELS_DIR:-$root/models}
export PYTHONPATH=$root/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
cd "$root/tests/python" || exit 1
[ $# -gt 0 ] || set -- .
exec "$py" -m pytest -q -p no:cacheprovider "$@"
