"""emoscope: facial emotion and micro-expression analysis (the libemoscope library from Python).

    import emoscope
    df = emoscope.analyze('clip.mp4', face__max_faces=2)   # one row per frame per face
    ev = emoscope.events(df)                               # blinks, speech, micro-expressions ...
    with emoscope.Analyzer() as an:                        # numpy frames, e.g. a webcam
        faces = an.process(frame_bgr)
    emoscope.batch(inputs, 'out/', client=dask_client)     # many files, on a Dask cluster

docs/python.md documents the tables' columns, the settings and the errors.
"""
import logging as _logging

# A library stays quiet unless its user configures logging.
_logging.getLogger("emoscope").addHandler(_logging.NullHandler())

from ._errors import (Error, SettingError, NotFoundError, FormatError, IOFailure, Interrupted)
from ._lib import ffi as _ffi, lib as _clib, LIB_PATH
from ._settings import Settings, setting_names
from ._table import columns, emotion_labels, EVENT_COLUMNS
from ._analyze import analyze, events, summary, read_results, read_frames
from ._analyzer import Analyzer, Face
from ._batch import batch

__version__ = _ffi.string(_clib.emo_version_string()).decode()

__all__ = ["analyze", "events", "summary", "read_results", "read_frames", "Analyzer", "Face", "batch",
           "Settings", "setting_names", "columns", "emotion_labels", "EVENT_COLUMNS",
           "Error", "SettingError", "NotFoundError", "FormatError", "IOFailure", "Interrupted", "LIB_PATH"]
