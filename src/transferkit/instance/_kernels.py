"""Gaussian kernels for the density-ratio estimators: median heuristic and batched products."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["gaussian_kernel", "kernel_row_blocks"]


def gaussian_kernel(
    X: np.ndarray, Y: np.ndarray, sigma: float, *, dtype: Any = np.float64
) -> np.ndarray:
    r"""Gaussian kernel matrix :math:`\exp(-\lVert x_i - y_j\rVert^2 / (2\sigma^2))`."""
    X = np.asarray(X, dtype=dtype)
    Y = np.asarray(Y, dtype=dtype)
    d2 = np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", Y, Y)[None, :]
    d2 -= 2.0 * (X @ Y.T)
    np.maximum(d2, 0.0, out=d2)
    d2 *= -1.0 / (2.0 * sigma**2)
    return np.exp(d2, out=d2)


def kernel_row_blocks(
    X: np.ndarray, Y: np.ndarray, sigma: float, *, block_size: int = 1024, dtype: Any = np.float32
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, K[rows])`` blocks of the Gaussian kernel, never the whole matrix."""
    Xd = np.asarray(X, dtype=dtype)
    Yd = np.asarray(Y, dtype=dtype)
    for start in range(0, Xd.shape[0], block_size):
        rows = slice(start, min(start + block_size, Xd.shape[0]))
        yield rows, gaussian_kernel(Xd[rows], Yd, sigma, dtype=dtype)
