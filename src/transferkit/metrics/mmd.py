r"""Maximum mean discrepancy (Gretton et al., JMLR 2012).

The squared MMD between distributions :math:`P` and :math:`Q` in the RKHS of a kernel
:math:`k` is

.. math::
    \mathrm{MMD}^2(P, Q) = \mathbb{E}\,k(x, x') + \mathbb{E}\,k(y, y') - 2\,\mathbb{E}\,k(x, y),
    \qquad x, x' \sim P,\; y, y' \sim Q .

Three estimators from samples :math:`X = (x_i)_{i \le m}`, :math:`Y = (y_j)_{j \le n}`:

* ``"biased"`` (V-statistic): all pairs, diagonal included,
  :math:`\frac{1}{m^2}\sum_{i,i'} k(x_i,x_{i'}) + \frac{1}{n^2}\sum_{j,j'} k(y_j,y_{j'})
  - \frac{2}{mn}\sum_{i,j} k(x_i,y_j)`;
* ``"unbiased"`` (U-statistic): the same without the diagonal terms, normalised by
  :math:`m(m-1)` and :math:`n(n-1)`; its expectation is exactly :math:`\mathrm{MMD}^2`;
* ``"linear"``: the linear-time statistic of Gretton et al. (2012, Lemma 14) on
  :math:`\lfloor \min(m, n)/2\rfloor` disjoint pairs,
  :math:`\frac{1}{p}\sum_{l} k(x_{2l-1},x_{2l}) + k(y_{2l-1},y_{2l}) - k(x_{2l-1},y_{2l})
  - k(x_{2l},y_{2l-1})`, asymptotically normal.

Kernels: ``"linear"`` (:math:`x^\top y`; MMD² is then the squared distance between the
means, computed exactly in :math:`O(nd)`), ``"gaussian"``
(:math:`\exp(-\lVert x-y\rVert^2 / 2\sigma^2)`, :math:`\sigma` by the median heuristic
unless given) and ``"multi"`` (the mean of five Gaussian kernels with
:math:`\sigma^2 \in \sigma_0^2\,\{1/4, 1/2, 1, 2, 4\}`, as in multi-kernel MMD, Long et al.
ICML 2015, with equal weights).

Gaussian sums are computed block by block (:mod:`transferkit.metrics._blockwise`), so
100,000 x 100,000 samples need memory for a few tiles only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial.distance import pdist

from transferkit._validation import (
    check_memory,
    check_option,
    check_positive,
    check_random_state,
)
from transferkit.metrics._blockwise import kernel_matrix, pairwise_sum
from transferkit.metrics._common import (
    check_block,
    check_pair,
    check_precision,
    positive_or_raise,
)

__all__ = ["MMDTestResult", "median_heuristic", "mmd2", "mmd_test", "kernel_gammas"]

_KERNELS = ("gaussian", "multi", "linear")
_ESTIMATORS = ("unbiased", "biased", "linear")
_MULTI_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


def median_heuristic(
    X: Any,
    Y: Any | None = None,
    *,
    max_samples: int = 1000,
    random_state: Any = None,
    param: str = "bandwidth",
) -> float:
    r"""Median pairwise Euclidean distance of the pooled sample (Gretton et al. 2012).

    At most ``max_samples`` pooled rows, drawn at random, are used.

    Parameters
    ----------
    X, Y : array-like of shape (n, d)
        The samples (``Y`` optional).
    max_samples : int
        Subsample size for the median.
    random_state : int, RandomState or None
        Seed of the subsample.
    param : str
        Name of the caller's kernel-width parameter, named in the error raised when all
        samples coincide (``"bandwidth"`` for the MMD functions, ``"sigma"`` for the
        kernel weighters).

    Returns
    -------
    float
        :math:`\sigma = \operatorname{median}_{i<j} \lVert z_i - z_j\rVert`.

    Examples
    --------
    >>> import numpy as np
    >>> median_heuristic(np.array([[0.0], [1.0], [3.0]]))
    2.0
    """
    if Y is None:
        from transferkit._validation import check_matrix

        Z = check_matrix(X, "X", min_samples=2)
    else:
        Xa, Ya = check_pair(X, Y, min_samples=1)
        Z = np.vstack([Xa, Ya])
    check_positive("max_samples", max_samples, integer=True)
    if Z.shape[0] > max_samples:
        rng = check_random_state(random_state)
        Z = Z[rng.choice(Z.shape[0], size=max_samples, replace=False)]
    d = pdist(Z)
    median = float(np.median(d))
    if median <= 0:  # mostly duplicated rows: the median of the distinct pairs
        positive = d[d > 0]
        median = float(np.median(positive)) if positive.size else 0.0
    return positive_or_raise(
        median,
        "the median pairwise distance",
        f"the samples are (almost) all identical; pass {param}= explicitly.",
    )


def kernel_gammas(kernel: str, sigma: float) -> tuple[float, ...]:
    r"""Inverse widths :math:`\gamma = 1/(2\sigma^2)` of the Gaussian kernel(s)."""
    if kernel == "gaussian":
        return (1.0 / (2.0 * sigma**2),)
    return tuple(1.0 / (2.0 * sigma**2 * f) for f in _MULTI_FACTORS)


def _resolve_kernel(
    Xa: np.ndarray, Ya: np.ndarray, kernel: str, bandwidth: Any, random_state: Any
) -> tuple[float, ...]:
    check_option("kernel", kernel, _KERNELS)
    if kernel == "linear":
        return ()
    if bandwidth is None:
        sigma = median_heuristic(Xa, Ya, random_state=random_state)
    else:
        sigma = float(check_positive("bandwidth", bandwidth))
    return kernel_gammas(kernel, sigma)


def _linear_kernel_mmd(Xa: np.ndarray, Ya: np.ndarray, estimator: str) -> float:
    m, n = Xa.shape[0], Ya.shape[0]
    sx, sy = Xa.sum(0), Ya.sum(0)
    if estimator == "biased":
        diff = sx / m - sy / n
        return float(diff @ diff)
    kxx = (sx @ sx - np.einsum("ij,ij->", Xa, Xa)) / (m * (m - 1))
    kyy = (sy @ sy - np.einsum("ij,ij->", Ya, Ya)) / (n * (n - 1))
    return float(kxx + kyy - 2.0 * (sx @ sy) / (m * n))


def _linear_time_terms(
    Xa: np.ndarray, Ya: np.ndarray, gammas: tuple[float, ...], rng: np.random.RandomState
) -> np.ndarray:
    """The i.i.d. terms :math:`h_l` of the linear-time estimator."""
    p = min(Xa.shape[0], Ya.shape[0]) // 2
    xi = rng.permutation(Xa.shape[0])[: 2 * p]
    yi = rng.permutation(Ya.shape[0])[: 2 * p]
    x1, x2 = Xa[xi[0::2]], Xa[xi[1::2]]
    y1, y2 = Ya[yi[0::2]], Ya[yi[1::2]]

    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not gammas:
            return np.einsum("ij,ij->i", a, b)
        d2 = np.einsum("ij,ij->i", a - b, a - b)
        return np.mean([np.exp(-g * d2) for g in gammas], axis=0)

    return k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)


def mmd2(
    X: Any,
    Y: Any,
    *,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    estimator: str = "unbiased",
    block_size: int = 2048,
    n_jobs: int | None = None,
    dtype: Any = "float64",
    random_state: Any = None,
    verbose: bool = False,
) -> float:
    r"""Squared maximum mean discrepancy between two samples.

    See the module docstring for the estimators and kernels. Gaussian sums are
    accumulated block by block and never form an ``m x n`` matrix.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (m, d)
        Sample of the first domain (e.g. source).
    Y : array-like or torch.Tensor of shape (n, d)
        Sample of the second domain (e.g. target).
    kernel : {"gaussian", "multi", "linear"}
        Kernel; ``"multi"`` averages five Gaussian widths around ``bandwidth``.
    bandwidth : float, optional
        :math:`\sigma` of the Gaussian kernel; the median heuristic when omitted.
    estimator : {"unbiased", "biased", "linear"}
        U-statistic, V-statistic or linear-time statistic.
    block_size : int
        Tile side of the block-wise sums.
    n_jobs : int, optional
        Worker threads for the block-wise sums (``-1`` = all CPUs).
    dtype : {"float64", "float32"}
        Precision of the kernel tiles; float32 is about twice as fast.
    random_state : int, RandomState or None
        Seeds the median-heuristic subsample and the pairing of the linear-time
        estimator.
    verbose : bool
        Show a progress bar over the kernel blocks.

    Returns
    -------
    float
        The estimate of :math:`\mathrm{MMD}^2` (the unbiased and linear-time estimates can
        be slightly negative when the distributions are equal).

    References
    ----------
    A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf, A. Smola. *A Kernel Two-Sample
    Test.* JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import mmd2
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); Y = rng.normal(size=(200, 3)) + [1.0, 0.0, 0.0]
    >>> round(mmd2(X, Y, kernel="linear", estimator="biased"), 4) == round(
    ...     float(np.sum((X.mean(0) - Y.mean(0)) ** 2)), 4)
    True
    >>> mmd2(X, Y, random_state=0) > mmd2(X, rng.normal(size=(200, 3)), random_state=0)
    True
    """
    check_option("estimator", estimator, _ESTIMATORS)
    precision = check_precision(dtype)
    block = check_block(block_size)
    blockwise = kernel != "linear" and estimator != "linear"
    Xa, Ya = check_pair(X, Y, min_samples=2, dtype=precision if blockwise else np.float64)
    gammas = _resolve_kernel(Xa, Ya, kernel, bandwidth, random_state)
    if estimator == "linear":
        rng = check_random_state(random_state)
        return float(_linear_time_terms(Xa, Ya, gammas, rng).mean())
    if kernel == "linear":
        return _linear_kernel_mmd(Xa, Ya, estimator)
    opts = dict(kind="gaussian", gammas=gammas, block_size=block, n_jobs=n_jobs, dtype=precision)
    m, n = Xa.shape[0], Ya.shape[0]
    sxx = pairwise_sum(Xa, None, verbose=verbose, **opts)
    syy = pairwise_sum(Ya, None, verbose=verbose, **opts)
    sxy = pairwise_sum(Xa, Ya, verbose=verbose, **opts)
    if estimator == "biased":
        return float(sxx / m**2 + syy / n**2 - 2.0 * sxy / (m * n))
    # Gaussian kernels equal 1 on the diagonal.
    return float((sxx - m) / (m * (m - 1)) + (syy - n) / (n * (n - 1)) - 2.0 * sxy / (m * n))


@dataclass
class MMDTestResult:
    """Result of :func:`mmd_test`.

    Attributes
    ----------
    statistic : float
        The observed MMD² estimate.
    p_value : float
        Permutation p-value :math:`(1 + \\#\\{T_b \\ge T\\}) / (1 + B)` (or, for the
        linear-time estimator, the one-sided normal p-value).
    null_distribution : ndarray or None
        The permuted statistics :math:`T_b`.
    bandwidth : float or None
        :math:`\\sigma` used (None for the linear kernel).
    """

    statistic: float
    p_value: float
    null_distribution: np.ndarray | None
    bandwidth: float | None


def _statistics_from_kernel(
    K: np.ndarray, diag: np.ndarray, U: np.ndarray, m: int, n: int, estimator: str
) -> np.ndarray:
    """MMD² for each column of the 0/1 group-indicator matrix ``U`` (1 = first sample)."""
    V = 1.0 - U
    KU = K @ U
    sxx = np.einsum("ij,ij->j", U, KU)
    sxy = np.einsum("ij,ij->j", V, KU)
    syy = np.einsum("ij,ij->j", V, K @ V)
    if estimator == "biased":
        return sxx / m**2 + syy / n**2 - 2.0 * sxy / (m * n)
    dx, dy = diag @ U, diag @ V
    return (sxx - dx) / (m * (m - 1)) + (syy - dy) / (n * (n - 1)) - 2.0 * sxy / (m * n)


def permutation_test(
    K: np.ndarray,
    diag: np.ndarray,
    m: int,
    n: int,
    estimator: str,
    n_permutations: int,
    rng: np.random.RandomState,
    chunk: int = 64,
) -> tuple[float, float, np.ndarray]:
    """Observed statistic, permutation p-value and null sample from a pooled kernel.

    The first ``m`` rows of ``K`` belong to the first sample. The p-value is
    :math:`(1 + \\#\\{T_b \\ge T\\}) / (1 + B)`, valid at every ``B``.
    """
    N = m + n
    observed = np.zeros((N, 1))
    observed[:m, 0] = 1.0
    stat = float(_statistics_from_kernel(K, diag, observed, m, n, estimator)[0])
    null = np.empty(n_permutations)
    for start in range(0, n_permutations, chunk):
        b = min(chunk, n_permutations - start)
        U = np.zeros((N, b))
        for c in range(b):
            U[rng.permutation(N)[:m], c] = 1.0
        null[start : start + b] = _statistics_from_kernel(K, diag, U, m, n, estimator)
    p = float((1 + np.sum(null >= stat)) / (1 + n_permutations))
    return stat, p, null


def mmd_test(
    X: Any,
    Y: Any,
    *,
    kernel: str = "gaussian",
    bandwidth: float | None = None,
    estimator: str = "unbiased",
    n_permutations: int = 500,
    random_state: Any = None,
) -> MMDTestResult:
    r"""Two-sample test of :math:`H_0: P = Q` with the MMD statistic.

    For the ``"unbiased"`` and ``"biased"`` estimators the null distribution is obtained
    by randomly re-assigning the pooled samples to the two groups ``n_permutations``
    times; the kernel matrix of the pooled sample is computed once, so memory grows as
    :math:`(m+n)^2` (checked against the available memory). The ``"linear"`` estimator
    uses its asymptotic normal null, :math:`\sqrt{p}\,\hat{\mathrm{MMD}}^2_l / \hat s
    \to N(0, 1)`, and scales to any sample size.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        The two samples.
    kernel, bandwidth, estimator :
        As in :func:`mmd2`. The bandwidth is fixed from the pooled sample before
        permuting.
    n_permutations : int
        Number of random re-assignments :math:`B`.
    random_state : int, RandomState or None
        Seeds the permutations, the median heuristic and the linear-time pairing.

    Returns
    -------
    MMDTestResult

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import mmd_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); Y = rng.normal(size=(100, 2)) + 0.8
    >>> mmd_test(X, Y, n_permutations=200, random_state=0).p_value < 0.01
    True
    """
    check_option("estimator", estimator, _ESTIMATORS)
    check_positive("n_permutations", n_permutations, integer=True)
    Xa, Ya = check_pair(X, Y, min_samples=2)
    rng = check_random_state(random_state)
    gammas = _resolve_kernel(Xa, Ya, kernel, bandwidth, rng)
    sigma = None if not gammas else float(np.sqrt(1.0 / (2.0 * gammas[len(gammas) // 2])))
    m, n = Xa.shape[0], Ya.shape[0]
    if estimator == "linear":
        h = _linear_time_terms(Xa, Ya, gammas, rng)
        stat = float(h.mean())
        sd = float(h.std(ddof=1))
        p = 1.0 if sd == 0 else float(stats.norm.sf(stat / (sd / np.sqrt(h.size))))
        return MMDTestResult(stat, p, None, sigma)
    N = m + n
    check_memory(
        8.0 * N * N * 2,
        f"the {N} x {N} pooled kernel matrix of the permutation test",
        suggestion="mmd_test(..., estimator='linear') (asymptotic test, linear time), or "
        "subsample X and Y",
    )
    Z = np.vstack([Xa, Ya])
    K = Z @ Z.T if not gammas else kernel_matrix(Z, Z, kind="gaussian", gammas=gammas)
    diag = np.diag(K).copy()
    stat, p, null = permutation_test(K, diag, m, n, estimator, n_permutations, rng)
    return MMDTestResult(stat, p, null, sigma)
