"""Streaming analysis of numpy frames: emoscope.Analyzer.

For a webcam loop in a notebook, frames from OpenCV (BGR) or imageio (RGB):

    with emoscope.Analyzer(face__max_faces=2) as an:
        for frame in frames:
            for face in an.process(frame):
                print(face.id, face.dominant, face.emotions['happy'])

Each frame goes through the library's pipeline (pipeline.h) on the calling
thread; the faces come back built from the same records the CLI writes to
results.jsonl (the library formats them; nothing is computed here), so a
frame gives the same values here as in `emoscope analyze`.
"""
import dataclasses
import json
import os
import shutil
import tempfile
import time as _time
from typing import Optional

import numpy as np

from ._lib import ffi, lib, cstr, PIX_BGRA
from ._settings import Settings
from . import _table


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


@dataclasses.dataclass
class Face:
    """One face of one analysed frame (the fields of a results.jsonl record)."""
    id: int
    frame: int
    time: float
    box: tuple                 #: x, y, width, height in frame pixels
    size_px: float
    low_confidence: bool
    pose: dict                 #: yaw, pitch, roll (degrees)
    dominant: str              #: arg-max of the smoothed probabilities
    emotions: dict             #: smoothed probability per label
    fused: dict                #: fused probability per label (this frame)
    models: dict               #: per model: probability per label (None: did not answer)
    blendshapes: Optional[dict]  #: 52 MediaPipe scores, None without the landmarker
    au: Optional[dict]         #: action-unit intensities, None without the landmarker
    gaze: Optional[dict]       #: None without the landmarker's irises
    motion: Optional[dict]     #: per-region micro-movements, speaking, eye/mouth opening
    record: dict               #: the whole record, as in results.jsonl

    @classmethod
    def from_record(cls, r):
        emo = r.get("emotion", {})
        return cls(id=r["face_id"], frame=r["frame"], time=r["t"], box=tuple(r["box"]), size_px=r.get("size_px"),
                   low_confidence=r.get("low_confidence"), pose=r.get("pose"), dominant=emo.get("dominant"),
                   emotions=emo.get("smoothed"), fused=emo.get("fused"), models=emo.get("models"),
                   blendshapes=r.get("blendshapes"), au=r.get("au"), gaze=r.get("gaze"), motion=r.get("motion"),
                   record=r)

    def row(self):
        """The record flattened as a row of emoscope.analyze()'s table."""
        return _table.flatten(self.record)


def _check_frame(frame, order):
    a = np.asarray(frame)
    if a.dtype != np.uint8:
        raise TypeError("emoscope: frames are uint8 arrays, not %s" % a.dtype)
    if a.ndim == 2:
        return a, "gray"
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError("emoscope: a frame is H x W x 3 (BGR or RGB) or H x W (gray), not %s" % (a.shape,))
    if order not in ("bgr", "rgb"):
        raise ValueError("emoscope: order is 'bgr' or 'rgb', not %r" % (order,))
    return a, order


class Analyzer:
    """A pipeline fed frame by frame: ``process(frame, time=None) -> [Face]``.

    Settings as for emoscope.analyze(). ``order`` is the default channel
    order of the frames ('bgr' as OpenCV gives them, 'rgb' as imageio).
    Faces keep their ids from frame to frame; micro-expression events that
    ended are collected in ``events`` (dicts as in events.jsonl). Use it as
    a context manager or call close().
    """

    def __init__(self, settings=None, config=None, order="bgr", **kw):
        self.settings = settings if isinstance(settings, Settings) else Settings(settings, config, **kw)
        self.order = order
        self.events = []
        self._frames = 0
        self._t0 = None
        self._frame = None
        self._tmp = tempfile.mkdtemp(prefix="emoscope-analyzer-")
        self._pipe = None
        try:
            self._pipe = Pipeline(self.settings, keep_timeline=False)
            fpath, epath = os.path.join(self._tmp, "frames.jsonl"), os.path.join(self._tmp, "events.jsonl")
            self._pipe.open_writers(fpath, epath)
            # The writers write each record whole with write(2): what they
            # wrote is readable here as soon as the call returns.
            self._fr = open(fpath, "rb")
            self._ev = open(epath, "rb")
        except BaseException:
            self.close()
            raise

    def _bgra(self, h, w):
        f = self._frame
        if f is not None and (f.width != w or f.height != h or lib.emo_frame_refcount(f) != 1):
            lib.emo_frame_unref(ffi.new("EmoFrame **", f))
            f = self._frame = None
        if f is None:
            p = ffi.new("EmoFrame **")
            self._pipe.msgs.check(lib.emo_frame_alloc(p, PIX_BGRA, w, h), "emoscope: frame of %dx%d" % (w, h))
            f = self._frame = p[0]
        return f

    def process(self, frame, time=None, order=None):
        """Analyses one frame; returns its faces. ``time`` in seconds (default: seconds since the first frame)."""
        if self._pipe is None:
            raise ValueError("emoscope: the Analyzer is closed")
        a, kind = _check_frame(frame, order or self.order)
        h, w = a.shape[:2]
        f = self._bgra(h, w)
        px = np.frombuffer(ffi.buffer(f.data[0], f.stride[0] * h), dtype=np.uint8)
        px = px.reshape(h, f.stride[0])[:, :w * 4].reshape(h, w, 4)
        if kind == "bgr":
            px[:, :, :3] = a
        elif kind == "rgb":
            px[:, :, :3] = a[:, :, ::-1]
        else:
            px[:, :, :3] = a[:, :, None]
        px[:, :, 3] = 255
        if time is None:
            now = _time.monotonic()
            self._t0 = now if self._t0 is None else self._t0
            time = now - self._t0
        f.pts = float(time)
        f.index = self._frames
        self._frames += 1
        res = self._pipe.process(f, -1.0)
        self._pipe.write(res)
        self._collect_events()
        return [Face.from_record(json.loads(line)) for line in self._fr.readlines()]

    def _collect_events(self):
        self.events.extend(json.loads(line) for line in self._ev.readlines())

    def finish(self):
        """Ends the stream: the events still open are closed (into ``events``)."""
        if self._pipe is None:
            return
        end = self._pipe.finish()
        if end is not None:
            self._pipe.write(end, frames=False)
        self._collect_events()

    def close(self):
        """Finishes the stream and frees the pipeline; further process() calls raise."""
        try:
            if self._pipe is not None:
                self.finish()
        finally:
            if self._frame is not None:
                lib.emo_frame_unref(ffi.new("EmoFrame **", self._frame))
                self._frame = None
            if self._pipe is not None:
                self._pipe.close()
                self._pipe = None
            for fh in ("_fr", "_ev"):
                if getattr(self, fh, None) is not None:
                    getattr(self, fh).close()
                    setattr(self, fh, None)
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_pipe", None) is not None:
            self.close()
