"""Batched training augmentation (torch, on the training device).

Per image: horizontal flip (p 0.5); a random affine warp (rotation within
+-10 degrees, scale 0.9..1.1, shift within +-4 pixels; bilinear, border
pixels repeated); random erasing (p 0.5, a rectangle of 2..15% of the image
filled with uniform noise). All draws come from the generator passed in, so
an epoch's augmentation is fixed by its seed.
"""
import math

import torch
import torch.nn.functional as F


def augment(x, gen, max_rot=10.0, scale=(0.9, 1.1), max_shift=4.0, erase_p=0.5):
    """x: [N, 1, H, W] float in [0, 1]; returns a new tensor of the same shape."""
    n, _, h, w = x.shape
    dev = x.device

    def u(lo, hi, *shape):
        return torch.rand(*shape, generator=gen).to(dev) * (hi - lo) + lo

    flip = (torch.rand(n, generator=gen) < 0.5).to(dev)
    ang = u(-max_rot, max_rot, n) * (math.pi / 180)
    s = u(scale[0], scale[1], n)
    tx = u(-max_shift, max_shift, n) * (2.0 / w)
    ty = u(-max_shift, max_shift, n) * (2.0 / h)
    fx = torch.where(flip, -1.0, 1.0)
    cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
    theta = torch.stack([torch.stack([cos * fx, -sin, tx], 1), torch.stack([sin * fx, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # Random erasing: one rectangle per selected image.
    er = (torch.rand(n, generator=gen) < erase_p).to(dev)
    area = u(0.02, 0.15, n) * (h * w)
    ratio = torch.exp(u(math.log(0.3), math.log(3.3), n))
    eh = torch.sqrt(area * ratio).clamp(1, h - 1)
    ew = torch.sqrt(area / ratio).clamp(1, w - 1)
    y0 = u(0, 1, n) * (h - eh)
    x0 = u(0, 1, n) * (w - ew)
    ys = torch.arange(h, device=dev).view(1, h, 1).float()
    xs = torch.arange(w, device=dev).view(1, 1, w).float()
    mask = ((ys >= y0.view(n, 1, 1)) & (ys < (y0 + eh).view(n, 1, 1)) & (xs >= x0.view(n, 1, 1)) &
            (xs < (x0 + ew).view(n, 1, 1)) & er.view(n, 1, 1)).unsqueeze(1)
    noise = torch.rand(x.shape, generator=gen).to(dev)
    return torch.where(mask, noise, x)
