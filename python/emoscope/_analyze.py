"""Whole files: analyze(), events(), summary(), read_results(), read_frames().

The library analyses the file in-process, frame by frame, and writes its
result files into a folder (a temporary one unless ``out=`` names one);
the tables are then read from those files, so they hold exactly what the
CLI's results.jsonl, events.jsonl and summary.json hold. Python only steers
the loop: per frame a few calls into the library, no work on the data.
"""
import os
import tempfile
import warnings

import numpy as np

from ._errors import EOF, ETIMEDOUT
from ._lib import ffi, lib, cstr, PIX_BGRA, PIX_RGB24, PIX_GRAY8
from ._settings import Settings
from . import _table

_OUTPUTS = ("results.jsonl", "events.jsonl", "summary.json")


def _model_names(st):
    return [m.strip() for m in st.get("emotion.models").split(",") if m.strip()]


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
        if not os.path.exists(self.path) and "://" not in self.path and not self.path.startswith("/dev/"):
            # The library says ENOENT too; this keeps the message short and sure.
            from ._errors import NotFoundError
            raise NotFoundError("emoscope: cannot open %s: no such file" % self.path)
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


class Pipeline:
    """An EmoPipeline with its result writers (either may be None)."""

    def __init__(self, st, keep_timeline):
        self.st = st
        self.msgs = st.messages
        self._models = cstr(st.models_dir())
        ps = ffi.new("EmoPipelineSettings *")
        lib.emo_pipeline_default_settings(ps)
        ps.cfg = st.ptr
        ps.models_dir = self._models
        ps.draw = 0
        ps.keep_timeline = 1 if keep_timeline else 0
        ps.log = self.msgs.logger
        p = ffi.new("EmoPipeline **")
        self.msgs.check(lib.emo_pipeline_open(p, ps), "emoscope: cannot load the analysis models from %s"
                        % ffi.string(self._models).decode())
        self.pipe = p[0]
        self.frames = self.events = None
        self.res = ffi.new("EmoPipelineResult **")

    def open_writers(self, frames_path, events_path):
        for attr, path in (("frames", frames_path), ("events", events_path)):
            w = ffi.new("EmoResultsWriter **")
            self.msgs.check(lib.emo_results_open(w, cstr(path), ffi.NULL, self.msgs.logger),
                            "emoscope: cannot create %s" % path)
            setattr(self, attr, w[0])

    def process(self, frame, fps):
        self.msgs.check(lib.emo_pipeline_process(self.pipe, frame, fps, self.res),
                        "emoscope: analysis of frame %d failed" % frame.index)
        return self.res[0]

    def write(self, res, frames=True):
        self.msgs.check(lib.emo_pipeline_write_records(self.pipe, res, self.frames if frames else ffi.NULL,
                                                       self.events or ffi.NULL),
                        "emoscope: writing the results failed")

    def finish(self):
        self.msgs.check(lib.emo_pipeline_finish(self.pipe, self.res), "emoscope: finishing the analysis")
        return self.res[0] if self.res[0] != ffi.NULL else None

    def close_writers(self):
        err = 0
        for attr in ("frames", "events"):
            w = getattr(self, attr)
            if w is not None:
                e = lib.emo_results_close(ffi.new("EmoResultsWriter **", w))
                err = err or e
                setattr(self, attr, None)
        self.msgs.check(err, "emoscope: writing the results failed")

    def close(self):
        try:
            self.close_writers()
        finally:
            if self.pipe is not None:
                lib.emo_pipeline_close(ffi.new("EmoPipeline **", self.pipe))
                self.pipe = None


def _analyse_into(path, out, st, chart):
    """Every frame of path into out/: results.jsonl, events.jsonl, summary.json (timeline.* with chart)."""
    src = _Source(path, st)
    pipe = None
    try:
        pipe = Pipeline(st, keep_timeline=True)
        pipe.open_writers(os.path.join(out, "results.jsonl"), os.path.join(out, "events.jsonl"))
        fps = src.info.fps
        frames = 0
        while True:
            f = src.read()
            if f is None:
                break
            fp = ffi.new("EmoFrame **", f)
            try:
                pipe.write(pipe.process(f, fps))
            finally:
                lib.emo_frame_unref(fp)
            frames += 1
        end = pipe.finish()
        if end is not None:
            pipe.write(end, frames=False)
        pipe.close_writers()
        source = cstr(src.path)
        pipe.msgs.check(lib.emo_pipeline_write_summary(pipe.pipe, cstr(os.path.join(out, "summary.json")), source),
                        "emoscope: cannot write summary.json")
        if chart:
            pipe.msgs.check(lib.emo_pipeline_write_timeline(pipe.pipe, cstr(os.path.join(out, "timeline.png")),
                                                            cstr(os.path.join(out, "timeline.svg")), source),
                            "emoscope: cannot write the timeline chart")
        if src.error is not None:
            if frames == 0:
                raise src.error
            # As the CLI's exit status 3: the results up to the break are complete.
            warnings.warn("%s; the results up to frame %d are complete" % (src.error, frames), RuntimeWarning)
        return frames
    finally:
        if pipe is not None:
            pipe.close()
        src.close()


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
    if out is None:
        with tempfile.TemporaryDirectory(prefix="emoscope-") as tmp:
            _analyse_into(path, tmp, st, chart)
            return _read(tmp, st, path)
    os.makedirs(out, exist_ok=True)
    _analyse_into(path, os.fspath(out), st, chart)
    return _read(os.fspath(out), st, path)


def _read(folder, st, source):
    df = _table.read_folder(folder, _model_names(st), _landmarks(st))
    df.attrs["source"] = os.fspath(source)
    return df


def read_results(folder, settings=None, config=None, **kw):
    """The frame table of an output folder written by `emoscope analyze` or `emoscope batch`."""
    st = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
    for name in _OUTPUTS:
        if not os.path.isfile(os.path.join(folder, name)):
            from ._errors import NotFoundError
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
