"""Writes a trained Net as a Keras 2 HDF5 full model, without Keras.

The layout is the one docs/nn-keras.md describes and src/nn/keras.c reads:
root attribute `model_config` (a Sequential model's JSON), weights under
`model_weights/<layer>/<layer>/<name>:0` listed by each layer group's
`weight_names`. Tensors are channels_last: convolution kernels HWIO, dense
kernels [Cin][Cout].
"""
import json

import h5py
import numpy as np
import torch.nn as nn


def _layer(cls, name, **cfg):
    cfg["name"] = name
    cfg.setdefault("trainable", True)
    return {"class_name": cls, "config": cfg}


def keras_layers(net, size=48):
    """[(keras layer dict, {weight name: array})] of the network, in order."""
    out = [(_layer("InputLayer", "input", batch_input_shape=[None, size, size, 1], dtype="float32",
                   sparse=False), {})]
    n = {"conv": 0, "bn": 0, "relu": 0, "pool": 0}

    def name(kind):
        n[kind] += 1
        return "%s_%d" % (kind, n[kind])

    for m in net.features:
        if isinstance(m, nn.Conv2d):
            assert m.stride == (1, 1) and m.padding == (1, 1) and m.kernel_size == (3, 3) and m.bias is None
            w = m.weight.detach().cpu().numpy().transpose(2, 3, 1, 0)  # OIHW -> HWIO
            out.append((_layer("Conv2D", name("conv"), filters=m.out_channels, kernel_size=[3, 3], strides=[1, 1],
                               padding="same", data_format="channels_last", dilation_rate=[1, 1],
                               activation="linear", use_bias=False), {"kernel": w}))
        elif isinstance(m, nn.BatchNorm2d):
            out.append((_layer("BatchNormalization", name("bn"), axis=-1, momentum=0.99, epsilon=float(m.eps),
                               center=True, scale=True),
                        {"gamma": m.weight.detach().cpu().numpy(), "beta": m.bias.detach().cpu().numpy(),
                         "moving_mean": m.running_mean.cpu().numpy(),
                         "moving_variance": m.running_var.cpu().numpy()}))
        elif isinstance(m, nn.ReLU):
            out.append((_layer("Activation", name("relu"), activation="relu"), {}))
        elif isinstance(m, nn.MaxPool2d):
            assert m.kernel_size == 2 and m.stride == 2 and m.padding == 0
            out.append((_layer("MaxPooling2D", name("pool"), pool_size=[2, 2], strides=[2, 2], padding="valid",
                               data_format="channels_last"), {}))
        else:
            raise TypeError("no Keras export for %s" % type(m).__name__)
    out.append((_layer("GlobalAveragePooling2D", "gap", data_format="channels_last"), {}))
    out.append((_layer("Dropout", "dropout", rate=float(net.dropout.p)), {}))
    out.append((_layer("Dense", "predictions", units=net.fc.out_features, activation="softmax", use_bias=True),
                {"kernel": net.fc.weight.detach().cpu().numpy().T, "bias": net.fc.bias.detach().cpu().numpy()}))
    return out


def write_hdf5(net, path, size=48):
    net = net.eval()
    layers = keras_layers(net, size)
    config = {"class_name": "Sequential", "config": {"name": "emoscope_fer", "layers": [l for l, _ in layers]}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = np.bytes_(json.dumps(config))
        f.attrs["keras_version"] = np.bytes_("2.0.5")
        f.attrs["backend"] = np.bytes_("tensorflow")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([l["config"]["name"].encode() for l, _ in layers], dtype="S")
        for l, weights in layers:
            ln = l["config"]["name"]
            g = mw.create_group(ln)
            names = []
            for wn, arr in weights.items():
                full = "%s/%s:0" % (ln, wn)
                g.create_dataset(full, data=np.ascontiguousarray(arr, dtype=np.float32))
                names.append(full.encode())
            g.attrs["weight_names"] = np.array(names, dtype="S")


def read_hdf5(net, path):
    """Loads the weights of a file write_hdf5 wrote for the same architecture
    into net (the inverse of keras_layers' mapping), e.g. to fine-tune it."""
    import torch
    layers = keras_layers(net)
    mods = [m for m in net.features if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))] + [net.fc]
    with_w = [(l, w) for l, w in layers if w]
    if len(with_w) != len(mods):
        raise ValueError("%s: %d layers with weights, the network has %d" % (path, len(with_w), len(mods)))
    with h5py.File(path, "r") as f:
        for (l, ref), m in zip(with_w, mods):
            ln = l["config"]["name"]
            t = {}
            for wn, arr in ref.items():
                ds = "model_weights/%s/%s/%s:0" % (ln, ln, wn)
                if ds not in f:
                    raise ValueError("%s: no %s" % (path, ds))
                v = np.asarray(f[ds], np.float32)
                if v.shape != arr.shape:
                    raise ValueError("%s: %s is %s, the network wants %s" % (path, ds, v.shape, arr.shape))
                t[wn] = torch.from_numpy(v)
            with torch.no_grad():
                if isinstance(m, nn.Conv2d):
                    m.weight.copy_(t["kernel"].permute(3, 2, 0, 1))  # HWIO -> OIHW
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.copy_(t["gamma"])
                    m.bias.copy_(t["beta"])
                    m.running_mean.copy_(t["moving_mean"])
                    m.running_var.copy_(t["moving_variance"])
                else:
                    m.weight.copy_(t["kernel"].T)
                    m.bias.copy_(t["bias"])
    return net
