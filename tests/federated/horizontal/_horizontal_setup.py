"""The small federation every horizontal test runs: two clients, a tiny CNN, two rounds."""

from __future__ import annotations

import numpy as np

SETTINGS = dict(
    image_shape=(1, 8, 8),
    backbone_kwargs={"widths": (4, 8, 8)},
    rounds=2,
    local_epochs=2,
    lr=0.01,
    batch_size=8,
    random_state=3,
)


def make_clients(seed=0):
    """Two clients that disagree on what the bright half means (a head each is needed)."""
    rng = np.random.default_rng(seed)
    out = []
    for k, n in enumerate((24, 16)):
        y = np.arange(n) % 2
        X = rng.random((n, 64)) * 0.2
        X[(y == 1) ^ bool(k), :32] += 0.8
        out.append((X, y))
    return out
