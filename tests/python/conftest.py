"""Paths for the Python package's tests: the shared clips, the CLI, the headers.

Run by tests/python/test_python.sh (ctest python_test_python), which points
EMOSCOPE_LIB at the build's libemoscope.so and PYTHONPATH at python/. A
missing shared clip or CLI is a failure, never a skip.
"""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("EMO_SHARED_DIR", os.path.join(ROOT, "..", "shared"))


def clip(name):
    path = os.path.join(SHARED, "testdata", "video", name)
    if not os.path.isfile(path):
        pytest.fail("shared test clip %s is missing (set EMO_SHARED_DIR)" % path)
    return path


@pytest.fixture(scope="session")
def d0():
    return clip("d0.mp4")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("EMO_CLI", os.path.join(ROOT, "build", "emoscope"))
    if not os.access(path, os.X_OK):
        pytest.fail("the emoscope CLI %s is missing (build it, or set EMO_CLI)" % path)
    return path


@pytest.fixture(scope="session")
def d0_cli(cli, d0, tmp_path_factory):
    """The CLI's outputs for d0 (its results are what the package must equal)."""
    import subprocess
    out = tmp_path_factory.mktemp("cli_d0")
    subprocess.run([cli, "analyze", d0, "--out", str(out), "--no-video", "--no-chart"], check=True,
                   stdout=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="session")
def d0_df(d0):
    import emoscope
    return emoscope.analyze(d0)
