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
