r"""Kullback-Leibler divergence between two samples.

Two estimators of :math:`D_{KL}(P \,\Vert\, Q) = \int p \log (p / q)`:

* :func:`kl_divergence_knn`, the k-nearest-neighbour estimator of Wang, Kulkarni & Verdú
  (2009) (for :math:`k = 1` the estimator of Pérez-Cruz, 2008). With :math:`n` samples
  :math:`x_i \sim P` and :math:`m` samples :math:`y_j \sim Q` in :math:`\mathbb{R}^d`,

  .. math::
      \hat D_k(P \Vert Q) = \frac{d}{n} \sum_{i=1}^n \log \frac{\nu_k(i)}{\rho_k(i)}
      + \log \frac{m}{n - 1},

  where :math:`\rho_k(i)` is the distance from :math:`x_i` to its k-th nearest neighbour
  among the other :math:`x`'s and :math:`\nu_k(i)` the distance to its k-th nearest
  neighbour among the :math:`y`'s. It is consistent without any density model, but its
  variance grows with :math:`d`; it is a useful *ranking* quantity in high dimension.
* :func:`gaussian_kl`, the closed form between the Gaussian fits
  :math:`N(\mu_P, \Sigma_P)` and :math:`N(\mu_Q, \Sigma_Q)`,

  .. math::
      \tfrac12\Big[\operatorname{tr}(\Sigma_Q^{-1}\Sigma_P)
      + (\mu_Q - \mu_P)^\top \Sigma_Q^{-1} (\mu_Q - \mu_P) - d
      + \log\frac{\det \Sigma_Q}{\det \Sigma_P}\Big].

Both are asymmetric: pass ``symmetric=True`` for :math:`D(P\Vert Q) + D(Q \Vert P)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma
from sklearn.neighbors import NearestNeighbors

from transferkit._validation import TransferKitInputError, check_positive
from transferkit.metrics._common import check_pair

__all__ = ["gaussian_kl", "kl_divergence_knn"]


def _duplicate_counts(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """For each row of ``A``, how many rows of ``B`` are identical to it."""
    rows_b, counts_b = np.unique(B, axis=0, return_counts=True)
    lookup = {row.tobytes(): int(c) for row, c in zip(rows_b, counts_b, strict=True)}
    return np.array([lookup.get(row.tobytes(), 0) for row in A], dtype=int)


def _knn_kl(Xa: np.ndarray, Ya: np.ndarray, k: int) -> float:
    n, d = Xa.shape
    m = Ya.shape[0]
    if n <= k or m < k:
        raise TransferKitInputError(
            f"kl_divergence_knn with k={k} needs more than k samples in X (got {n}) and at "
            f"least k in Y (got {m}); lower k or pass more samples."
        )
    Xa = np.ascontiguousarray(Xa, dtype=np.float64)
    Ya = np.ascontiguousarray(Ya, dtype=np.float64)
    # ties: exact duplicates are at distance 0, so the k-th neighbour is taken among the
    # distinct points (k_i = k + duplicates of x_i in X, l_i = k + copies of x_i in Y) and
    # the digamma term of Wang, Kulkarni & Verdu (2009, eq. 17) keeps the estimate
    # consistent for these adaptive orders
    k_i = k + _duplicate_counts(Xa, Xa) - 1
    l_i = k + _duplicate_counts(Xa, Ya)
    if np.any(k_i > n - 1) or np.any(l_i > m):
        raise TransferKitInputError(
            "kl_divergence_knn: some sample has fewer than k distinct neighbours (X or Y is "
            "made of repeated rows); remove duplicates, lower k or pass more samples."
        )
    dist_x = NearestNeighbors(n_neighbors=int(k_i.max()) + 1).fit(Xa).kneighbors(Xa)[0]
    dist_y = NearestNeighbors(n_neighbors=int(l_i.max())).fit(Ya).kneighbors(Xa)[0]
    rho = dist_x[np.arange(n), k_i]
    nu = dist_y[np.arange(n), l_i - 1]
    if np.any(rho <= 0) or np.any(nu <= 0):  # pragma: no cover - rounding of near-ties
        keep = (rho > 0) & (nu > 0)
        rho, nu, k_i, l_i = rho[keep], nu[keep], k_i[keep], l_i[keep]
    ratio = d * np.mean(np.log(nu / rho))
    return float(ratio + np.mean(digamma(l_i) - digamma(k_i)) + np.log(m / (n - 1)))


def kl_divergence_knn(X: Any, Y: Any, *, k: int = 1, symmetric: bool = False) -> float:
    r"""k-nearest-neighbour estimate of :math:`D_{KL}(P\Vert Q)` from samples.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n, d)
        Sample of :math:`P`.
    Y : array-like or torch.Tensor of shape (m, d)
        Sample of :math:`Q`.
    k : int
        Neighbour order (1 = Pérez-Cruz 2008).
    symmetric : bool
        Return :math:`D(P\Vert Q) + D(Q\Vert P)`.

    Returns
    -------
    float
        The estimate in nats. It is consistent (and asymptotically unbiased) but not
        unbiased in finite samples, and its error grows with the dimension: the
        log-ratio of distances is multiplied by ``d``. It can therefore be **negative**,
        especially for close distributions in many dimensions; read it together with a
        bootstrap interval (:func:`transferkit.metrics.domain_distances`).

    Notes
    -----
    Exact duplicate rows are at distance 0. Rather than dropping them, the k-th
    neighbour of :math:`x_i` is taken among the points distinct from it: with
    :math:`t_i` copies of :math:`x_i` among the other :math:`x`'s and :math:`u_i`
    among the :math:`y`'s, the orders become :math:`k_i = k + t_i` and
    :math:`l_i = k + u_i`, and the estimate is the general form of Wang et al. (2009),

    .. math::
        \frac{d}{n}\sum_i \log\frac{\nu_{l_i}(i)}{\rho_{k_i}(i)}
        + \frac1n\sum_i \bigl[\psi(l_i) - \psi(k_i)\bigr] + \log\frac{m}{n-1},

    which equals the formula above when there are no ties.

    References
    ----------
    Q. Wang, S. R. Kulkarni, S. Verdú. *Divergence Estimation for Multidimensional
    Densities Via k-Nearest-Neighbor Distances.* IEEE Trans. Inf. Theory 55(5), 2009.
    F. Pérez-Cruz. *Kullback-Leibler Divergence Estimation of Continuous
    Distributions.* ISIT 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import kl_divergence_knn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(0.0, 1.0, size=(4000, 1)); Y = rng.normal(1.0, 1.0, size=(4000, 1))
    >>> abs(kl_divergence_knn(X, Y, k=5) - 0.5) < 0.1   # closed form: (1 - 0)^2 / 2
    True
    """
    check_positive("k", k, integer=True)
    Xa, Ya = check_pair(X, Y, min_samples=2)
    value = _knn_kl(Xa, Ya, int(k))
    if symmetric:
        value += _knn_kl(Ya, Xa, int(k))
    return value


def _gaussian_fit(Z: np.ndarray, reg: float) -> tuple[np.ndarray, np.ndarray]:
    cov = np.atleast_2d(np.cov(Z, rowvar=False)) + reg * np.eye(Z.shape[1])
    return Z.mean(0), cov


def _cholesky_pair(cov_p: np.ndarray, cov_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        return np.linalg.cholesky(cov_p), np.linalg.cholesky(cov_q)
    except np.linalg.LinAlgError as exc:
        raise TransferKitInputError(
            "a covariance is singular (more features than samples, or constant features); "
            "pass reg > 0 (e.g. reg=1e-3) to gaussian_kl."
        ) from exc


def _kl_gauss(mu_p, cov_p, mu_q, cov_q) -> float:
    d = mu_p.shape[0]
    chol_p, chol_q = _cholesky_pair(cov_p, cov_q)
    solve = np.linalg.solve
    a = solve(chol_q, chol_p)
    diff = solve(chol_q, mu_q - mu_p)
    logdet = 2.0 * (np.log(np.diag(chol_q)).sum() - np.log(np.diag(chol_p)).sum())
    return float(0.5 * (np.sum(a * a) + diff @ diff - d + logdet))


def _expected_logdet_offset(n: int, d: int) -> float:
    r""":math:`\mathbb E\log\det S - \log\det\Sigma` for the covariance ``S`` (ddof=1)
    of ``n`` Gaussian samples in ``d`` dimensions (Wishart with ``n - 1`` degrees)."""
    i = np.arange(1, d + 1)
    return float(np.sum(digamma((n - i) / 2.0)) + d * np.log(2.0 / (n - 1)))


def _kl_gauss_unbiased(Xa: np.ndarray, Ya: np.ndarray, reg: float) -> float:
    n, d = Xa.shape
    m = Ya.shape[0]
    if n <= d + 1 or m <= d + 2:
        raise TransferKitInputError(
            f"gaussian_kl(bias_correction=True) needs more samples than features + 2 in Y "
            f"and + 1 in X (got n_X={n}, n_Y={m}, d={d}); pass bias_correction=False (the "
            "regularised plug-in estimate) or more samples."
        )
    mu_p, cov_p = _gaussian_fit(Xa, reg)
    mu_q, cov_q = _gaussian_fit(Ya, reg)
    chol_p, chol_q = _cholesky_pair(cov_p, cov_q)
    solve = np.linalg.solve
    a = solve(chol_q, chol_p)
    diff = solve(chol_q, mu_q - mu_p)
    c = (m - d - 2.0) / (m - 1.0)  # c S_Q^{-1} is unbiased for Sigma_Q^{-1}
    trace = c * float(np.sum(a * a))
    # E[mean difference outer product] = delta delta^T + Sigma_P / n + Sigma_Q / m
    maha = c * float(diff @ diff) - trace / n - d / m
    logdet_q = 2.0 * np.log(np.diag(chol_q)).sum() - _expected_logdet_offset(m, d)
    logdet_p = 2.0 * np.log(np.diag(chol_p)).sum() - _expected_logdet_offset(n, d)
    return float(0.5 * (trace + maha - d + logdet_q - logdet_p))


def gaussian_kl(
    X: Any, Y: Any, *, reg: float = 1e-6, symmetric: bool = False, bias_correction: bool = False
) -> float:
    r"""KL divergence between Gaussian fits of the two samples (closed form).

    Means and covariances (``ddof=1``) are estimated from the samples and
    ``reg`` is added to both covariance diagonals.

    The plug-in estimate is biased upwards, by roughly :math:`d^2/4` over the sample
    size (the sample covariance's small eigenvalues are too small), which matters as
    soon as :math:`d` is not small next to the sample sizes. With
    ``bias_correction=True`` every term is replaced by its unbiased version under
    Gaussian sampling (:math:`n` samples of :math:`P`, :math:`m` of :math:`Q`,
    :math:`\psi` the digamma function):

    .. math::
        \widehat{\Sigma_Q^{-1}} = \tfrac{m-d-2}{m-1} S_Q^{-1},\quad
        \widehat{\log\det\Sigma} = \log\det S - \sum_{i=1}^{d}
        \psi\bigl(\tfrac{N-i}{2}\bigr) - d\log\tfrac{2}{N-1},

    and the squared Mahalanobis distance of the means loses its expected excess
    :math:`\operatorname{tr}(\Sigma_Q^{-1}\Sigma_P)/n + d/m`. The result is unbiased
    for Gaussian data (it needs :math:`m > d + 2`, :math:`n > d + 1`) and may be
    slightly negative when the distributions are close.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (n, d) and (m, d)
        Samples of :math:`P` and :math:`Q`.
    reg : float
        Ridge added to both covariances (needed when ``d`` approaches the sample size).
    symmetric : bool
        Return :math:`D(P\Vert Q) + D(Q \Vert P)`.
    bias_correction : bool
        Return the estimate that is unbiased for Gaussian samples (use ``reg=0``).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import gaussian_kl
    >>> X = np.array([[-1.0], [1.0]]); Y = np.array([[0.0], [2.0]])  # N(0, 2) vs N(1, 2)
    >>> round(gaussian_kl(X, Y, reg=0.0), 6)   # (0 - 1)^2 / (2 * 2)
    0.25
    >>> rng = np.random.default_rng(0)   # 20-D N(0, I) vs N(0.3, I): KL = 20 * 0.3**2 / 2
    >>> X, Y = rng.normal(size=(300, 20)), rng.normal(0.3, 1.0, size=(300, 20))
    >>> round(gaussian_kl(X, Y), 2), round(gaussian_kl(X, Y, reg=0, bias_correction=True), 2)
    (1.81, 0.92)
    """
    check_positive("reg", reg, strict=False)
    Xa, Ya = check_pair(X, Y, min_samples=2)
    if bias_correction:
        value = _kl_gauss_unbiased(Xa, Ya, reg)
        if symmetric:
            value += _kl_gauss_unbiased(Ya, Xa, reg)
        return value
    mu_p, cov_p = _gaussian_fit(Xa, reg)
    mu_q, cov_q = _gaussian_fit(Ya, reg)
    value = _kl_gauss(mu_p, cov_p, mu_q, cov_q)
    if symmetric:
        value += _kl_gauss(mu_q, cov_q, mu_p, cov_p)
    return value
