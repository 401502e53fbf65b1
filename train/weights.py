"""Ensemble weight search on `emoscope eval --probs` files (numpy only).

    build/emoscope eval ../shared/testdata/fer2013-public --models A,B,C --probs fer.csv
    build/emoscope eval ../shared/testdata/ckplus48 --models A,B,C --probs ck.csv
    python3 -m train.weights fer.csv [ck.csv] [--step 0.05] [--fusion mean|geometric]

Grid over weights summing to 1 (steps of --step), fused as emoscope fuses
(weighted mean, or weighted log-linear with p clamped at 1e-7); prints the
best settings by PublicTest accuracy with their CK+48 accuracy. The choice is
made on PublicTest, as for the earlier weights (docs/emotion.md).
"""
import argparse
import itertools

import numpy as np

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def read_probs(path):
    """(model names, probs [M, N, 7], truth [N])."""
    with open(path) as f:
        head = f.readline().rstrip("\n").split(",")
        rows = [l.rstrip("\n").split(",") for l in f if l.strip()]
    cols = head[2:]
    models = []
    for c in cols[::7]:
        m = c[:-len("_" + LABELS[0])]
        if m != "ensemble":
            models.append(m)
    # Paths may contain commas only in theory; the sets here have none.
    vals = np.array([[float(v) for v in r[-len(cols):]] for r in rows], np.float64)
    truth = np.array([LABELS.index(r[-len(cols) - 1]) for r in rows])
    p = vals[:, :7 * len(models)].reshape(len(rows), len(models), 7).transpose(1, 0, 2)
    return models, p, truth


def accuracy(p, truth, w, fusion):
    w = np.asarray(w, np.float64)[:, None, None]
    if fusion == "geometric":
        f = (w * np.log(np.maximum(p, 1e-7))).sum(0)
    else:
        f = (w * p).sum(0)
    return float((f.argmax(1) == truth).mean())


def grid(n, step):
    k = int(round(1 / step))
    for c in itertools.product(range(k + 1), repeat=n - 1):
        if sum(c) <= k:
            yield tuple(x / k for x in c) + ((k - sum(c)) / k,)


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("fer")
    a.add_argument("ck", nargs="?")
    a.add_argument("--step", type=float, default=0.05)
    a.add_argument("--fusion", default="mean", choices=("mean", "geometric"))
    a.add_argument("--top", type=int, default=15)
    a = a.parse_args(argv)
    models, p, t = read_probs(a.fer)
    ck = read_probs(a.ck) if a.ck else None
    if ck and ck[0] != models:
        raise SystemExit("the two files have different models: %s, %s" % (models, ck[0]))
    for i, m in enumerate(models):
        print("%-16s alone: PublicTest %.2f%%%s" % (m, 100 * float((p[i].argmax(1) == t).mean()),
              "" if not ck else ", CK+48 %.2f%%" % (100 * float((ck[1][i].argmax(1) == ck[2]).mean()))))
    res = sorted(((accuracy(p, t, w, a.fusion), w) for w in grid(len(models), a.step)), key=lambda r: -r[0])
    print("%s fusion, weights %s:" % (a.fusion, "/".join(models)))
    for acc, w in res[:a.top]:
        line = "  %s  PublicTest %.2f%%" % ("/".join("%.2f" % x for x in w), 100 * acc)
        if ck:
            line += "  CK+48 %.2f%%" % (100 * accuracy(ck[1], ck[2], w, a.fusion))
        print(line)


if __name__ == "__main__":
    main()
