"""Result records (results.jsonl, events.jsonl, summary.json) as pandas tables.

A frame record's nested fields become dotted column names, as in the CLI's
results.csv (``emotion.fused.happy``, ``pose.yaw``). Lists are split or
joined so that every cell is a scalar: ``box`` into ``box.x``, ``box.y``,
``box.width``, ``box.height``; ``motion.head_affine`` into
``motion.head_affine.0`` ... ``.5``; ``motion.active`` into one
``;``-joined text cell (as in the CSV); ``landmarks`` (only with
``output.landmarks``) stays one cell holding the list.

The column list comes from the library's own names (emotions, blendshapes,
action units, regions) and the ensemble's models, not from the data: every
analysis with the same settings gives the same columns, in the same order,
whether or not a face (or its blendshapes, or its gaze) was seen. Fields a
face lacks are NaN. docs/python.md lists the columns.
"""
import json
import os

import pandas as pd

from ._lib import ffi, lib, EMOTION_COUNT, BLENDSHAPES, ACTION_UNITS, REGION_COUNT

_BOX = ("x", "y", "width", "height")
_EYE = ("valid", "yaw", "pitch", "head_yaw", "head_pitch", "openness")
_REGION = ("magnitude", "direction", "angle", "dx", "dy", "flow_dx", "flow_dy", "active")
EVENT_COLUMNS = ["face_id", "type", "class", "region", "direction", "onset_frame", "apex_frame", "offset_frame",
                 "onset_t", "apex_t", "offset_t", "duration", "magnitude", "dx", "dy", "actions"]


def _names(fn, n):
    return [ffi.string(fn(i)).decode() for i in range(n)]


def emotion_labels():
    """The canonical labels: angry, disgust, fear, happy, sad, surprise, neutral."""
    return _names(lib.emo_emotion_name, EMOTION_COUNT)


def columns(models=("mini_xception", "fer_vgg"), landmarks=False):
    """The frame table's columns for an ensemble of these model names."""
    labels = emotion_labels()
    cols = ["frame", "t", "face_id", "detected", "tracked", "detection_score", "landmark_score"]
    cols += ["box." + b for b in _BOX]
    cols += ["size_px", "low_confidence", "pose.yaw", "pose.pitch", "pose.roll"]
    if landmarks:
        cols.append("landmarks")
    cols += ["gaze.valid", "gaze.yaw", "gaze.pitch"]
    cols += ["gaze.%s.%s" % (side, k) for side in ("right", "left") for k in _EYE]
    cols += ["emotion.dominant", "emotion.fresh"]
    cols += ["emotion.fused." + e for e in labels]
    cols += ["emotion.smoothed." + e for e in labels]
    cols += ["emotion.models.%s.%s" % (m, e) for m in models for e in labels]
    cols.append("emotion.api_age")
    cols += ["blendshapes." + b for b in _names(lib.emo_blendshape_name, BLENDSHAPES)]
    cols += ["au.AU%d" % lib.emo_action_unit_number(i) for i in range(ACTION_UNITS)]
    cols += ["motion.has_flow", "motion.frame_gap"]
    cols += ["motion.head_affine.%d" % i for i in range(6)]
    cols += ["motion.head_dx", "motion.head_dy", "motion.head_inliers", "motion.mean_magnitude", "motion.active"]
    cols += ["motion.regions.%s.%s" % (r, k) for r in _names(lib.emo_region_name, REGION_COUNT) for k in _REGION]
    cols += ["motion.events", "motion.speaking", "motion.eye_open", "motion.mouth_open"]
    return cols


def _flatten(obj, prefix, out):
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            _flatten(v, name + ".", out)
        elif isinstance(v, list):
            if name == "box":
                out.update(zip(("box.x", "box.y", "box.width", "box.height"), v))
            elif name == "motion.active":
                out[name] = ";".join(v)
            elif name == "motion.head_affine":
                out.update(("%s.%d" % (name, i), x) for i, x in enumerate(v))
            else:
                out[name] = v
        else:
            out[name] = v
    return out


def flatten(record):
    """One frame record (a dict as in results.jsonl) as one flat row."""
    return _flatten(record, "", {})


def frames_table(records, models, landmarks=False):
    rows = [flatten(r) for r in records]
    cols = columns(models, landmarks)
    known = set(cols)
    extra = []
    for r in rows:
        for k in r:
            if k not in known:
                known.add(k)
                extra.append(k)
    return pd.DataFrame.from_records(rows, columns=cols + extra) if rows else pd.DataFrame(columns=cols)


def read_jsonl(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def events_table(records):
    if not records:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    extra = [k for k in records[0] if k not in EVENT_COLUMNS]
    return pd.DataFrame.from_records(records, columns=EVENT_COLUMNS + extra)


def summary_table(doc):
    """summary.json as one row per face; the other top-level fields in attrs."""
    faces = doc.get("faces", [])
    rows = [_flatten({k: v for k, v in f.items() if k != "events"}, "", {}) for f in faces]
    df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=["face_id", "frames"])
    df["events"] = [f.get("events", []) for f in faces] if faces else []
    df.attrs.update({k: v for k, v in doc.items() if k != "faces"})
    return df


def read_folder(folder, models, landmarks=False):
    """The frame table, events and summary of an output folder (analyze, batch)."""
    frames = frames_table(read_jsonl(os.path.join(folder, "results.jsonl")), models, landmarks)
    events = events_table(read_jsonl(os.path.join(folder, "events.jsonl")))
    with open(os.path.join(folder, "summary.json"), "rb") as f:
        summary = json.load(f)
    frames.attrs["events"] = events
    frames.attrs["summary"] = summary
    return frames
