r"""Moment and energy distances between two samples.

* :func:`coral_distance`: the CORAL loss of Sun & Saenko (ECCV-W 2016),
  :math:`\frac{1}{4d^2}\lVert C_X - C_Y\rVert_F^2` between the feature covariances.
* :func:`energy_distance`: Székely & Rizzo's energy distance,

  .. math::
      \mathcal{E}^2(P, Q) = 2\,\mathbb{E}\lVert x - y\rVert - \mathbb{E}\lVert x - x'\rVert
      - \mathbb{E}\lVert y - y'\rVert ,

  estimated with V-statistics (all pairs, as :func:`scipy.stats.energy_distance` does in
  one dimension) and computed block by block. It equals the biased MMD² with the
  (conditionally positive definite) kernel :math:`-\lVert x - y\rVert`, so
  :func:`energy_test` re-uses the MMD permutation machinery.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import check_memory, check_positive, check_random_state
from transferkit.metrics._blockwise import kernel_matrix, pairwise_sum
from transferkit.metrics._common import check_block, check_pair
from transferkit.metrics.mmd import MMDTestResult, permutation_test

__all__ = ["coral_distance", "energy_distance", "energy_test"]


def coral_distance(X: Any, Y: Any) -> float:
    r"""CORAL distance :math:`\frac{1}{4d^2}\lVert C_X - C_Y\rVert_F^2`.

    Covariances use ``ddof=1``.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)

    Returns
    -------
    float

    References
    ----------
    B. Sun, K. Saenko. *Deep CORAL: Correlation Alignment for Deep Domain Adaptation.*
    ECCV Workshops 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import coral_distance
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0]])   # covariance diag(2, 0)
    >>> Y = np.array([[0.0, 0.0], [0.0, 2.0]])   # covariance diag(0, 2)
    >>> coral_distance(X, Y)                     # (4 + 4) / (4 * 4)
    0.5
    """
    Xa, Ya = check_pair(X, Y, min_samples=2)
    d = Xa.shape[1]
    diff = np.atleast_2d(np.cov(Xa, rowvar=False)) - np.atleast_2d(np.cov(Ya, rowvar=False))
    return float(np.sum(diff * diff) / (4.0 * d * d))


def energy_distance(
    X: Any,
    Y: Any,
    *,
    squared: bool = False,
    block_size: int = 2048,
    n_jobs: int | None = None,
) -> float:
    r"""Energy distance :math:`\mathcal{E}(P, Q)` (V-statistic), block-wise.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        The samples.
    squared : bool
        Return :math:`\mathcal{E}^2` instead of :math:`\mathcal{E}`.
    block_size : int
        Tile side of the block-wise sums.
    n_jobs : int, optional
        Worker threads (``-1`` = all CPUs).

    Returns
    -------
    float

    References
    ----------
    G. J. Székely, M. L. Rizzo. *Energy statistics: A class of statistics based on
    distances.* J. Stat. Plan. Inference 143(8), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import energy_distance as scipy_energy
    >>> from transferkit.metrics import energy_distance
    >>> x, y = np.array([0.0, 1.0, 3.0]), np.array([2.0, 5.0])
    >>> bool(np.isclose(energy_distance(x[:, None], y[:, None]), scipy_energy(x, y)))
    True
    """
    block = check_block(block_size)
    Xa, Ya = check_pair(X, Y, min_samples=1)
    m, n = Xa.shape[0], Ya.shape[0]
    opts = dict(kind="euclidean", block_size=block, n_jobs=n_jobs)
    sxy = pairwise_sum(Xa, Ya, **opts)
    sxx = pairwise_sum(Xa, None, **opts)
    syy = pairwise_sum(Ya, None, **opts)
    e2 = max(2.0 * sxy / (m * n) - sxx / m**2 - syy / n**2, 0.0)
    return e2 if squared else float(np.sqrt(e2))


def energy_test(
    X: Any, Y: Any, *, n_permutations: int = 500, random_state: Any = None
) -> MMDTestResult:
    r"""Permutation two-sample test with the squared energy distance as statistic.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        The samples; the pooled :math:`(m+n)^2` distance matrix is formed once.
    n_permutations : int
        Number of random re-assignments.
    random_state : int, RandomState or None
        Seeds the permutations.

    Returns
    -------
    MMDTestResult
        ``statistic`` is :math:`\mathcal{E}^2`; ``bandwidth`` is None.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import energy_test
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(80, 2)), rng.normal(size=(80, 2)) + 1.0
    >>> energy_test(X, Y, n_permutations=200, random_state=0).p_value < 0.01
    True
    """
    check_positive("n_permutations", n_permutations, integer=True)
    Xa, Ya = check_pair(X, Y, min_samples=1)
    rng = check_random_state(random_state)
    m, n = Xa.shape[0], Ya.shape[0]
    N = m + n
    check_memory(
        8.0 * N * N * 2,
        f"the {N} x {N} pooled distance matrix of the permutation test",
        suggestion="subsample X and Y, or use energy_distance() without a p-value",
    )
    Z = np.vstack([Xa, Ya])
    K = -kernel_matrix(Z, Z, kind="euclidean")
    diag = np.zeros(N)
    stat, p, null = permutation_test(K, diag, m, n, "biased", n_permutations, rng)
    return MMDTestResult(stat, p, null, None)
