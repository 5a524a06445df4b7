"""uLSIF and RuLSIF: least-squares density-ratio fitting with closed-form leave-one-out.

References: T. Kanamori, S. Hido, M. Sugiyama, *A Least-squares Approach to Direct
Importance Estimation*, JMLR 10, 2009 (uLSIF); M. Yamada, T. Suzuki, T. Kanamori,
H. Hachiya, M. Sugiyama, *Relative Density-Ratio Estimation for Robust Distribution
Comparison*, NIPS 2011 (RuLSIF).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from transferkit._validation import (
    Interval,
    SequenceOf,
    TransferKitInputError,
    ValidatedDomains,
    check_random_state,
)
from transferkit.base import BaseWeighter
from transferkit.instance._kernels import gaussian_kernel
from transferkit.metrics.mmd import median_heuristic

_POSITIVE = Interval(Real, 0, None, closed="neither")

__all__ = ["RuLSIF", "ULSIF", "loo_scores"]

DEFAULT_SIGMA_FACTORS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
DEFAULT_LAMBDAS = (1e-3, 1e-2, 1e-1, 1.0)


def _grid(name: str, values: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise TransferKitInputError(f"{name} must be positive finite numbers; got {values!r}.")
    return arr


def loo_scores(
    phi_t: np.ndarray, phi_s: np.ndarray, alpha: float, lambdas: np.ndarray
) -> np.ndarray:
    r"""Exact leave-one-out squared-loss scores of (Ru)LSIF for each regulariser.

    Sample pairs :math:`(x^t_i, x^s_i)`, :math:`i < n = \min(n_t, n_s)`, are held out in
    turn. With :math:`T = \sum_j \phi(x^t_j)\phi(x^t_j)^\top`,
    :math:`S = \sum_j \phi(x^s_j)\phi(x^s_j)^\top` and
    :math:`A = \frac{\alpha}{n_t-1}T + \frac{1-\alpha}{n_s-1}S + \lambda I`, the
    matrix without pair :math:`i` is the rank-two downdate
    :math:`A_{-i} = A - U_iU_i^\top`, solved by the Woodbury identity for all
    :math:`i` at once. The score is the held-out Pearson-divergence loss

    .. math::
        \frac1n\sum_i \frac{1-\alpha}{2}\,\hat r_{-i}(x^s_i)^2
        + \frac{\alpha}{2}\,\hat r_{-i}(x^t_i)^2 - \hat r_{-i}(x^t_i) ,

    with :math:`\hat r_{-i} = \phi^\top \max(0, A_{-i}^{-1} h_{-i})`. For
    :math:`\alpha = 0` this is Kanamori et al.'s closed-form LOO of uLSIF.

    Parameters
    ----------
    phi_t : ndarray of shape (n_target, b)
        Target design matrix :math:`\phi(x^t_j)^\top`.
    phi_s : ndarray of shape (n_source, b)
        Source design matrix.
    alpha : float
        Relative parameter in [0, 1).
    lambdas : ndarray
        Regularisers to score.

    Returns
    -------
    ndarray of shape (len(lambdas),)
    """
    nt, b = phi_t.shape
    ns = phi_s.shape[0]
    n = min(nt, ns)
    T = phi_t.T @ phi_t
    S = phi_s.T @ phi_s
    h_sum = phi_t.sum(axis=0)
    c_t = alpha / (nt - 1)
    c_s = (1.0 - alpha) / (ns - 1)
    Pt = phi_t[:n].T  # (b, n)
    Ps = phi_s[:n].T
    # held-out target mean without pair i: (sum - t_i) / (nt - 1)
    H = (h_sum[:, None] - Pt) / (nt - 1)
    scores = np.empty(len(lambdas))
    for k, lam in enumerate(lambdas):
        A = c_t * T + c_s * S + lam * np.eye(b)
        Ainv = np.linalg.inv(A)
        AiT, AiS, AiH = Ainv @ Pt, Ainv @ Ps, Ainv @ H
        # U_i = [sqrt(c_t) t_i, sqrt(c_s) s_i]; M_i = I - U_i^T A^{-1} U_i (2 x 2)
        m11 = 1.0 - c_t * np.einsum("bi,bi->i", Pt, AiT)
        m22 = 1.0 - c_s * np.einsum("bi,bi->i", Ps, AiS)
        m12 = -np.sqrt(c_t * c_s) * np.einsum("bi,bi->i", Pt, AiS)
        det = m11 * m22 - m12 * m12
        # r = U_i^T A^{-1} h_i
        r1 = np.sqrt(c_t) * np.einsum("bi,bi->i", Pt, AiH)
        r2 = np.sqrt(c_s) * np.einsum("bi,bi->i", Ps, AiH)
        z1 = (m22 * r1 - m12 * r2) / det
        z2 = (-m12 * r1 + m11 * r2) / det
        theta = AiH + np.sqrt(c_t) * AiT * z1 + np.sqrt(c_s) * AiS * z2
        np.maximum(theta, 0.0, out=theta)
        r_t = np.einsum("bi,bi->i", Pt, theta)
        r_s = np.einsum("bi,bi->i", Ps, theta)
        scores[k] = np.mean(0.5 * (1.0 - alpha) * r_s**2 + 0.5 * alpha * r_t**2 - r_t)
    return scores


class RuLSIF(BaseWeighter):
    r"""Relative unconstrained least-squares importance fitting (Yamada et al., 2011).

    Models the :math:`\alpha`-relative density ratio
    :math:`r_\alpha(x) = p_t(x) / (\alpha p_t(x) + (1-\alpha) p_s(x))` as a kernel
    expansion :math:`\hat r(x) = \sum_{l=1}^b \theta_l\, k(x, c_l)` on :math:`b` target
    centres and fits it by regularised least squares,

    .. math::
        \hat\theta = \max\Bigl(0,\ (\hat H + \lambda I)^{-1} \hat h\Bigr),\quad
        \hat H = \frac{\alpha}{n_t}\sum_j \phi(x^t_j)\phi(x^t_j)^\top
                + \frac{1-\alpha}{n_s}\sum_i \phi(x^s_i)\phi(x^s_i)^\top,\quad
        \hat h = \frac1{n_t}\sum_j \phi(x^t_j),

    a closed form. The Gaussian width :math:`\sigma` and :math:`\lambda` are chosen on
    a grid by the exact leave-one-out score (:func:`loo_scores`), without target
    labels. :math:`r_\alpha` is bounded by :math:`1/\alpha`, which makes RuLSIF robust
    where the plain ratio explodes; :math:`\alpha = 0` is uLSIF (:class:`ULSIF`).

    Parameters
    ----------
    alpha : float, default=0.1
        Relative parameter in [0, 1).
    sigma : float or sequence of float, optional
        Kernel width(s); default: the median heuristic times ``sigma_factors``.
    sigma_factors : sequence of float, default=(0.1, 0.2, 0.5, 1, 2, 5)
        Multipliers of the median distance tried when ``sigma`` is None.
    lambdas : float or sequence of float, default=(1e-3, 1e-2, 1e-1, 1)
        Regularisers tried.
    n_centers : int, default=100
        Kernel centres, drawn from the target without replacement.
    random_state : int, RandomState or None, default=0

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
    sigma_, lambda_ : float
        Selected hyper-parameters.
    cv_scores_ : ndarray of shape (n_sigma, n_lambda)
        Leave-one-out scores (lower is better).
    centers_ : ndarray of shape (b, n_features)
    theta_ : ndarray of shape (b,)

    Examples
    --------
    >>> from transferkit.instance import RuLSIF
    >>> from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse
    >>> prob = make_gaussian_shift(300, 300, 2, shift=1.0, random_state=0)
    >>> w = RuLSIF(alpha=0.5).fit(prob.X_source, X_target=prob.X_target).weights_
    >>> r = prob.true_ratio(prob.X_source)
    >>> relative = r / (0.5 * r + 0.5)     # the alpha-relative ratio, bounded by 1/alpha = 2
    >>> bool(normalised_mse(w, relative) < 0.1)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "alpha": [Interval(Real, 0, 1, closed="left")],
        "sigma": [_POSITIVE, SequenceOf(_POSITIVE), None],
        "sigma_factors": [_POSITIVE, SequenceOf(_POSITIVE)],
        "lambdas": [_POSITIVE, SequenceOf(_POSITIVE)],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        alpha: float = 0.1,
        *,
        sigma: Any = None,
        sigma_factors: Any = DEFAULT_SIGMA_FACTORS,
        lambdas: Any = DEFAULT_LAMBDAS,
        n_centers: int = 100,
        random_state: Any = 0,
    ):
        self.alpha = alpha
        self.sigma = sigma
        self.sigma_factors = sigma_factors
        self.lambdas = lambdas
        self.n_centers = n_centers
        self.random_state = random_state

    def _alpha(self) -> float:
        return float(self.alpha)

    def _fit(self, data: ValidatedDomains) -> np.ndarray:
        alpha = self._alpha()
        Xs, Xt = data.X, data.X_target
        ns, nt = Xs.shape[0], Xt.shape[0]
        if min(ns, nt) < 3:
            raise TransferKitInputError(
                f"{type(self).__name__} needs at least 3 samples in each domain for "
                f"leave-one-out selection; got {ns} source and {nt} target samples."
            )
        rng = check_random_state(self.random_state)
        b = min(self.n_centers, nt)
        self.centers_ = Xt[rng.choice(nt, b, replace=False)]
        if self.sigma is None:
            med = median_heuristic(Xs, Xt, random_state=rng, param="sigma")
            sigmas = med * _grid("sigma_factors", self.sigma_factors)
        else:
            sigmas = _grid("sigma", self.sigma)
        lambdas = _grid("lambdas", self.lambdas)
        scores = np.empty((len(sigmas), len(lambdas)))
        perm_t, perm_s = rng.permutation(nt), rng.permutation(ns)
        for k, sigma in enumerate(sigmas):
            phi_t = gaussian_kernel(Xt[perm_t], self.centers_, sigma)
            phi_s = gaussian_kernel(Xs[perm_s], self.centers_, sigma)
            scores[k] = loo_scores(phi_t, phi_s, alpha, lambdas)
        self.cv_scores_ = scores
        i, j = np.unravel_index(np.nanargmin(scores), scores.shape)
        self.sigma_, self.lambda_ = float(sigmas[i]), float(lambdas[j])
        phi_t = gaussian_kernel(Xt, self.centers_, self.sigma_)
        phi_s = gaussian_kernel(Xs, self.centers_, self.sigma_)
        H = alpha * (phi_t.T @ phi_t) / nt + (1 - alpha) * (phi_s.T @ phi_s) / ns
        h = phi_t.mean(axis=0)
        theta = np.linalg.solve(H + self.lambda_ * np.eye(b), h)
        self.theta_ = np.maximum(theta, 0.0)
        return phi_s @ self.theta_

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        return gaussian_kernel(X, self.centers_, self.sigma_) @ self.theta_


class ULSIF(RuLSIF):
    r"""Unconstrained least-squares importance fitting (Kanamori et al., JMLR 2009).

    RuLSIF with :math:`\alpha = 0`: fits :math:`\hat w(x) = \sum_l \theta_l k(x, c_l)`
    to :math:`p_t/p_s` by minimising

    .. math::
        \frac12 \theta^\top \hat H \theta - \hat h^\top \theta
        + \frac\lambda2 \lVert\theta\rVert^2,\quad
        \hat H = \frac1{n_s}\sum_i \phi(x^s_i)\phi(x^s_i)^\top,\
        \hat h = \frac1{n_t}\sum_j \phi(x^t_j),

    i.e. :math:`\hat\theta = \max(0, (\hat H + \lambda I)^{-1}\hat h)`, with
    :math:`\sigma, \lambda` chosen by the closed-form leave-one-out score.

    Parameters
    ----------
    sigma, sigma_factors, lambdas, n_centers, random_state
        As in :class:`RuLSIF`.

    Examples
    --------
    >>> from transferkit.instance import ULSIF
    >>> from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse
    >>> prob = make_gaussian_shift(500, 500, 2, shift=1.0, random_state=0)
    >>> est = ULSIF().fit(prob.X_source, X_target=prob.X_target)
    >>> bool(normalised_mse(est.weights_, prob.true_ratio(prob.X_source)) < 0.35)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        key: rule for key, rule in RuLSIF._parameter_constraints.items() if key != "alpha"
    }

    def __init__(
        self,
        sigma: Any = None,
        *,
        sigma_factors: Any = DEFAULT_SIGMA_FACTORS,
        lambdas: Any = DEFAULT_LAMBDAS,
        n_centers: int = 100,
        random_state: Any = 0,
    ):
        self.sigma = sigma
        self.sigma_factors = sigma_factors
        self.lambdas = lambdas
        self.n_centers = n_centers
        self.random_state = random_state

    def _alpha(self) -> float:
        return 0.0
