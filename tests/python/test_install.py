"""`pip install ./bindings/python` works offline (no index, no build
isolation: the system setuptools builds the pure-Python wheel)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import BINDINGS


def have_pip() -> bool:
    r = subprocess.run([sys.executable, "-m", "pip", "--version"],
                       capture_output=True, text=True)
    return r.returncode == 0


def test_pip_install_offline(tmpdir_path):
    if not have_pip():
        pytest.skip("%s -m pip is not available (Debian: apt install "
                    "python3-pip)" % sys.executable)
    try:
        import setuptools
        assert setuptools.__version__
    except ImportError:
        pytest.skip("setuptools is not installed (python3-setuptools)")
    # Build from a copy so setuptools' build/ and egg-info stay out of the
    # source tree.
    src = os.path.join(tmpdir_path, "src")
    shutil.copytree(BINDINGS, src,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info"))
    target = os.path.join(tmpdir_path, "site")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1",
               http_proxy="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation",
         "--no-index", "--no-deps", "--target", target, src],
        env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.exists(os.path.join(target, "pedia", "py.typed"))
    # The installed copy works (and is the one imported).
    code = ("import pedia, sys; assert pedia.__file__.startswith(sys.argv[1])"
            "; s = pedia.Store.open('sqlite::memory:'); print(s.revision, "
            "pedia.version())")
    r = subprocess.run([sys.executable, "-c", code, target],
                       env=dict(os.environ, PYTHONPATH=target),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "0"
