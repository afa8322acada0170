#!/bin/sh
# run_pytest.sh DIR - run the Python binding tests (pytest) for ctest.
#
# Uses Debian's interpreter (/usr/bin/python3, or $PEDIA_PYTHON), never a
# pyenv shim.  Exit 77 (ctest SKIP_RETURN_CODE) with the reason printed when
# the interpreter or pytest is missing, or when pytest collected no tests.
# With PEDIA_ASAN_RUNTIME set (PEDIA_SANITIZE builds), the sanitizer runtime
# is preloaded: a sanitized libpedia.so cannot be dlopen()ed otherwise.
dir=${1:?usage: run_pytest.sh TESTDIR}
py=${PEDIA_PYTHON:-/usr/bin/python3}

if [ ! -x "$py" ]; then
    echo "python_bindings: skipped: $py not found (apt install python3)"
    exit 77
fi
if ! "$py" -c 'import pytest' >/dev/null 2>&1; then
    echo "python_bindings: skipped: pytest is not installed for $py" \
         "(apt install python3-pytest)"
    exit 77
fi
if [ -n "$PEDIA_ASAN_RUNTIME" ]; then
    if [ ! -f "$PEDIA_ASAN_RUNTIME" ]; then
        echo "python_bindings: skipped: sanitizer build but the ASan" \
             "runtime '$PEDIA_ASAN_RUNTIME' was not found"
        exit 77
    fi
    LD_PRELOAD="$PEDIA_ASAN_RUNTIME${LD_PRELOAD:+ $LD_PRELOAD}"
    # The interpreter itself is not leak-clean; C-level leaks are checked
    # by the tests' counting allocator instead.
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LD_PRELOAD ASAN_OPTIONS
fi

# Keep the source tree clean: no __pycache__, no .pytest_cache.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
"$py" -m pytest -q -p no:cacheprovider -rs "$dir"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "python_bindings: skipped: pytest collected no tests in $dir"
    exit 77
fi
exit "$rc"
