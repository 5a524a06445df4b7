r"""Optimal-transport distances between two samples (computed with POT).

With uniform weights on the :math:`m` and :math:`n` samples and ground cost
:math:`c(x, y) = \lVert x - y\rVert^p`,

.. math::
    W_p(P, Q) = \Big(\min_{\pi \in \Pi(a, b)} \sum_{i,j} \pi_{ij}\,
    \lVert x_i - y_j\rVert^p\Big)^{1/p}

is the exact Wasserstein distance (network simplex, ``ot.emd2``). The Sinkhorn version
adds the entropic term :math:`\varepsilon \sum_{ij} \pi_{ij} \log \pi_{ij}` to the
objective (Cuturi, NIPS 2013) and reports the transport cost of the regularised plan
(``ot.sinkhorn2``). Both need the :math:`m \times n` cost matrix, so large samples are
randomly subsampled to ``max_samples`` rows per domain.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from transferkit._validation import (
    check_memory,
    check_option,
    check_positive,
    check_random_state,
)
from transferkit.metrics._common import check_pair

__all__ = ["sinkhorn_distance", "wasserstein_distance"]


def _prepare(X, Y, p, max_samples, random_state):
    check_option("p", p, (1, 2))
    check_positive("max_samples", max_samples, integer=True)
    Xa, Ya = check_pair(X, Y, min_samples=1)
    rng = check_random_state(random_state)
    if Xa.shape[0] > max_samples:
        Xa = Xa[rng.choice(Xa.shape[0], max_samples, replace=False)]
    if Ya.shape[0] > max_samples:
        Ya = Ya[rng.choice(Ya.shape[0], max_samples, replace=False)]
    check_memory(
        8.0 * Xa.shape[0] * Ya.shape[0] * 3,
        f"the {Xa.shape[0]} x {Ya.shape[0]} transport cost matrix",
        suggestion="a smaller max_samples",
    )
    import ot

    M = ot.dist(Xa, Ya, metric="sqeuclidean" if p == 2 else "euclidean")
    a = np.full(Xa.shape[0], 1.0 / Xa.shape[0])
    b = np.full(Ya.shape[0], 1.0 / Ya.shape[0])
    return a, b, M


def wasserstein_distance(
    X: Any, Y: Any, *, p: int = 2, max_samples: int = 3000, random_state: Any = None
) -> float:
    r"""Exact :math:`W_p` between the empirical distributions (POT network simplex).

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        The samples.
    p : {1, 2}
        Order of the distance (ground cost :math:`\lVert x-y\rVert^p`).
    max_samples : int
        Rows kept per domain (random subsample above it).
    random_state : int, RandomState or None
        Seeds the subsample.

    Returns
    -------
    float

    References
    ----------
    R. Flamary et al. *POT: Python Optimal Transport.* JMLR 22(78), 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import wasserstein_distance
    >>> X = np.array([[0.0], [1.0]]); Y = X + 3.0
    >>> wasserstein_distance(X, Y)
    3.0
    """
    import ot

    a, b, M = _prepare(X, Y, p, max_samples, random_state)
    cost = float(ot.emd2(a, b, M, numItermax=10_000_000))
    return max(cost, 0.0) ** (1.0 / p)


def sinkhorn_distance(
    X: Any,
    Y: Any,
    *,
    reg: float = 0.01,
    p: int = 2,
    max_samples: int = 3000,
    max_iter: int = 2000,
    random_state: Any = None,
) -> float:
    r"""Entropic (Sinkhorn) approximation of :math:`W_p` (POT).

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        The samples.
    reg : float
        Entropic regularisation relative to the largest ground cost:
        :math:`\varepsilon = \text{reg} \cdot \max_{ij} c(x_i, y_j)`, so the same value
        works whatever the scale of the features (and the Gibbs kernel
        :math:`e^{-c/\varepsilon} \ge e^{-1/\text{reg}}` cannot underflow for
        ``reg >= 0.002``; smaller values switch to the slower log-domain solver).
    p : {1, 2}
        Order (ground cost :math:`\lVert x-y\rVert^p`).
    max_samples : int
        Rows kept per domain (random subsample above it).
    max_iter : int
        Maximum Sinkhorn iterations.
    random_state : int, RandomState or None
        Seeds the subsample.

    Returns
    -------
    float
        :math:`\langle \pi_\varepsilon, C\rangle^{1/p}` for the regularised plan
        :math:`\pi_\varepsilon`; it converges to :func:`wasserstein_distance` as
        ``reg`` goes to 0.

    References
    ----------
    M. Cuturi. *Sinkhorn Distances: Lightspeed Computation of Optimal Transport.*
    NIPS 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import sinkhorn_distance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> round(sinkhorn_distance(X, X + [5.0, 0.0], reg=0.002), 1)
    5.0
    """
    import ot

    check_positive("reg", reg)
    check_positive("max_iter", max_iter, integer=True)
    a, b, M = _prepare(X, Y, p, max_samples, random_state)
    scale = float(M.max())
    if scale <= 0:
        return 0.0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", UserWarning)  # POT warns on non-convergence
        plan = ot.sinkhorn(a, b, M / scale, reg, numItermax=max_iter)
        if not np.all(np.isfinite(plan)) or plan.sum() < 0.5:
            # Kernel underflow: fall back to the slower log-domain iterations.
            plan = ot.sinkhorn(a, b, M / scale, reg, method="sinkhorn_log", numItermax=max_iter)
    cost = float(np.sum(plan * M))
    return max(cost, 0.0) ** (1.0 / p)
