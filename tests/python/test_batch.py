"""emoscope.batch on a real Dask cluster (2 worker processes), against the C `emoscope batch`.

The output folders must be byte-identical to the local batch's (the same
library items write them), a worker killed mid-batch must not stop the
batch, and nothing may be left half written. Short clips keep it quick.
"""
import filecmp
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import emoscope
from conftest import clip

import distributed  # noqa: E402  (python3-distributed: a missing one is a failure, not a skip)

# Cairo's SVG names its surface with a counter that differs between runs.
_SURFACE = re.compile(rb'<g id="surface[0-9]*">')


def _inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(clip("d12.mp4"), d / "d12.mp4")
    shutil.copy(clip("d0.mp4"), d / "d0.mp4")
    shutil.copy(clip("d0.mp4"), d / "d0b.mp4")
    return d


def _same_tree(a, b):
    """Every output folder in a equals b's, file for file, byte for byte (batch.csv aside)."""
    names = sorted(n for n in os.listdir(a) if n != "batch.csv")
    assert names == sorted(n for n in os.listdir(b) if n != "batch.csv")
    for n in names:
        files = sorted(os.listdir(os.path.join(a, n)))
        assert files == sorted(os.listdir(os.path.join(b, n))), n
        for f in files:
            pa, pb = os.path.join(a, n, f), os.path.join(b, n, f)
            if f.endswith(".svg"):
                with open(pa, "rb") as x, open(pb, "rb") as y:
                    assert _SURFACE.sub(b"", x.read()) == _SURFACE.sub(b"", y.read()), pa
            else:
                assert filecmp.cmp(pa, pb, shallow=False), pa


def _index(df):
    return [(os.path.basename(r.output), r.status, int(r.frames), r.error) for r in df.itertuples()]


@pytest.fixture(scope="module")
def local_batch(cli, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    inputs = _inputs(tmp)
    out = tmp / "c"
    subprocess.run([cli, "batch", str(inputs), "--out", str(out), "--jobs", "2", "--no-video", "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return inputs, out


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as c, distributed.Client(c) as client:
        yield c, client


def test_dask_batch_identical_with_a_worker_killed(local_batch, cluster):
    inputs, c_out = local_batch
    lc, client = cluster
    out = c_out.parent / "dask"
    done = {}

    def run():
        try:
            done["df"] = emoscope.batch(str(inputs), str(out), client=client, video=False)
        except BaseException as e:  # reported below
            done["error"] = e

    t = threading.Thread(target=run)
    t.start()
    # Kill the worker that runs d12 (the longest file) once it is under way.
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and t.is_alive():
        for addr, keys in client.processing().items():
            if any("d12" in str(k) for k in keys):
                victim = addr
        time.sleep(0.05)
    assert victim is not None, "the d12 task never ran"
    time.sleep(1.0)
    pid = client.run(os.getpid, workers=[victim])[victim]
    assert any("d12" in str(k) for k in client.processing().get(victim, ())), "d12 ended before the kill"
    os.kill(pid, signal.SIGKILL)
    t.join(180)
    assert not t.is_alive(), "the batch did not finish"
    assert "error" not in done, done.get("error")
    df = done["df"]
    assert pid not in client.run(os.getpid).values(), "the killed worker is still there"
    assert list(df.columns) == ["input", "status", "output", "frames", "seconds", "error"]
    assert set(df["status"]) == {"done"}
    c_index = _index(emoscope_read_index(c_out))
    assert _index(df) == c_index
    _same_tree(out, c_out)
    assert not [n for n in os.listdir(out) if ".tmp-" in n], "a half result was left"

    # The command line on the same cluster: everything is done already, so every input is skipped.
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "emoscope.batch", str(inputs), "--out", str(out), "--no-video",
                        "--scheduler", lc.scheduler_address, "--quiet"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert set(emoscope_read_index(out)["status"]) == {"skipped"}


def emoscope_read_index(folder):
    import pandas as pd
    return pd.read_csv(os.path.join(folder, "batch.csv"), keep_default_na=False, dtype={"error": str})


def test_cli_scheduler_execs_the_python_driver(local_batch, cluster, cli, tmp_path):
    """`emoscope batch --scheduler` runs python3 -m emoscope.batch with its own arguments."""
    inputs, c_out = local_batch
    lc, _ = cluster
    out = tmp_path / "again"
    shutil.copytree(c_out, out)  # finished folders: the Dask run must recognise them (same keys)
    env = dict(os.environ, EMOSCOPE_PYTHON=sys.executable)
    r = subprocess.run([cli, "batch", str(inputs), "--out", str(out), "--no-video", "--quiet",
                        "--scheduler", lc.scheduler_address], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert set(emoscope_read_index(out)["status"]) == {"skipped"}


def test_local_threads_batch_equals_c_batch(local_batch, tmp_path):
    inputs, c_out = local_batch
    out = tmp_path / "py"
    df = emoscope.batch([str(inputs / "d0.mp4"), str(inputs / "d0b.mp4")], str(out), jobs=2, video=False)
    assert list(df["status"]) == ["done", "done"]
    for name in ("d0", "d0b"):
        for f in os.listdir(c_out / name):
            if not f.endswith(".svg"):
                assert filecmp.cmp(c_out / name / f, out / name / f, shallow=False), f
    # A failed input is a row with its error, not an exception.
    df = emoscope.batch([str(tmp_path / "missing.mp4")], str(out), jobs=1)
    assert list(df["status"]) == ["failed"] and "missing.mp4" in df["error"][0]


def test_command_line_statuses(tmp_path):
    """python3 -m emoscope.batch: the CLI's exit statuses and index without a cluster."""
    def run(*args):
        return subprocess.run([sys.executable, "-m", "emoscope.batch", *args], capture_output=True, text=True,
                              timeout=60)
    assert run(str(tmp_path / "a.mp4")).returncode == 2                       # no --out
    r = run(str(tmp_path / "a.mp4"), "--out", str(tmp_path / "o"), "--face.max_faces=lots")
    assert r.returncode == 2 and "face.max_faces" in r.stderr
    r = run(str(tmp_path / "a.mp4"), "--out", str(tmp_path / "o"), "--set", "face.max_faces=2", "--quiet")
    assert r.returncode == 1, r.stderr
    idx = emoscope_read_index(tmp_path / "o")
    assert list(idx["status"]) == ["failed"] and "a.mp4" in idx["error"][0]
