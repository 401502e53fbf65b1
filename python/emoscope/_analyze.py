"""Whole files: analyze(), events(), summary(), read_results(), read_frames().

The library analyses the file in-process (emo_analyze_file, analyze.h, the
call `emoscope analyze` makes) and writes its result files into a folder (a
temporary one unless ``out=`` names one); the tables are then read from
those files, so they hold exactly what the CLI's results.jsonl, events.jsonl
and summary.json hold. No Python runs per frame.
"""
import os
import tempfile
import warnings

import numpy as np

from ._errors import EOF, ETIMEDOUT, NotFoundError, error_for
from ._lib import ffi, lib, cstr, PIX_BGRA, PIX_RGB24, PIX_GRAY8, ANALYZE_PARTIAL
from ._settings import Settings
from . import _table

_OUTPUTS = ("results.jsonl", "events.jsonl", "summary.json")


def _model_names(st):
    return [m.strip() for m in st.get("emotion.models").split(",") if m.strip()]


def _check_exists(path):
    # The library says ENOENT too, in a longer message; patterns (img%04d.png,
    # *.jpg), streams and devices are the library's to judge.
    if not os.path.exists(path) and not any(c in path for c in "*?[%") and "://" not in path \
            and not path.startswith("/dev/"):
        raise NotFoundError("emoscope: cannot open %s: no such file" % path)


def _landmarks(st):
    return st.get("output.landmarks") == "true"


class _Source:
    """An open video source of the library (files, images, cameras, streams)."""

    def __init__(self, path, st, pix_fmt=PIX_BGRA):
        self.st = st
        self.msgs = st.messages
        self.path = os.fspath(path)
        self._src_c = cstr(self.path)
        vs = ffi.new("EmoVideoSourceSettings *")
        lib.emo_video_default_settings(vs)
        self.msgs.check(lib.emo_video_settings_from_config(vs, st.field("video.source", "EmoVideoSettings *")),
                        "emoscope: a [video] setting")
        vs.source = self._src_c
        vs.pix_fmt = pix_fmt
        vs.log = self.msgs.logger
        p = ffi.new("EmoVideoSource **")
        _check_exists(self.path)
        lib.emo_video_ffmpeg_log_level(0)  # errors only, as the CLI
        self.msgs.check(lib.emo_video_open(p, vs), "emoscope: cannot open %s" % self.path)
        self.src = p[0]
        self.info = ffi.new("EmoVideoInfo *")
        lib.emo_video_info(self.src, self.info)
        self.frame = ffi.new("EmoFrame **")
        self.error = None

    def read(self):
        """The next frame (the caller unrefs it), or None at the end; a broken input ends it with self.error."""
        while True:
            err = lib.emo_video_read(self.src, self.frame, 0.2)
            if err == 0:
                return self.frame[0]
            if err == ETIMEDOUT:
                continue
            if err != EOF:
                msg = ffi.string(lib.emo_video_error_message(self.src)).decode("utf-8", "replace")
                self.error = self.msgs.error(err, "emoscope: reading %s failed%s" % (
                    self.path, ": " + msg if msg else ""))
            return None

    def close(self):
        if self.src is not None:
            p = ffi.new("EmoVideoSource **", self.src)
            lib.emo_video_close(p)
            self.src = None


def _analyse_into(path, out, st, chart):
    """Every frame of path into out/ by the library (emo_analyze_file): the
    files `emoscope analyze --no-video` writes (timeline.* only with chart)."""
    path = os.fspath(path)
    _check_exists(path)
    msgs = st.messages
    opt = ffi.new("EmoAnalyzeOptions *")
    lib.emo_analyze_default_options(opt)
    models = cstr(st.models_dir())
    opt.models_dir = models
    opt.video = 0
    opt.chart = 1 if chart else 0
    rep = ffi.new("EmoAnalyzeReport *")
    lib.emo_video_ffmpeg_log_level(0)  # errors only, as the CLI
    err = lib.emo_analyze_file(st.ptr, cstr(path), cstr(out), opt, rep, msgs.logger)
    said = ffi.string(rep.error).decode("utf-8", "replace")
    if err == 0:
        return rep
    if rep.end == ANALYZE_PARTIAL and rep.frames > 0:
        # As the CLI's exit status 3: the files hold the frames up to the break, complete.
        msgs.take()
        warnings.warn("emoscope: %s broke after frame %d (%s); the results up to it are complete"
                      % (path, rep.frames, said or ffi.string(rep.source_error).decode("utf-8", "replace")),
                      RuntimeWarning)
        return rep
    msgs.take()
    text = "emoscope: %s: %s" % (path, ffi.string(lib.emo_strerror(err)).decode())
    raise error_for(err, text + (" (%s)" % said if said else ""))


def analyze(path, out=None, chart=False, settings=None, config=None, **kw):
    """Analyses a video file (or image, folder of images, stream) and returns its frame table.

    One row per analysed frame per face; the columns are listed in
    docs/python.md. ``out`` keeps the result files in that folder (else a
    temporary folder is used and removed); ``chart`` also draws the timeline
    chart there. Settings: ``face__max_faces=2``, ``settings={...}``,
    ``config='file.ini'`` (see emoscope.Settings). The events and the summary
    of the run are in ``df.attrs['events']`` and ``df.attrs['summary']``
    (and through emoscope.events(df), emoscope.summary(df)).
    """
    st = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
    with tempfile.TemporaryDirectory(prefix="emoscope-") as tmp:
        folder = tmp if out is None else os.fspath(out)
        rep = _analyse_into(path, folder, st, chart)
        df = _read(folder, st, path)
    # The library's own figures: what the run cost without the tables.
    df.attrs.update(frames=rep.frames, analysis_s=rep.wall_s)
    return df


def _read(folder, st, source):
    df = _table.read_folder(folder, _model_names(st), _landmarks(st))
    df.attrs["source"] = os.fspath(source)
    return df


def read_results(folder, settings=None, config=None, **kw):
    """The frame table of an output folder written by `emoscope analyze` or `emoscope batch`."""
    st = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
    for name in _OUTPUTS:
        if not os.path.isfile(os.path.join(folder, name)):
            raise NotFoundError("emoscope: %s has no %s" % (folder, name))
    df = _read(os.fspath(folder), st, st.get("video.source"))
    df.attrs["source"] = df.attrs["summary"].get("source", "")
    return df


def _result_of(x, **kw):
    if hasattr(x, "attrs") and "events" in getattr(x, "attrs", {}):
        return x
    if os.path.isdir(x) and os.path.isfile(os.path.join(x, "events.jsonl")):
        return read_results(x, **kw)
    return analyze(x, **kw)


def events(path_or_result, **kw):
    """The events (blinks, speech, head, expression: micro/macro/twitch) as a table.

    Takes the table analyze() returned, an output folder, or a file to analyse (with settings).
    """
    return _result_of(path_or_result, **kw).attrs["events"]


def summary(path_or_result, **kw):
    """The run's summary.json as a table, one row per face (the other fields in ``attrs``)."""
    return _table.summary_table(_result_of(path_or_result, **kw).attrs["summary"])


def _to_numpy(f, order):
    h, w, stride = f.height, f.width, f.stride[0]
    bpp = {PIX_BGRA: 4, PIX_RGB24: 3, PIX_GRAY8: 1}[f.fmt]
    rows = np.frombuffer(ffi.buffer(f.data[0], stride * h), dtype=np.uint8).reshape(h, stride)
    px = rows[:, :w * bpp]
    if f.fmt == PIX_GRAY8:
        return px.copy()
    px = px.reshape(h, w, bpp)
    if order == "bgr":
        return px[:, :, :3].copy() if bpp == 4 else px[:, :, ::-1].copy()
    return px[:, :, 2::-1].copy() if bpp == 4 else px.copy()


def read_frames(path, order="bgr", settings=None, config=None, **kw):
    """Decodes a video with the library's reader: yields (time, H x W x 3 uint8 array) per frame.

    ``order`` is 'bgr' (as OpenCV), 'rgb' (as imageio) or 'gray' (H x W).
    The frames are what `emoscope analyze` analyses (same decoder, same conversion).
    """
    if order not in ("bgr", "rgb", "gray"):
        raise ValueError("order must be 'bgr', 'rgb' or 'gray', not %r" % (order,))
    st = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
    src = _Source(path, st, PIX_GRAY8 if order == "gray" else PIX_BGRA)
    try:
        while True:
            f = src.read()
            if f is None:
                break
            fp = ffi.new("EmoFrame **", f)
            try:
                yield f.pts, _to_numpy(f, order)
            finally:
                lib.emo_frame_unref(fp)
        if src.error is not None:
            raise src.error
    finally:
        src.close()
