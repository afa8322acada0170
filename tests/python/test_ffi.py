"""The ctypes layer: declarations vs docs/symbols.txt, library lookup,
version check, and the error mapping vs pedia/errors.h."""
from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys

import pytest

import pedia
from pedia import _ffi, errors
from conftest import BINDINGS, ROOT


def exported_symbols() -> set:
    with open(os.path.join(ROOT, "docs", "symbols.txt")) as f:
        return {line.strip() for line in f if line.strip()}


def test_every_exported_symbol_is_declared():
    missing = exported_symbols() - set(_ffi.declared_symbols())
    assert not missing, "declare these in pedia/_ffi.py: %s" % sorted(missing)


def test_every_declared_symbol_exists_or_is_optional():
    lib = _ffi.lib()
    listed = exported_symbols()
    for name in _ffi.declared_symbols():
        present = hasattr(lib.dll, name)
        if name in _ffi.OPTIONAL:
            continue
        assert present, "%s declared but not exported" % name
        assert name in listed, "%s declared but not in symbols.txt" % name


def test_declarations_match_headers():
    """Return types and parameter counts follow the public headers."""
    hdrs = ""
    inc = os.path.join(ROOT, "include", "pedia")
    for d, _, files in os.walk(inc):
        for f in files:
            with open(os.path.join(d, f)) as fh:
                hdrs += fh.read()
    hdrs = re.sub(r"/\*.*?\*/", "", hdrs, flags=re.S)
    for name, (restype, argtypes) in _ffi.SIGNATURES.items():
        m = re.search(r"PEDIA_API\s+([^;]*?)\b%s\s*\(([^)]*)\)" % name, hdrs)
        assert m, "%s not found in include/pedia" % name
        ret, params = m.group(1).strip(), m.group(2).strip()
        nparams = 0 if params in ("", "void") else params.count(",") + 1
        assert nparams == len(argtypes), name
        if name == "pedia_error_last_code":  # an accessor, never raises
            assert restype is ctypes.c_int
        elif ret == "pedia_err":
            assert restype is _ffi.ERR, name
        elif ret == "void":
            assert restype is None, name
        elif "char *" in ret:
            assert restype in (ctypes.c_char_p, ctypes.c_void_p), name


def test_optional_symbol_absent_raises_not_supported():
    stub = _ffi._Missing("pedia_api_nothing")
    with pytest.raises(pedia.NotSupported):
        stub()


def test_version():
    v = pedia.version()
    assert re.match(r"^\d+\.\d+\.\d+$", v)
    assert ".".join(map(str, pedia.version_info())) == v
    assert pedia.version_info()[0] == _ffi.ABI_MAJOR


def test_load_is_idempotent_and_path_conflict():
    lib = _ffi.lib()
    assert pedia.load_library() is lib
    assert pedia.load_library(lib.path) is lib
    with pytest.raises(pedia.LibraryNotFoundError):
        pedia.load_library("/nonexistent/libpedia.so")


def run_py(code: str, env: dict) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env)
    e["PYTHONPATH"] = BINDINGS
    return subprocess.run([sys.executable, "-c", code], env=e,
                          capture_output=True, text=True, timeout=60)


def test_bad_library_path_is_an_import_error():
    code = ("import pedia\n"
            "try:\n    pedia.version()\n"
            "except ImportError as e:\n    print('IMPORTERROR', e)\n")
    r = run_py(code, {"PEDIA_LIBRARY": "/nonexistent/libpedia.so"})
    assert r.returncode == 0, r.stderr
    assert "IMPORTERROR" in r.stdout
    assert "PEDIA_LIBRARY" in r.stdout


def test_not_a_pedia_library_is_rejected():
    libc = ctypes.util.find_library("c") or "libc.so.6"
    code = ("import pedia\n"
            "try:\n    pedia.version()\n"
            "except pedia.LibraryNotFoundError as e:\n    print('REJ', e)\n")
    r = run_py(code, {"PEDIA_LIBRARY": libc})
    assert "REJ" in r.stdout and "missing" in r.stdout, r.stdout + r.stderr


def test_lookup_order(monkeypatch):
    """PEDIA_LIBRARY alone when set; else the recorded path, find_library,
    the standard directories, and last a plain dlopen of the soname."""
    import types
    monkeypatch.setenv("PEDIA_LIBRARY", "/x/libpedia.so")
    assert _ffi.candidates() == [("PEDIA_LIBRARY", "/x/libpedia.so")]
    monkeypatch.delenv("PEDIA_LIBRARY")
    how = [h for h, _ in _ffi.candidates()]
    assert "PEDIA_LIBRARY" not in how and how[-1] == "dlopen"
    assert "recorded at build time" not in how
    rec = types.ModuleType("pedia._libpath")
    rec.LIBRARY = "/recorded/libpedia.so.0.1"
    monkeypatch.setitem(sys.modules, "pedia._libpath", rec)
    assert _ffi.candidates()[0] == ("recorded at build time",
                                    "/recorded/libpedia.so.0.1")


def test_import_does_not_load_the_library():
    r = run_py("import pedia, pedia._ffi as f; print(f._LIB is None)",
               {"PEDIA_LIBRARY": "/nonexistent"})
    assert r.stdout.strip() == "True", r.stderr


# ---- errors ----------------------------------------------------------------

def header_codes() -> dict:
    with open(os.path.join(ROOT, "include", "pedia", "errors.h")) as f:
        src = f.read()
    return {int(v): n for n, v in
            re.findall(r"X\((\w+),\s*(-?\d+),", src)}


def test_every_error_code_is_mapped():
    codes = header_codes()
    assert codes[0] == "OK"
    for value, name in codes.items():
        if value == 0:
            continue
        assert value in errors.BY_ERRNO, "no class for %s" % name
        assert pedia.err_name(value) == name
        cls = errors.BY_ERRNO[value]
        assert cls.default_code == name
        assert cls.default_errno == value
        exc = errors.make_error(value, "msg", 5, name)
        assert isinstance(exc, pedia.Error)
        assert exc.code == name and exc.errno == value and exc.cause == 5
        assert str(exc) == "%s: msg" % name
        assert pedia.strerror(value) == pedia.strerror(name)
    assert set(errors.BY_ERRNO) == set(codes) - {0}


def test_error_families():
    assert issubclass(pedia.QueryError, ValueError)
    assert issubclass(pedia.ManifestError, pedia.InvalidArgument)
    assert issubclass(pedia.NotFound, LookupError)
    assert issubclass(pedia.Timeout, TimeoutError)
    assert issubclass(pedia.ClosedError, pedia.StateError)
    assert issubclass(pedia.OutOfMemory, MemoryError)
    assert issubclass(pedia.TLSError, pedia.NetworkError)
    assert pedia.PediaError is pedia.Error


def test_unknown_error_code():
    exc = errors.make_error(-100, "x", 0, pedia.err_name(-100))
    assert type(exc) is pedia.Error and exc.code == "E100"
    assert pedia.strerror(-100) == "unknown error"
    assert pedia.strerror("OK") == "success"
    with pytest.raises(ValueError):
        pedia.strerror("ENOPE")


def test_error_message_comes_from_the_library():
    with pytest.raises(pedia.InvalidArgument) as ei:
        pedia.Store.open("nosuchscheme:/x")
    assert ei.value.code == "EINVAL"
    assert "scheme" in ei.value.message
    # The slot describes the last call: a successful call clears it.
    lib = _ffi.lib()
    assert lib.pedia_error_last_code() == -3
    assert pedia.version()
    with pedia.Store.open("sqlite::memory:") as st:
        assert st.revision == 0
    assert lib.pedia_error_last_code() == 0
    assert lib.pedia_error_last_message() == b""
    assert lib.pedia_error_last_cause() == 0


def test_sys_error_set_is_callable():
    """pedia_sys_error_set (driver API) fills the calling thread's slot."""
    lib = _ffi.lib()
    lib.pedia_sys_error_set(-14, 7, b"driver says no")
    assert lib.pedia_error_last_code() == -14
    assert lib.pedia_error_last_message() == b"driver says no"
    assert lib.pedia_error_last_cause() == 7
