"""Trains the project's FER2013 emotion network; resumable, seeded, logged.

    python3 -m train.train [--preset cpu|gpu] [options]

Runs from the project root. Every epoch ends with a checkpoint in the work
folder (build/train-<preset> by default); rerunning the same command resumes
from it (the epoch's seed fixes its shuffling, augmentation and dropout, so a
resumed run takes the same path as an uninterrupted one) and the wall time of
all sessions is summed. At the end the epoch with the best PublicTest accuracy
is exported (Keras HDF5), with the golden file and the model card.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import augment, data, export, model, report

PRESETS = {
    # The 2-core CPU machine: about two hours unloaded (see models/fer_vgg.md).
    "cpu": {"arch": "v24", "epochs": 80, "batch": 128, "lr": 0.1, "wd": 5e-4, "device": "cpu",
            "swa_epochs": 0, "swa_lr": 0.01, "bf16": False, "distill": 0.0, "teacher_models": None,
            "teacher_weights": None},
    # GPU=1: a wider network and a longer schedule.
    "gpu": {"arch": "g32", "epochs": 120, "batch": 128, "lr": 0.1, "wd": 5e-4, "device": "cuda",
            "swa_epochs": 0, "swa_lr": 0.01, "bf16": False, "distill": 0.0, "teacher_models": None,
            "teacher_weights": None},
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    p.add_argument("--arch", choices=sorted(model.CONFIGS))
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--wd", type=float)
    p.add_argument("--device")
    p.add_argument("--swa-epochs", type=int,
                   help="epochs at the constant rate --swa-lr after the one-cycle schedule, their weights averaged "
                        "(stochastic weight averaging; 0 = none)")
    p.add_argument("--swa-lr", type=float)
    p.add_argument("--init", help="start from the weights of this HDF5 file (written by this training for the same "
                                   "--arch) instead of random ones: a fine-tuning run")
    p.add_argument("--teacher", help="distil from these soft labels: an `emoscope eval TRAIN-DIR --models A,B,.. "
                                      "--probs FILE.csv` of the training set")
    p.add_argument("--teacher-models",
                   help="comma-separated emotion models: the teacher file is made by `emoscope eval TRAIN-DIR "
                        "--models LIST --probs WORK/teacher.csv` (the CLI next to --lib) unless --teacher names one")
    p.add_argument("--teacher-weights", help="the models' weights in the teacher's mean, comma-separated in the "
                                              "file's model order (default equal)")
    p.add_argument("--distill", type=float,
                   help="weight of the distillation loss (KL divergence to the teacher at temperature "
                        "--distill-t, times t^2); the label loss gets 1 - this")
    p.add_argument("--distill-t", type=float, default=2.0)
    p.add_argument("--bf16", action="store_true", default=None,
                   help="train with bfloat16 autocast (weights, optimiser and evaluation stay float32): 2.5-3.5x "
                        "faster steps on CPUs with AVX512-BF16 (and on GPUs); slower where the CPU lacks it")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many steps (speed tests)")
    p.add_argument("--stop-after", type=int, default=0, help="stop (resumably) after this epoch")
    p.add_argument("--train-dir", default="../shared/testdata/fer2013-train")
    p.add_argument("--val-dir", default="../shared/testdata/fer2013-public")
    p.add_argument("--lib", default="build/libemoscope.so")
    p.add_argument("--cache", default="build/train-cache")
    p.add_argument("--work", help="checkpoint folder (default build/train-<preset>)")
    p.add_argument("--name", default="fer_vgg")
    p.add_argument("--models", default="models")
    p.add_argument("--golden", default="tests/emotion/data")
    p.add_argument("--model-list", default="src/io/models.c", help="where FER_VGG_SHA256 is updated ('' = not)")
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--export-only", action="store_true",
                   help="export the best epoch of the checkpoint as it stands (a run may still be going) and stop")
    a = p.parse_args(argv)
    for k, v in PRESETS[a.preset].items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.work = a.work or "build/train-%s" % a.preset
    return a


def net_input(x, dev):
    """The network's input for uint8 images x [N, 48, 48]: [N, 1, 48, 48]
    float x/255 on dev, channels-last."""
    return torch.from_numpy(x).to(dev).float().div_(255).unsqueeze(1).contiguous(memory_format=torch.channels_last)


def evaluate(net, x, y, dev, batch=128):
    """(accuracy, per-class recall, probabilities) of x (uint8 [N, 48, 48])."""
    net.eval()
    probs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            probs.append(F.softmax(net(net_input(x[i:i + batch], dev)), 1).cpu())
    p = torch.cat(probs).numpy()
    pred = p.argmax(1)
    recall = [float((pred[y == c] == c).mean()) if (y == c).any() else 0.0 for c in range(7)]
    return float((pred == y).mean()), recall, p


def run_epoch(net, opt, sched, x, y, a, epoch, dev, teacher=None):
    """One epoch; returns (mean loss, steps). Seeded by (seed, epoch).
    teacher: soft labels [N, 7] (distillation, weight a.distill)."""
    net.train()
    torch.manual_seed(a.seed * 1000 + epoch)  # dropout
    gen = torch.Generator().manual_seed(a.seed * 1000 + epoch)
    order = torch.randperm(len(x), generator=gen).numpy()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    total, steps = 0.0, 0
    n_steps = len(x) // a.batch  # the last partial batch is dropped
    for s in range(n_steps):
        if a.max_steps and s >= a.max_steps:
            break
        idx = torch.from_numpy(order[s * a.batch:(s + 1) * a.batch])
        xb = xt[idx].to(dev).float().div_(255).unsqueeze(1)
        xb = augment.augment(xb, gen).contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16):
            out = net(xb)
        out = out.float()
        loss = F.cross_entropy(out, yt[idx].to(dev), label_smoothing=a.label_smoothing)
        if teacher is not None and a.distill > 0:
            t = a.distill_t
            # The teacher's probabilities at temperature t: p^(1/t), renormalised.
            soft = F.softmax(torch.log(teacher[idx].to(dev).clamp_min(1e-7)) / t, 1)
            kd = F.kl_div(F.log_softmax(out / t, 1), soft, reduction="batchmean") * (t * t)
            loss = (1 - a.distill) * loss + a.distill * kd
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total += float(loss)
        steps += 1
    return total / max(steps, 1), steps


def save_atomic(obj, path):
    torch.save(obj, path + ".part")
    os.replace(path + ".part", path)


def bn_update(net, x, dev, batch=256):
    """Recomputes every BatchNorm's running mean and variance as the plain
    average over the (unaugmented) images x, as averaged weights need."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(net_input(x[i:i + batch], dev))
    for m, mom in zip(bns, saved):
        m.momentum = mom


# Training images the BatchNorm statistics of averaged weights are computed
# on: a fixed seeded sample (a pass over all 28,709 costs more than the
# epoch's training on 2 cores; the running averages settle long before).
SWA_BN_IMAGES = 8192


def swa_model(arch, avg, x, dev, seed):
    """A network with the averaged parameters avg and BatchNorm statistics
    recomputed on SWA_BN_IMAGES images of x drawn with seed."""
    net = model.build(arch).to(dev).to(memory_format=torch.channels_last)
    net.load_state_dict(avg, strict=False)
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).numpy()[:SWA_BN_IMAGES]
    bn_update(net, x[np.sort(pick)], dev)
    return net


def make_teacher(a):
    """WORK/teacher.csv: the probabilities of a.teacher_models on the training
    set, from `emoscope eval` (kept and reused when present); its path, or
    None when the CLI failed."""
    import subprocess
    path = os.path.join(a.work, "teacher.csv")
    if os.path.exists(path):
        return path
    cli = os.path.join(os.path.dirname(os.path.abspath(a.lib)), "emoscope")
    cmd = [cli, "eval", a.train_dir, "--models", a.teacher_models, "--probs", path + ".part"]
    print("train: the teacher's probabilities: %s" % " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if r.returncode != 0 or not os.path.exists(path + ".part"):
        print("train: %s failed (exit status %d)" % (" ".join(cmd), r.returncode), file=sys.stderr)
        return None
    os.replace(path + ".part", path)
    return path


def main(argv=None):
    a = parse_args(argv if argv is not None else sys.argv[1:])
    if a.device == "cuda" and not torch.cuda.is_available():
        print("train: no CUDA device here; use the default (CPU) preset", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    os.makedirs(a.work, exist_ok=True)

    t0 = time.time()
    xtr, ytr, ptr = data.load_set(a.train_dir, a.lib, a.cache)
    xva, yva, pva = data.load_set(a.val_dir, a.lib, a.cache)
    print("train: %d training images, %d PublicTest images (decoded by %s, %.0f s)" %
          (len(xtr), len(xva), a.lib, time.time() - t0), flush=True)

    # NHWC weights: torch's CPU convolutions (oneDNN) run 1.6-1.8x faster on
    # this machine than with NCHW (0.30-0.36 s vs 0.55 s per step of 128).
    teacher = None
    if a.distill > 0:
        made = not a.teacher and a.teacher_models
        if made:
            a.teacher = make_teacher(a)
            if not a.teacher:
                return 2
        if not a.teacher:
            print("train: --distill needs --teacher or --teacher-models", file=sys.stderr)
            return 2
        tw = [float(v) for v in a.teacher_weights.split(",")] if a.teacher_weights else None
        try:
            tmodels, tp = data.load_teacher(a.teacher, a.train_dir, ptr, ytr, tw)
        except (OSError, ValueError) as e:
            print("train: the teacher: %s" % e, file=sys.stderr)
            return 2
        if made and tmodels != a.teacher_models.split(","):
            # a teacher.csv kept from a run with other --teacher-models
            print("train: %s holds the models %s, not %s; remove it or use --work" %
                  (a.teacher, ",".join(tmodels), a.teacher_models), file=sys.stderr)
            return 2
        teacher = torch.from_numpy(tp)
        print("train: distilling from %s (%s), weight %g, temperature %g; the teacher's training accuracy %.2f%%" %
              (a.teacher, "/".join(tmodels), a.distill, a.distill_t, 100 * float((tp.argmax(1) == ytr).mean())),
              flush=True)
    net = model.build(a.arch)
    if a.init:
        export.read_hdf5(net, a.init)
    net = net.to(dev).to(memory_format=torch.channels_last)
    if a.init:
        acc0, _, _ = evaluate(net, xva, yva, dev)
        print("train: starting from the weights of %s (PublicTest %.2f%%)" % (a.init, acc0 * 100), flush=True)
    steps_per_epoch = len(xtr) // a.batch
    if a.max_steps:
        steps_per_epoch = min(steps_per_epoch, a.max_steps)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=a.epochs, steps_per_epoch=steps_per_epoch,
                                                pct_start=0.2, div_factor=10, final_div_factor=100)
    ck_path = os.path.join(a.work, "checkpoint.pt")
    settings = {k: getattr(a, k) for k in ("preset", "arch", "epochs", "batch", "lr", "wd", "seed", "threads",
                                           "label_smoothing", "max_steps")}
    # Fine-tuning and distillation are recorded only when used, so that
    # checkpoints and cards of plain runs keep their settings.
    if a.bf16:
        settings.update(bf16=True)
    if a.init:
        settings.update(init=os.path.basename(a.init), init_sha256=report.sha256(a.init))
    if a.distill > 0:
        settings.update(teacher=os.path.basename(a.teacher), teacher_sha256=report.sha256(a.teacher),
                        teacher_weights=a.teacher_weights or "equal", distill=a.distill, distill_t=a.distill_t)
    state = {"epoch": 0, "wall_s": 0.0, "log": [], "best": None, "sessions": 0}
    swa_settings = {"swa_epochs": a.swa_epochs, "swa_lr": a.swa_lr}
    swa = {"settings": swa_settings, "avg": None, "n": 0}
    if os.path.exists(ck_path):
        ck = torch.load(ck_path)
        if ck["settings"] != settings:
            print("train: %s was made with other settings %s; remove it or use --work" % (ck_path, ck["settings"]),
                  file=sys.stderr)
            return 2
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        state = ck["state"]
        if "swa" in ck:
            if ck["swa"]["settings"] != swa_settings:
                print("train: %s averaged weights with other settings %s; remove it or use --work" %
                      (ck_path, ck["swa"]["settings"]), file=sys.stderr)
                return 2
            swa = ck["swa"]
        print("train: resuming after epoch %d (%.0f s so far)" % (state["epoch"], state["wall_s"]), flush=True)
    if not a.export_only:
        state["sessions"] += 1
    print("train: %s, %.1f M MAC, %d parameters, %s, %d threads, %d epochs of %d steps" %
          (a.arch, model.macs(net) / 1e6, sum(p.numel() for p in net.parameters()), a.device, a.threads,
           a.epochs, steps_per_epoch), flush=True)

    if a.export_only and not state["best"]:
        print("train: %s has no finished epoch to export" % ck_path, file=sys.stderr)
        return 2
    # Stochastic weight averaging (Izmailov et al. 2018): after the one-cycle
    # schedule, swa_epochs more epochs at the constant rate swa_lr; the
    # parameters at the end of each are averaged, and the BatchNorm statistics
    # of the average are recomputed on the training images. Each epoch's
    # average is scored on PublicTest like any epoch and can be the one
    # exported.
    total = a.epochs + a.swa_epochs
    while state["epoch"] < total and not a.export_only:
        e = state["epoch"] + 1
        in_swa = e > a.epochs
        t = time.time()
        if in_swa:
            for g in opt.param_groups:
                g["lr"] = a.swa_lr
        loss, steps = run_epoch(net, opt, None if in_swa else sched, xtr, ytr, a, e, dev, teacher)
        acc, recall, _ = evaluate(net, xva, yva, dev)
        row = {"epoch": e, "loss": loss, "public_acc": acc, "steps": steps}
        cand, note = net, ""
        if in_swa:
            params = {k: v.detach().clone() for k, v in net.named_parameters()}
            if swa["avg"] is None:
                swa["avg"] = params
            else:
                for k, v in params.items():
                    swa["avg"][k] += (v - swa["avg"][k]) / (swa["n"] + 1)
            swa["n"] += 1
            cand = swa_model(a.arch, swa["avg"], xtr, dev, a.seed)
            acc, recall, _ = evaluate(cand, xva, yva, dev)
            row.update(swa_acc=acc, swa_n=swa["n"])
            note = "  average of %d: %.2f%%" % (swa["n"], acc * 100)
        dt = time.time() - t
        state["epoch"] = e
        state["wall_s"] += dt
        row.update(seconds=dt, load1=os.getloadavg()[0])
        state["log"].append(row)
        if state["best"] is None or acc > state["best"]["acc"]:
            state["best"] = {"epoch": e, "acc": acc, "recall": recall,
                             "model": {k: v.detach().cpu().clone() for k, v in cand.state_dict().items()}}
            if in_swa:
                state["best"]["swa_n"] = swa["n"]
        ck = {"settings": settings, "model": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
              "state": state}
        if in_swa:
            ck["swa"] = swa
        save_atomic(ck, ck_path)
        print("epoch %3d  loss %.4f  PublicTest %.2f%%%s  %.0f s  (total %.0f s, load %.1f)" %
              (e, loss, row["public_acc"] * 100, note, dt, state["wall_s"], os.getloadavg()[0]), flush=True)
        if a.stop_after and e >= a.stop_after:
            print("train: stopped after epoch %d as asked; rerun to resume" % e)
            return 0

    best = state["best"]
    print("train: %s, %d of %d epochs, %.0f s of training in %d session(s); best PublicTest %.2f%% at epoch %d" %
          ("done" if state["epoch"] >= total else "run incomplete", state["epoch"], total, state["wall_s"],
           state["sessions"], best["acc"] * 100, best["epoch"]), flush=True)
    if a.no_export:
        return 0
    net.load_state_dict(best["model"])
    net = net.cpu().eval()
    acc, recall, probs = evaluate(net, xva, yva, torch.device("cpu"))
    h5 = os.path.join(a.models, a.name + ".hdf5")
    export.write_hdf5(net, h5)
    golden = os.path.join(a.golden, a.name + "_golden.txt")
    report.write_golden(golden, h5, xva, yva, pva, probs)
    card = os.path.join(a.models, a.name + ".md")
    report.write_card(card, h5, a, dict(settings, **swa_settings), state, net, acc, recall, len(yva))
    if a.model_list and a.name == "fer_vgg":
        report.update_model_list(a.model_list, h5)
    print("train: wrote %s, %s, %s; PublicTest %.2f%% (torch, best epoch)" % (h5, card, golden, acc * 100))
    return 0


if __name__ == "__main__":
    sys.exit(main())
