"""The golden file and the model card the training run writes."""
import hashlib
import os
import re
import time

import numpy as np
import torch

from . import data, model

GOLDEN_PER_CLASS = 2


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def tensor_sums(img):
    """(sum, index-weighted sum) of the x/255 input tensor, in double.

    The weighted sum (weight (i % 251) + 1 at row-major index i) catches a
    flipped or shifted tensor that the plain sum would not."""
    t = img.astype(np.float32) / np.float32(255)
    w = (np.arange(t.size) % 251 + 1).astype(np.float64)
    return float(t.astype(np.float64).sum()), float((t.ravel().astype(np.float64) * w).sum())


def write_golden(path, h5, x, y, paths, probs):
    """The first GOLDEN_PER_CLASS PublicTest images of each class: path, input
    sums and the probabilities torch gives (one image at a time, float32)."""
    rows = []
    for c in range(7):
        for i in np.flatnonzero(y == c)[:GOLDEN_PER_CLASS]:
            rows.append(i)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# Golden outputs of models/%s, written by train/ (python3 -m train.train).\n" % os.path.basename(h5))
        f.write("# image: path relative to ../shared/testdata/fer2013-public, sum and index-weighted\n")
        f.write("# sum ((i %% 251) + 1) of the 48x48 x/255 tensor, then torch's 7 probabilities\n")
        f.write("# (angry disgust fear happy sad surprise neutral).\n")
        f.write("model %s %s\n" % (os.path.basename(h5), sha256(h5)))
        for i in rows:
            s, ws = tensor_sums(x[i])
            f.write("image %s %.6f %.6f %s\n" % (paths[i], s, ws, " ".join("%.8f" % p for p in probs[i])))


def _arch_rows(net):
    rows, s = [], 48
    cin = 1
    for c, nc in zip(net.channels, net.convs):
        for k in range(nc):
            rows.append("| Conv2D %d 3x3 same (no bias) + BatchNorm + ReLU | %dx%dx%d |" % (c, s, s, c))
            cin = c
        s //= 2
        rows.append("| MaxPooling2D 2x2 stride 2 | %dx%dx%d |" % (s, s, c))
    rows.append("| GlobalAveragePooling2D | %d |" % cin)
    rows.append("| Dropout %.2f (training only) | %d |" % (net.dropout.p, cin))
    rows.append("| Dense 7, softmax | 7 |")
    return rows


def cpu_name():
    """"<model name> (<n> cores)" from /proc/cpuinfo, else the machine type."""
    try:
        with open("/proc/cpuinfo") as f:
            names = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
        return "%s (%d cores)" % (names[0], len(names))
    except (OSError, IndexError):
        import platform
        return platform.machine()


def _stage_one(path, init_sha):
    """The training sections (run, PublicTest, per-epoch log) of the card at
    path when it is the card of the model with SHA256 init_sha (the model a
    fine-tuning run starts from, whose card the export is about to replace),
    headings one level down; None otherwise."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    if "- sha256: `%s`" % init_sha not in text:
        return None
    start, end = text.find("## Training run"), text.find("## Preprocessing")
    if start < 0 or end < start:
        return None
    return [("#" + l if l.startswith("## ") else l) for l in text[start:end].rstrip().split("\n")]


def write_card(path, h5, a, settings, state, net, acc, recall, n_val):
    best = state["best"]
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "card_notes.md")
    # Read before the card is rewritten: a fine-tuning run's card carries the
    # card of the model it started from.
    stage_one = _stage_one(path, settings["init_sha256"]) if settings.get("init") else None
    L = []
    L.append("# %s: FER2013 emotion network trained in this project" % a.name)
    L.append("")
    L.append("Written by `make train-emotion` (train/train.py); edit train/card_notes.md, not this file.")
    L.append("")
    L.append("- file: `models/%s`" % os.path.basename(h5))
    L.append("- sha256: `%s`" % sha256(h5))
    L.append("- input: 48x48 gray")
    L.append("- scale: x/255 (EMO_EMOTION_SCALE_01)")
    L.append("- labels: %s" % ",".join(data.LABELS))
    L.append("- size: %d bytes, %d parameters, %.1f M multiply-accumulates per face" %
             (os.path.getsize(h5), sum(p.numel() for p in net.parameters()), model.macs(net) / 1e6))
    L.append("")
    L.append("## Architecture (Keras 2 HDF5, channels_last)")
    L.append("")
    L.append("| layer | output |")
    L.append("| --- | --- |")
    L.append("| input | 48x48x1 |")
    L += _arch_rows(net)
    L.append("")
    L.append("## Training run")
    L.append("")
    L.append("- data: ../shared/testdata/fer2013-train (%s), validation and model choice on "
             "../shared/testdata/fer2013-public (PublicTest)" % "FER2013 Training split, 28,709 images")
    L.append("- settings: %s" % ", ".join("%s=%s" % kv for kv in sorted(settings.items())))
    if settings.get("init"):
        L.append("- fine-tuned: the run started from the weights of `%s` (sha256 `%s`; its own training is under "
                 "\"Stage 1\" below), not from random ones" % (settings["init"], settings["init_sha256"]))
    if settings.get("teacher"):
        L.append("- distilled: loss = %g x the distillation loss (KL divergence to the teacher's probabilities, "
                 "both at temperature %g, times %g) + %g x the label loss; teacher: the mean of the models of `%s` "
                 "(sha256 `%s`, `emoscope eval` of the training set) with weights %s" %
                 (settings["distill"], settings["distill_t"], settings["distill_t"] ** 2, 1 - settings["distill"],
                  settings["teacher"], settings["teacher_sha256"], settings["teacher_weights"]))
    total = a.epochs + a.swa_epochs
    if state["epoch"] < total:
        L.append("- **run incomplete**: exported after epoch %d of %d (the run goes on; rerunning "
                 "`make train-emotion` resumes it and rewrites this card)" % (state["epoch"], total))
    if a.swa_epochs:
        L.append("- epochs: %d of %d (%d of the one-cycle schedule, then %d at the constant rate %g whose weights "
                 "are averaged)" % (state["epoch"], total, a.epochs, a.swa_epochs, a.swa_lr))
    else:
        L.append("- epochs: %d of %d" % (state["epoch"], total))
    if best.get("swa_n"):
        L.append("- exported: the average of the weights after epochs %d-%d (stochastic weight averaging, "
                 "BatchNorm statistics recomputed on the training images), the best PublicTest accuracy of the run"
                 % (best["epoch"] - best["swa_n"] + 1, best["epoch"]))
    else:
        L.append("- exported: epoch %d (best PublicTest accuracy of the run)" % best["epoch"])
    L.append("- wall time: %.0f s (%.1f min) of training in %d session(s), on %d threads of a %s "
             "(torch %s, device %s); the load of the machine per epoch is in the log below" %
             (state["wall_s"], state["wall_s"] / 60, state["sessions"], a.threads, cpu_name(), torch.__version__,
              a.device))
    L.append("- written: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    L.append("")
    L.append("## PublicTest (%d images; torch on the pixels emoscope decodes, as `emoscope eval` scores it)" % n_val)
    L.append("")
    L.append("accuracy **%.2f%%**" % (acc * 100))
    L.append("")
    L.append("| " + " | ".join(data.LABELS) + " |")
    L.append("|" + " --- |" * 7)
    L.append("| " + " | ".join("%.1f" % (r * 100) for r in recall) + " |")
    L.append("")
    L.append("## Per-epoch log")
    L.append("")
    L.append("PublicTest is scored on the weights at the end of each epoch; from epoch %d on, also on the "
             "average of the weights since epoch %d (the SWA column)." % (a.epochs + 1, a.epochs + 1)
             if a.swa_epochs else "PublicTest is scored on the weights at the end of each epoch.")
    L.append("")
    L.append("| epoch | loss | PublicTest | SWA | seconds | load (1 min) |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for r in state["log"]:
        sw = "%.2f%% (%d)" % (r["swa_acc"] * 100, r["swa_n"]) if "swa_acc" in r else ""
        L.append("| %d | %.4f | %.2f%% | %s | %.0f | %.1f |" % (r["epoch"], r["loss"], r["public_acc"] * 100, sw,
                                                               r["seconds"], r.get("load1", 0)))
    L.append("")
    if settings.get("init"):
        L.append("## Stage 1: the model this run started from")
        L.append("")
        L += stage_one or ["(its card, %s with sha256 %s, was not found)" % (path, settings["init_sha256"])]
        L.append("")
    with open(notes) as f:
        L.append(f.read().rstrip())
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def update_model_list(models_c, h5):
    """Puts the new file's SHA256 into the model list (src/io/models.c)."""
    with open(models_c) as f:
        text = f.read()
    new, n = re.subn(r'#define FER_VGG_SHA256 "[0-9a-f]{64}"', '#define FER_VGG_SHA256 "%s"' % sha256(h5), text)
    if n != 1:
        raise RuntimeError("%s: no FER_VGG_SHA256 definition to update" % models_c)
    with open(models_c, "w") as f:
        f.write(new)
