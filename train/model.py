"""The network: a small VGG-style CNN that our Keras reader can run.

Every layer maps one to one onto a Keras 2 layer of docs/nn-keras.md:
Conv2D 3x3 'same' stride 1 (torch padding 1), BatchNormalization, ReLU,
MaxPooling2D 2x2 stride 2, GlobalAveragePooling2D, Dropout, Dense. No strided
convolution: TensorFlow's SAME pads an odd pixel after, torch pads both sides,
so downsampling is done by max-pooling only.
"""
import torch.nn as nn

# Channels per stage; each stage is `convs` 3x3 convolutions (one count for
# all stages, or one per stage) then a 2x2 pool.
CONFIGS = {
    # default (make train-emotion): one convolution at 48x48, where the
    # activations are largest, two in the other stages; 54 M MAC
    "v24": {"channels": (24, 48, 96, 192), "convs": (1, 2, 2, 2), "dropout": 0.3},
    "s24": {"channels": (24, 48, 96, 192), "convs": 2, "dropout": 0.3},
    "s32": {"channels": (32, 64, 128, 192), "convs": 2, "dropout": 0.3},
    "s16": {"channels": (16, 32, 64, 128), "convs": 2, "dropout": 0.2},
    # v24 with every channel count x4/3 (the 48x48 stage x4/3 too): 96 M MAC
    "v32": {"channels": (32, 64, 128, 256), "convs": (1, 2, 2, 2), "dropout": 0.4},
    # GPU=1: wider, still within the 1.5 ms inference floor to be measured
    "g32": {"channels": (32, 64, 128, 256), "convs": 2, "dropout": 0.4},
}


class Net(nn.Module):
    def __init__(self, channels, convs=2, dropout=0.3, n_classes=7):
        super().__init__()
        layers = []
        cin = 1
        if isinstance(convs, int):
            convs = (convs,) * len(channels)
        for c, nc in zip(channels, convs):
            for _ in range(nc):
                layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
                cin = c
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, n_classes)
        self.channels = tuple(channels)
        self.convs = convs

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=(2, 3))
        return self.fc(self.dropout(x))


def build(name):
    return Net(**CONFIGS[name])


def macs(net, size=48):
    """Multiply-accumulates of one 1x1xSxS forward pass (convolutions and dense)."""
    total, s, cin = 0, size, 1
    for c, nc in zip(net.channels, net.convs):
        for _ in range(nc):
            total += s * s * 9 * cin * c
            cin = c
        s //= 2
    return total + cin * 7
