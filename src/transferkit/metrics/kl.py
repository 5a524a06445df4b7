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

import warnings
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from transferkit._validation import TransferKitInputError, check_positive
from transferkit.metrics._common import check_pair

__all__ = ["gaussian_kl", "kl_divergence_knn"]


def _knn_kl(Xa: np.ndarray, Ya: np.ndarray, k: int) -> float:
    n, d = Xa.shape
    m = Ya.shape[0]
    if n <= k or m < k:
        raise TransferKitInputError(
            f"kl_divergence_knn with k={k} needs more than k samples in X (got {n}) and at "
            f"least k in Y (got {m}); lower k or pass more samples."
        )
    rho = NearestNeighbors(n_neighbors=k + 1).fit(Xa).kneighbors(Xa)[0][:, k]
    nu = NearestNeighbors(n_neighbors=k).fit(Ya).kneighbors(Xa)[0][:, k - 1]
    keep = (rho > 0) & (nu > 0)
    if not keep.all():
        dropped = int((~keep).sum())
        if dropped == n:
            raise TransferKitInputError(
                "every sample of X has a duplicate at distance 0; the k-NN KL estimator "
                "needs distinct samples (increase k or remove duplicates)."
            )
        warnings.warn(
            f"kl_divergence_knn: {dropped} of {n} samples have a zero neighbour distance "
            "(duplicate rows) and were left out of the average.",
            RuntimeWarning,
            stacklevel=3,
        )
    return float(d * np.mean(np.log(nu[keep] / rho[keep])) + np.log(m / (n - 1)))


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
        The estimate (in nats; it may be slightly negative for close distributions).

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


def _kl_gauss(mu_p, cov_p, mu_q, cov_q) -> float:
    d = mu_p.shape[0]
    try:
        chol_q = np.linalg.cholesky(cov_q)
        chol_p = np.linalg.cholesky(cov_p)
    except np.linalg.LinAlgError as exc:
        raise TransferKitInputError(
            "a covariance is singular (more features than samples, or constant features); "
            "pass reg > 0 (e.g. reg=1e-3) to gaussian_kl."
        ) from exc
    solve = np.linalg.solve
    a = solve(chol_q, chol_p)
    diff = solve(chol_q, mu_q - mu_p)
    logdet = 2.0 * (np.log(np.diag(chol_q)).sum() - np.log(np.diag(chol_p)).sum())
    return float(0.5 * (np.sum(a * a) + diff @ diff - d + logdet))


def gaussian_kl(X: Any, Y: Any, *, reg: float = 1e-6, symmetric: bool = False) -> float:
    r"""KL divergence between Gaussian fits of the two samples (closed form).

    Means and covariances (``ddof=1``) are estimated from the samples and
    ``reg`` is added to both covariance diagonals.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (n, d) and (m, d)
        Samples of :math:`P` and :math:`Q`.
    reg : float
        Ridge added to both covariances (needed when ``d`` approaches the sample size).
    symmetric : bool
        Return :math:`D(P\Vert Q) + D(Q\Vert P)`.

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
    """
    check_positive("reg", reg, strict=False)
    Xa, Ya = check_pair(X, Y, min_samples=2)
    mu_p, cov_p = _gaussian_fit(Xa, reg)
    mu_q, cov_q = _gaussian_fit(Ya, reg)
    value = _kl_gauss(mu_p, cov_p, mu_q, cov_q)
    if symmetric:
        value += _kl_gauss(mu_q, cov_q, mu_p, cov_p)
    return value
