"""Gaussian kernels for the density-ratio estimators: median heuristic and batched products."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from transferkit._validation import check_random_state

__all__ = ["median_heuristic", "gaussian_kernel", "kernel_row_blocks"]


def median_heuristic(*arrays: np.ndarray, max_samples: int = 1000, random_state: Any = 0) -> float:
    r"""Median pairwise Euclidean distance of the pooled samples.

    The classic bandwidth :math:`\sigma = \operatorname{median}_{i<j}\lVert x_i - x_j\rVert`
    for :math:`k(x, x') = \exp(-\lVert x - x'\rVert^2 / (2\sigma^2))`. At most
    ``max_samples`` pooled rows (drawn without replacement) are used, so the cost is
    bounded for any sample size.

    Examples
    --------
    >>> import numpy as np
    >>> median_heuristic(np.array([[0.0], [1.0], [3.0]]))
    2.0
    """
    X = np.vstack(arrays)
    if X.shape[0] > max_samples:
        rng = check_random_state(random_state)
        X = X[rng.choice(X.shape[0], max_samples, replace=False)]
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    iu = np.triu_indices(X.shape[0], k=1)
    dist = np.sqrt(np.maximum(d2[iu], 0.0))
    med = float(np.median(dist))
    if med <= 0:
        positive = dist[dist > 0]
        med = float(np.median(positive)) if positive.size else 1.0
    return med


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
