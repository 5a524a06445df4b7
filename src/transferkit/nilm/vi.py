"""Binary V-I trajectory images of one mains cycle (appliance signatures).

Each cycle's voltage :math:`v` and current :math:`i` are scaled by their own peak
magnitude to :math:`[-1, 1]`; the curve :math:`(v(t), i(t))` is linearly up-sampled and
rasterised into an :math:`n \\times n` grid of equal bins (voltage along the columns,
current along the rows, positive current at the top); a pixel is 1 when the trajectory
passes through it.
Gao, Kara, Giri & Bergés, "A feasibility study of automated plug-load identification from
high-frequency measurements", GlobalSIP 2015; De Baets et al., "Appliance classification
using VI trajectories and convolutional neural networks", Energy and Buildings 2018.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_matrix, check_positive

__all__ = ["vi_binary_image"]


def vi_binary_image(current: Any, voltage: Any, size: int = 32, upsample: int = 4) -> np.ndarray:
    """Binary ``size x size`` V-I images, one per row of ``current``/``voltage``.

    Parameters
    ----------
    current, voltage : array-like of shape (n_events, n_samples) or (n_samples,)
        One (or more) mains cycles, aligned sample by sample.
    size : int, default=32
        Image side length in pixels.
    upsample : int, default=4
        Linear interpolation factor along the cycle before rasterising, so that fast
        current changes still draw connected lines.

    Returns
    -------
    numpy.ndarray of shape (n_events, size, size) (or (size, size) for 1-D input), uint8

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 500, endpoint=False)
    >>> img = vi_binary_image(np.sin(t), np.sin(t), size=8)   # resistive load: a diagonal
    >>> img.shape, bool(img[::-1].diagonal().all())   # every anti-diagonal pixel is on
    ((8, 8), True)
    >>> int(img.sum()) <= 12                            # and little else
    True
    """
    check_positive("size", size, integer=True)
    check_positive("upsample", upsample, integer=True)
    single = np.ndim(current) == 1
    I = check_matrix(np.atleast_2d(current), "current", min_samples=1)  # noqa: E741
    V = check_matrix(np.atleast_2d(voltage), "voltage", min_samples=1)
    if I.shape != V.shape:
        raise TransferKitInputError(
            f"current and voltage must have the same shape; got {I.shape} and {V.shape}."
        )
    if I.shape[1] < 2:
        raise TransferKitInputError("each cycle needs at least 2 samples.")
    n, m = I.shape
    grid = np.linspace(0.0, m - 1.0, (m - 1) * int(upsample) + 1)
    base = np.arange(m)
    out = np.zeros((n, size, size), dtype=np.uint8)
    for k in range(n):
        i = np.interp(grid, base, I[k])
        v = np.interp(grid, base, V[k])
        i = i / max(np.abs(i).max(), np.finfo(float).tiny)
        v = v / max(np.abs(v).max(), np.finfo(float).tiny)
        col = np.clip(np.floor((v + 1.0) / 2.0 * size), 0, size - 1).astype(int)
        row = np.clip(np.floor((1.0 - i) / 2.0 * size), 0, size - 1).astype(int)
        out[k, row, col] = 1
    return out[0] if single else out
