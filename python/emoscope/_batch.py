"""Many files, one output folder each: locally on threads, or on a Dask cluster.

The work of an input is the library's batch item (batch.h, emo_batch_item):
the content-and-settings key, the skip when the output folder already holds
it, the analysis into a temporary folder beside the output, the rename into
place. The list of inputs and their output folders (emo_batch_list_*) and
the index batch.csv (emo_batch_write_index) are the library's too, so the
folders and the index are those `emoscope batch` writes: a batch started
with one can be finished with the other.

On Dask, one input is one task. A worker that dies mid-file has the task
rerun elsewhere by the scheduler (and ``retries`` more times for an
exception); the dead worker's temporary folder is never renamed into place,
so nothing is written twice, and the driver removes such leftovers at the end.
"""
import glob
import os
import shutil
import sys
import threading
import time

from ._lib import ffi, lib, cstr, BATCH_DONE, BATCH_SKIPPED, BATCH_FAILED, BATCH_INTERRUPTED
from ._settings import Settings

_STATUS = {BATCH_DONE: "done", BATCH_SKIPPED: "skipped", BATCH_FAILED: "failed", BATCH_INTERRUPTED: "interrupted"}


def _list(args, out, msgs):
    """The library's expansion of the arguments: [(input, output, bytes)]."""
    argv = [cstr(a) for a in args]
    arr = ffi.new("const char *[]", argv)
    p = ffi.new("EmoBatchList **")
    msgs.check(lib.emo_batch_list_open(p, arr, len(argv), cstr(out), msgs.logger), "emoscope batch: inputs")
    lst = ffi.gc(p[0], lambda l: lib.emo_batch_list_close(ffi.new("EmoBatchList **", l)))
    items = [(ffi.string(lib.emo_batch_list_input(lst, i)).decode(),
              ffi.string(lib.emo_batch_list_output(lst, i)).decode(),
              lib.emo_batch_list_size(lst, i)) for i in range(lib.emo_batch_list_count(lst))]
    return lst, items


def _options(video, chart, models_dir, keep):
    o = ffi.new("EmoAnalyzeOptions *")
    lib.emo_analyze_default_options(o)
    o.video = 1 if video else 0
    o.chart = 1 if chart else 0
    md = cstr(models_dir)
    keep.append(md)
    o.models_dir = md
    return o


def _item(st, input, output, video, chart, stop=None):
    """One batch item here, with these Settings; its result as a plain dict."""
    keep = []
    o = _options(video, chart, st.models_dir(), keep)
    if stop is not None:
        o.stop = stop
    res = ffi.new("EmoBatchResult *")
    lib.emo_batch_item(st.ptr, cstr(input), cstr(output), o, res, st.messages.logger)
    st.messages.take()
    return {"status": res.status, "key": ffi.string(res.key).decode(), "frames": res.frames,
            "seconds": res.seconds, "error": ffi.string(res.error).decode("utf-8", "replace")}


# A worker builds the settings of a batch once, however many of its files it runs.
_WORKER_SETTINGS = {}
_WORKER_LOCK = threading.Lock()


def run_item(spec, input, output, video=True, chart=True):
    """The task of one input on a Dask worker: spec is Settings.to_dict() of the driver.

    Where the settings leave threads to the machine (0), the worker's cores
    are shared among its task threads (emo_batch_share_cores).
    """
    try:
        from distributed import get_worker
        nthreads = get_worker().state.nthreads if hasattr(get_worker(), "state") else get_worker().nthreads
    except (ImportError, ValueError, AttributeError):
        nthreads = 1
    k = repr((sorted(spec["settings"].items()), spec["config"], nthreads))
    with _WORKER_LOCK:
        st = _WORKER_SETTINGS.get(k)
        if st is None:
            st = Settings(spec["settings"], spec["config"])
            lib.emo_batch_share_cores(st.ptr, max(1, nthreads))
            _WORKER_SETTINGS[k] = st
    return _item(st, input, output, video, chart)


class _Progress:
    """`batch: 3/6 files, 1 failed, 84.2 fps, 0:41 left` on stderr, as each file ends."""

    def __init__(self, items, show):
        self.total_bytes = sum(max(1, b) for _, _, b in items) or 1
        self.n, self.done, self.bytes, self.frames, self.failed = len(items), 0, 0, 0, 0
        self.t0 = time.monotonic()
        self.show = show

    def add(self, item, r):
        self.done += 1
        self.bytes += max(1, item[2])
        if r["status"] == BATCH_DONE:
            self.frames += r["frames"]
        self.failed += r["status"] == BATCH_FAILED
        if not self.show:
            return
        wall = time.monotonic() - self.t0
        left = wall * (self.total_bytes - self.bytes) / self.bytes if self.bytes else 0
        sys.stderr.write("batch: %d/%d files%s, %.1f fps, %d:%02d left\n" % (
            self.done, self.n, ", %d failed" % self.failed if self.failed else "",
            self.frames / wall if wall > 0 else 0.0, int(left) // 60, int(left) % 60))
        sys.stderr.flush()


def _run_local(st, items, jobs, video, chart, prog):
    """Threads on this machine: the library call releases the GIL, so jobs files run at once."""
    from concurrent.futures import ThreadPoolExecutor, as_completed
    st = Settings(**st.to_dict())  # a copy: the caller's settings keep their threads
    lib.emo_batch_share_cores(st.ptr, jobs)
    stop = ffi.new("int *")
    results = [None] * len(items)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(_item, st, i, o, video, chart, stop): n for n, (i, o, _) in enumerate(items)}
        try:
            for f in as_completed(futs):
                results[futs[f]] = f.result()
                prog.add(items[futs[f]], results[futs[f]])
        except KeyboardInterrupt:
            stop[0] = 1  # the items in flight end at their next frame, their temp folders removed
            for f in futs:
                f.cancel()
            raise
    return results


def _run_dask(client, st, items, video, chart, retries, prog, results):
    from distributed import as_completed
    spec = st.to_dict()
    futs = {}
    for n, (inp, outp, _) in enumerate(items):
        f = client.submit(run_item, spec, inp, outp, video, chart, pure=False, retries=retries,
                          key="emoscope-batch-%d-%s" % (n, os.path.basename(outp)))
        futs[f] = n
    try:
        for f in as_completed(futs):
            n = futs[f]
            try:
                results[n] = f.result()
            except Exception as e:  # the task failed on every retry (e.g. KilledWorker)
                results[n] = {"status": BATCH_FAILED, "key": "", "frames": 0, "seconds": 0.0,
                              "error": "dask: %s: %s" % (type(e).__name__, e)}
            prog.add(items[n], results[n])
    except KeyboardInterrupt:
        client.cancel(list(futs))
        raise


def _clean_leftovers(items):
    # Temporary folders of items whose worker died mid-file: never renamed
    # into place, and nobody works on them once the batch is over.
    for _, outp, _ in items:
        parent, name = os.path.split(outp)
        for d in glob.glob(os.path.join(glob.escape(parent), "." + glob.escape(name) + ".tmp-*")):
            shutil.rmtree(d, ignore_errors=True)


def batch(inputs, out, client=None, jobs=None, retries=2, video=True, chart=True, progress=False,
          settings=None, config=None, **kw):
    """Analyses every input into its own folder under ``out``; returns the index (batch.csv) as a table.

    ``inputs``: a path or a list of them; folders (their videos and images,
    recursively), list files (``*.txt``, ``*.lst``, ``*.list``), glob
    patterns or files, expanded as `emoscope batch` does. Output folders are
    ``out/NAME`` (the input's name without extension). An input whose folder
    already holds its key (same content, same settings) is skipped.

    ``client``: a ``distributed.Client``: one task per input on its cluster
    (the workers read the inputs and write ``out`` by the same paths: shared
    storage), ``retries`` extra tries of a task that raised; a worker lost
    mid-file has its task rerun by the scheduler. Without a client, ``jobs``
    files at once on this machine (default: its cores). ``video``/``chart``:
    annotated.mp4 and timeline.png/.svg as the [output] settings say
    (``False``: never, as --no-video/--no-chart). Settings by keyword as for
    emoscope.analyze(); ``progress`` prints a line per finished file.
    The table's columns: input, status (done, skipped, failed,
    interrupted), output, frames, seconds, error.
    """
    import pandas as pd
    st = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
    args = [os.fspath(inputs)] if isinstance(inputs, (str, os.PathLike)) else [os.fspath(a) for a in inputs]
    out = os.fspath(out)
    os.makedirs(out, exist_ok=True)
    lst, items = _list(args, out, st.messages)
    prog = _Progress(items, progress)
    results = [None] * len(items)
    try:
        if client is None:
            results = _run_local(st, items, jobs or os.cpu_count() or 1, video, chart, prog)
        else:
            _run_dask(client, st, items, video, chart, retries, prog, results)
    finally:
        # Written whatever ended the batch: an item not run is "interrupted".
        arr = ffi.new("EmoBatchResult[]", max(1, len(items)))
        for n, r in enumerate(results):
            r = r or {"status": BATCH_INTERRUPTED, "key": "", "frames": 0, "seconds": 0.0, "error": ""}
            arr[n].status = r["status"]
            arr[n].key = r["key"].encode()[:64]
            arr[n].frames = r["frames"]
            arr[n].seconds = r["seconds"]
            arr[n].error = r["error"].encode()[:511]
        index = os.path.join(out, "batch.csv")
        st.messages.check(lib.emo_batch_write_index(cstr(index), lst, arr), "emoscope batch: writing %s" % index)
        if client is not None:
            _clean_leftovers(items)
    return pd.read_csv(index, keep_default_na=False, dtype={"error": str})


def _usage():
    return ("usage: python3 -m emoscope.batch INPUTS... --out DIR [--scheduler tcp://HOST:PORT] [--jobs N]\n"
            "         [--no-video] [--no-chart] [--landmarks] [--quiet] [--retries N]\n"
            "         [--config FILE] [--set SECTION.KEY=VALUE]... [--SECTION.KEY=VALUE]...\n"
            "The arguments of `emoscope batch`; with --scheduler the inputs are analysed on that Dask\n"
            "cluster (one task per file; inputs and DIR on storage every worker sees), else here.\n")


def main(argv=None):
    """`python3 -m emoscope.batch`: what `emoscope batch --scheduler` runs. Exit statuses as the CLI's."""
    argv = list(sys.argv[1:] if argv is None else argv)
    inputs, pairs = [], {}
    out = scheduler = config = None
    jobs, retries, video, chart, quiet = None, 2, True, True, False
    it = iter(argv)
    try:
        for a in it:
            name, eq, val = a.partition("=")
            if name in ("--out", "--scheduler", "--jobs", "-j", "--config", "--set", "--retries"):
                val = val if eq else next(it)
                if name == "--out":
                    out = val
                elif name == "--scheduler":
                    scheduler = val
                elif name in ("--jobs", "-j"):
                    jobs = int(val)
                elif name == "--retries":
                    retries = int(val)
                elif name == "--config":
                    config = val
                else:
                    k, _, v = val.partition("=")
                    pairs[k] = v
            elif a == "--no-video":
                video = False
            elif a == "--no-chart":
                chart = False
            elif a == "--landmarks":
                pairs["output.landmarks"] = "true"
            elif a == "--quiet":
                quiet = True
            elif a in ("-h", "--help"):
                sys.stdout.write(_usage())
                return 0
            elif a.startswith("--") and "." in name and eq:
                pairs[name[2:]] = val
            elif a.startswith("-") and len(a) > 1:
                raise ValueError("unknown option '%s'" % a)
            else:
                inputs.append(a)
    except (StopIteration, ValueError) as e:
        sys.stderr.write("emoscope batch: %s\n%s" % (e or "an option lacks its value", _usage()))
        return 2
    if not out or not inputs:
        sys.stderr.write("emoscope batch: %s\n%s" % ("--out DIR is required" if not out else "no inputs", _usage()))
        return 2
    from ._errors import Error
    client = None
    try:
        st = Settings(pairs, config)
        if scheduler:
            from distributed import Client
            client = Client(scheduler)
        t0 = time.monotonic()
        df = batch(inputs, out, client=client, jobs=jobs, retries=retries, video=video, chart=chart,
                   progress=not quiet, settings=st)
    except Error as e:
        sys.stderr.write("emoscope batch: %s\n" % e)
        return 2 if e.code == -2 else 1
    except KeyboardInterrupt:
        sys.stderr.write("emoscope batch: interrupted; %s lists what finished\n" % os.path.join(out, "batch.csv"))
        return 4
    except OSError as e:
        sys.stderr.write("emoscope batch: %s\n" % e)
        return 1
    finally:
        if client is not None:
            client.close()
    counts = df["status"].value_counts()
    print("batch: %d inputs: %d done, %d skipped, %d failed, %d interrupted in %.2f s" % (
        len(df), counts.get("done", 0), counts.get("skipped", 0), counts.get("failed", 0),
        counts.get("interrupted", 0), time.monotonic() - t0))
    print("index: %s" % os.path.join(out, "batch.csv"))
    if counts.get("interrupted", 0):
        return 4
    return 1 if counts.get("failed", 0) else 0
