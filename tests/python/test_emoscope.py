"""The emoscope Python package on the library of this build."""
import json
import math
import os
import re
import shutil

import numpy as np
import pytest

import emoscope
from emoscope import _lib, _table
from conftest import ROOT


def _jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def _same(a, b):
    if isinstance(b, float) and math.isnan(b):
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a == b


def test_library_found_in_build():
    assert os.path.basename(emoscope.LIB_PATH).startswith("libemoscope.so")
    assert re.match(r"^\d+\.\d+\.\d+", emoscope.__version__)


def test_counts_match_headers():
    def define(header, name):
        with open(os.path.join(ROOT, "include", "emoscope", header)) as f:
            return int(re.search(r"#define %s (\d+)" % name, f.read()).group(1))
    assert _lib.EMOTION_COUNT == define("emotion.h", "EMO_EMOTION_COUNT")
    assert _lib.BLENDSHAPES == define("actions.h", "EMO_BLENDSHAPES")
    assert _lib.ACTION_UNITS == define("actions.h", "EMO_ACTION_UNITS")
    with open(os.path.join(ROOT, "include", "emoscope", "motion.h")) as f:
        enum = re.search(r"enum[^{]*\{([^}]*EMO_REGION_COUNT)", f.read()).group(1)
    assert _lib.REGION_COUNT == len(re.findall(r"\bEMO_REGION_\w+", enum)) - 1


def test_columns_pinned(d0_df):
    with open(os.path.join(os.path.dirname(__file__), "columns.txt")) as f:
        pinned = f.read().split()
    assert list(d0_df.columns) == pinned
    assert emoscope.columns() == pinned
    # The same columns with no face at all: the schema does not come from the data.
    assert list(_table.frames_table([], ["mini_xception", "fer_vgg"]).columns) == pinned


def test_analyze_equals_cli_results(d0_df, d0_cli):
    records = _jsonl(os.path.join(d0_cli, "results.jsonl"))
    assert len(records) > 50 and len(d0_df) == len(records)
    for i, rec in enumerate(records):
        row = d0_df.iloc[i]
        for k, v in _table.flatten(rec).items():
            assert _same(v, row[k]), "row %d %s: CLI %r, Python %r" % (i, k, v, row[k])
    events = _jsonl(os.path.join(d0_cli, "events.jsonl"))
    ev = emoscope.events(d0_df)
    assert list(ev.columns[:len(emoscope.EVENT_COLUMNS)]) == emoscope.EVENT_COLUMNS
    assert len(ev) == len(events)
    for i, e in enumerate(events):
        for k, v in e.items():
            assert _same(v, ev.iloc[i][k])
    with open(os.path.join(d0_cli, "summary.json")) as f:
        doc = json.load(f)
    assert {k: v for k, v in doc.items() if k != "source"} == \
        {k: v for k, v in d0_df.attrs["summary"].items() if k != "source"}
    sm = emoscope.summary(d0_df)
    assert list(sm["face_id"]) == [f["face_id"] for f in doc["faces"]]
    assert sm.attrs["frames_analysed"] == doc["frames_analysed"]


def test_output_folder_read_back(d0_cli, d0_df):
    df = emoscope.read_results(str(d0_cli))
    assert df.shape == d0_df.shape
    assert len(emoscope.events(str(d0_cli))) == len(emoscope.events(d0_df))


def test_analyzer_equals_analyze(d0, d0_df):
    """Frames decoded from the clip, fed one by one, give analyze()'s records."""
    by_frame = {}
    for i in range(len(d0_df)):
        by_frame.setdefault(int(d0_df["frame"].iat[i]), []).append(d0_df.iloc[i])
    n = 0
    with emoscope.Analyzer() as an, emoscope.Analyzer(order="rgb") as an_rgb:
        for t, img in emoscope.read_frames(d0):
            faces = an.process(img, time=t)
            rows = by_frame.get(n, [])
            assert len(faces) == len(rows)
            for face, row in zip(faces, rows):
                for k, v in face.row().items():
                    assert _same(v, row[k]), "frame %d %s: Analyzer %r, analyze %r" % (n, k, v, row[k])
            rgb = an_rgb.process(np.ascontiguousarray(img[:, :, ::-1]), time=t)
            assert [f.record for f in rgb] == [f.record for f in faces]
            n += 1
            if n == 40:
                break
    assert n == 40 and sum(len(v) for k, v in by_frame.items() if k < 40) > 30
    face = faces[0]
    assert face.id == face.record["face_id"] and len(face.box) == 4
    assert set(face.emotions) == set(emoscope.emotion_labels())
    assert face.dominant in emoscope.emotion_labels()


def test_gray_frames_and_bad_frames():
    img = np.zeros((120, 160), np.uint8)
    with emoscope.Analyzer() as an:
        assert an.process(img) == []
        assert an.process(np.zeros((120, 160, 3), np.uint8), time=1.0) == []
        with pytest.raises(TypeError):
            an.process(np.zeros((120, 160, 3), np.float32))
        with pytest.raises(ValueError):
            an.process(np.zeros((120, 160, 4), np.uint8))
    with pytest.raises(ValueError):
        an.process(img)


def test_settings_by_keyword():
    st = emoscope.Settings(face__max_faces=2, emotion__flip_tta=True)
    assert st.get("face.max_faces") == "2" and st.get("emotion.flip_tta") == "true"
    assert emoscope.Settings(settings={"face.max_faces": 3}).get("face.max_faces") == "3"
    assert "face.max_faces" in emoscope.setting_names()


@pytest.mark.parametrize("kw, says", [
    (dict(face__max_faces="lots"), "not an integer"),
    (dict(face__nope=1), "unknown setting face.nope"),
    (dict(settings={"face.max_faces": 0}), "face.max_faces"),
    (dict(settings={"nosection": 1}), "nosection"),
])
def test_bad_setting_raises(kw, says):
    with pytest.raises(emoscope.SettingError) as e:
        emoscope.Analyzer(**kw)
    assert isinstance(e.value, ValueError) and isinstance(e.value, emoscope.Error)
    assert says in str(e.value)
    assert e.value.code == -2 and e.value.name == "EMO_EINVAL"


def test_bad_path_raises(tmp_path):
    with pytest.raises(emoscope.NotFoundError) as e:
        emoscope.analyze(tmp_path / "missing.mp4")
    assert isinstance(e.value, FileNotFoundError) and "missing.mp4" in str(e.value)
    with pytest.raises(emoscope.NotFoundError):
        emoscope.read_results(tmp_path)


def test_corrupt_video_raises(tmp_path):
    bad = tmp_path / "noise.mp4"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 100000, dtype=np.uint8).tobytes())
    with pytest.raises(emoscope.FormatError) as e:
        emoscope.analyze(bad)
    assert "noise.mp4" in str(e.value)


def test_truncated_video_keeps_what_was_read(tmp_path, d0):
    cut = tmp_path / "cut.mp4"
    with open(d0, "rb") as f:
        data = f.read()
    cut.write_bytes(data[: len(data) // 2])
    try:
        df = emoscope.analyze(cut)
    except emoscope.Error:
        return  # a cut index: unreadable from the start, also an error and no crash
    assert len(df) < 80


@pytest.mark.parametrize("model", ["face_landmarker.task", "fer2013_mini_XCEPTION.102-0.66.hdf5",
                                   "face_detection_short_range.tflite"])
def test_corrupt_model_raises(tmp_path, model, d0):
    models = emoscope.Settings().models_dir()
    for name in os.listdir(models):
        if name != model:
            os.symlink(os.path.join(models, name), tmp_path / name)
    with open(os.path.join(models, model), "rb") as f:
        (tmp_path / model).write_bytes(f.read()[:30000])
    with pytest.raises(emoscope.Error) as e:
        emoscope.Analyzer(general__models_dir=str(tmp_path))
    assert model in str(e.value) or "models" in str(e.value)
    # analyze() checks the files' checksums first (as the CLI): the file is named.
    with pytest.raises(emoscope.FormatError) as e:
        emoscope.analyze(d0, general__models_dir=str(tmp_path))
    assert model in str(e.value)


def test_missing_models_folder_raises(tmp_path):
    with pytest.raises(emoscope.Error):
        emoscope.Analyzer(general__models_dir=str(tmp_path / "none"))
