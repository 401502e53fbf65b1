"""FER2013 images decoded exactly as emoscope decodes them.

The pixels come from emoscope's own decoder (emo_emotion_image_load_gray in
the built libemoscope.so, FFmpeg's luma plane of the JPEG) through ctypes, so
the network trains on the bytes `emoscope eval` will feed it; PIL/libjpeg can
differ by +-1 on some pixels. Decoded sets are cached as .npz (not committed).
"""
import ctypes
import hashlib
import os

import numpy as np

# FER2013 label order, used by every emotion model of the project. The shared
# folders are named after the classes and listed alphabetically, which is not
# this order: map by name.
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class Decoder:
    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path)
        self.libc = ctypes.CDLL(None)
        f = self.lib.emo_emotion_image_load_gray
        f.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int),
                      ctypes.POINTER(ctypes.c_int), ctypes.c_void_p]
        f.restype = ctypes.c_int
        self.libc.free.argtypes = [ctypes.c_void_p]
        # FFmpeg warns about each FER2013 JPEG that lacks its EOI marker
        # (decoded fine); keep errors only (AV_LOG_ERROR = 16).
        try:
            ctypes.CDLL("libavutil.so.57").av_log_set_level(16)
        except OSError:
            pass

    def load(self, path):
        px = ctypes.c_void_p()
        w, h = ctypes.c_int(), ctypes.c_int()
        err = self.lib.emo_emotion_image_load_gray(path.encode(), ctypes.byref(px), ctypes.byref(w),
                                                   ctypes.byref(h), None)
        if err:
            raise RuntimeError("%s: emoscope cannot decode it (error %d)" % (path, err))
        try:
            buf = ctypes.string_at(px.value, w.value * h.value)
        finally:
            self.libc.free(px)
        return np.frombuffer(buf, np.uint8).reshape(h.value, w.value)


def list_set(root):
    """(relative path, label index) of every image of a folder-per-class set, sorted."""
    items = []
    for li, name in enumerate(LABELS):
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            raise FileNotFoundError("%s: missing class folder %s" % (root, name))
        for f in sorted(os.listdir(d)):
            if f.lower().endswith((".jpg", ".jpeg", ".png")):
                items.append((name + "/" + f, li))
    if not items:
        raise FileNotFoundError("%s: no images" % root)
    return items


def load_set(root, lib_path, cache_dir, size=48):
    """(x uint8 [N, size, size], y int64 [N], relative paths) of a set, cached."""
    items = list_set(root)
    key = hashlib.sha256(("\n".join(p for p, _ in items) + os.path.realpath(root)).encode()).hexdigest()[:16]
    cache = os.path.join(cache_dir, "%s-%s.npz" % (os.path.basename(os.path.normpath(root)), key))
    if os.path.exists(cache):
        z = np.load(cache)
        return z["x"], z["y"], [p for p, _ in items]
    dec = Decoder(lib_path)
    x = np.empty((len(items), size, size), np.uint8)
    for i, (p, _) in enumerate(items):
        img = dec.load(os.path.join(root, p))
        if img.shape != (size, size):
            # The registry feeds 48x48 FER images unresized; anything else
            # would need the C resize, which training does not reproduce.
            raise ValueError("%s: %dx%d, expected %dx%d" % (p, img.shape[1], img.shape[0], size, size))
        x[i] = img
    y = np.array([li for _, li in items], np.int64)
    os.makedirs(cache_dir, exist_ok=True)
    np.savez(cache + ".part.npz", x=x, y=y)
    os.replace(cache + ".part.npz", cache)
    return x, y, [p for p, _ in items]


def load_teacher(csv_path, root, paths, y, weights=None):
    """Soft labels [N, 7] (float32, rows in the order of paths) for
    distillation: the weighted mean of the models' probabilities in an
    `emoscope eval ROOT --models A,B,.. --probs CSV` file of the same set.
    weights: one per model of the file, in its order (normalised); None =
    equal. Every image of the set must be in the file with the same label."""
    with open(csv_path) as f:
        head = f.readline().rstrip("\n").split(",")
        models = [c[:-len("_" + LABELS[0])] for c in head[2::7] if c.endswith("_" + LABELS[0])]
        models = [m for m in models if m != "ensemble"]
        rows = {}
        base = os.path.realpath(root)
        for line in f:
            r = line.rstrip("\n").split(",")
            if len(r) != len(head):
                raise ValueError("%s: a row of %d fields, the header has %d" % (csv_path, len(r), len(head)))
            rel = os.path.relpath(os.path.realpath(r[0]), base)
            rows[rel] = (r[1], np.array([float(v) for v in r[2:2 + 7 * len(models)]], np.float64))
    w = np.ones(len(models)) if weights is None else np.asarray(weights, np.float64)
    if len(w) != len(models) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("%s holds the models %s: give %d non-negative weights" % (csv_path, models, len(models)))
    w = w / w.sum()
    out = np.empty((len(paths), 7), np.float32)
    for i, p in enumerate(paths):
        if p not in rows:
            raise ValueError("%s: no probabilities for %s" % (csv_path, p))
        label, v = rows[p]
        if label != LABELS[y[i]]:
            raise ValueError("%s: %s is labelled %s there, %s here" % (csv_path, p, label, LABELS[y[i]]))
        out[i] = (w[:, None] * v.reshape(len(models), 7)).sum(0)
    return models, out / out.sum(1, keepdims=True)
