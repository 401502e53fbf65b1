"""Python analyze() against `emoscope analyze` on the same clip, alternating runs.

    PYTHONPATH=python /usr/bin/python3 bench/bench_python.py [CLIP] [RUNS]

Both run the library's emo_analyze_file(); the CLI without the annotated video
and chart (--no-video --no-chart), as analyze() writes neither. Prints each
pair and the medians; the library's own seconds (df.attrs['analysis_s']) show
what the tables cost on top.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import emoscope

clip = sys.argv[1] if len(sys.argv) > 1 else "data/video/d6.mp4"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
cli_bin = os.environ.get("EMO_CLI", "build/emoscope")
cli, py, lib_s = [], [], []
with tempfile.TemporaryDirectory() as tmp:
    for i in range(runs):
        t = time.monotonic()
        subprocess.run([cli_bin, "analyze", clip, "--out", tmp, "--no-video", "--no-chart"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli.append(time.monotonic() - t)
        t = time.monotonic()
        df = emoscope.analyze(clip)
        py.append(time.monotonic() - t)
        lib_s.append(df.attrs["analysis_s"])
        print("run %d: emoscope analyze %.2f s, python analyze() %.2f s (library %.2f s), %d rows"
              % (i, cli[-1], py[-1], lib_s[-1], len(df)), flush=True)
m_cli, m_py = statistics.median(cli), statistics.median(py)
print("median: emoscope analyze %.2f s, python analyze() %.2f s, ratio %.3f" % (m_cli, m_py, m_py / m_cli))
