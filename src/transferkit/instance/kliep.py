"""KLIEP: Kullback-Leibler importance estimation (Sugiyama et al., NIPS 2007 / AISM 2008)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.model_selection import KFold

from transferkit._validation import (
    MAX_ITER,
    Interval,
    SequenceOf,
    TransferKitInputError,
    ValidatedDomains,
    check_random_state,
)
from transferkit.base import BaseWeighter
from transferkit.instance._kernels import gaussian_kernel
from transferkit.instance.ulsif import DEFAULT_SIGMA_FACTORS, _grid
from transferkit.metrics.mmd import median_heuristic

_POSITIVE = Interval(Real, 0, None, closed="neither")

__all__ = ["KLIEP", "kliep_solve"]


def kliep_solve(
    A: np.ndarray, b: np.ndarray, *, max_iter: int = 5000, tol: float = 1e-6
) -> tuple[np.ndarray, int]:
    r"""Solve KLIEP's programme
    :math:`\max_{\alpha\ge0,\ b^\top\alpha=1} \frac1n\sum_j \log(A\alpha)_j`.

    With :math:`\pi_l = b_l\alpha_l` the constraint set becomes the simplex and the
    objective the log-likelihood of mixture proportions with fixed components
    :math:`A_{jl}/b_l`, so the EM fixed point

    .. math::
        \pi_l \leftarrow \pi_l\,\frac1n\sum_j \frac{A_{jl}/b_l}{\sum_k A_{jk}\pi_k/b_k}

    increases the objective monotonically to the global maximum (the problem is
    concave). This replaces the paper's projected gradient ascent, which needs a
    step size. Iterations stop when the KKT residual
    :math:`\max_l \pi_l\,|g_l - 1|` (:math:`g_l` the gradient divided by
    :math:`b_l`) falls below ``tol``.

    Returns
    -------
    alpha : ndarray of shape (b,)
    n_iter : int
    """
    n = A.shape[0]
    At = A / b  # components A_jl / b_l
    pi = np.full(A.shape[1], 1.0 / A.shape[1])
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - used after the loop
        mix = np.maximum(At @ pi, 1e-300)
        g = At.T @ (1.0 / mix) / n
        if float(np.max(pi * np.abs(g - 1.0))) <= tol:
            break
        pi = pi * g
        pi /= pi.sum()
    return pi / b, it


class KLIEP(BaseWeighter):
    r"""Kullback-Leibler importance estimation procedure with likelihood cross-validation.

    Models :math:`\hat w(x) = \sum_{l=1}^b \alpha_l\, k(x, c_l)` with Gaussian kernels on
    :math:`b` target centres and maximises the target log-likelihood of
    :math:`\hat p_t = \hat w\, p_s` (equivalently minimises
    :math:`\mathrm{KL}(p_t \,\|\, \hat w p_s)`):

    .. math::
        \max_{\alpha \ge 0}\ \frac1{n_t}\sum_{j=1}^{n_t} \log \hat w(x^t_j)
        \quad\text{s.t.}\quad \frac1{n_s}\sum_{i=1}^{n_s} \hat w(x^s_i) = 1 .

    The width :math:`\sigma` is chosen without labels by likelihood cross-validation
    (LCV): the target is split into ``cv`` folds, the model is fitted on the others and
    scored by the mean held-out :math:`\log \hat w(x^t)`. Centres that are held-out
    samples are left out of that fold's model (otherwise narrow kernels sitting on the
    held-out points win the likelihood).

    Parameters
    ----------
    sigma : float or sequence of float, optional
        Kernel width(s) to choose from; default: median heuristic times
        ``sigma_factors``.
    sigma_factors : sequence of float, default=(0.1, 0.2, 0.5, 1, 2, 5)
    n_centers : int, default=100
        Kernel centres drawn from the target.
    cv : int, default=5
        LCV folds; the target needs at least ``cv`` samples.
    max_iter : int in [1, 10**6], default=5000
        EM iterations of :func:`kliep_solve`.
    tol : float, default=1e-6
        KKT tolerance of :func:`kliep_solve`.
    random_state : int, RandomState or None, default=0

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
    sigma_ : float
    cv_scores_ : ndarray of shape (n_sigma,)
        Mean held-out log-likelihood of each width (higher is better).
    centers_ : ndarray of shape (b, n_features)
    alpha_ : ndarray of shape (b,)

    References
    ----------
    M. Sugiyama, S. Nakajima, H. Kashima, P. von Bünau, M. Kawanabe. *Direct Importance
    Estimation with Model Selection and Its Application to Covariate Shift
    Adaptation.* NIPS 2007; extended in Ann. Inst. Stat. Math. 60, 2008.

    Examples
    --------
    >>> from transferkit.instance import KLIEP
    >>> from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse
    >>> prob = make_gaussian_shift(400, 400, 2, shift=1.0, random_state=0)
    >>> est = KLIEP(cv=3).fit(prob.X_source, X_target=prob.X_target)
    >>> round(float(est.weights_.mean()), 3)
    1.0
    >>> bool(normalised_mse(est.weights_, prob.true_ratio(prob.X_source)) < 0.3)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sigma": [_POSITIVE, SequenceOf(_POSITIVE), None],
        "sigma_factors": [_POSITIVE, SequenceOf(_POSITIVE)],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, MAX_ITER, closed="both")],
        "tol": [_POSITIVE],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        sigma: Any = None,
        *,
        sigma_factors: Any = DEFAULT_SIGMA_FACTORS,
        n_centers: int = 100,
        cv: int = 5,
        max_iter: int = 5000,
        tol: float = 1e-6,
        random_state: Any = 0,
    ):
        self.sigma = sigma
        self.sigma_factors = sigma_factors
        self.n_centers = n_centers
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit(self, data: ValidatedDomains) -> np.ndarray:
        Xs, Xt = data.X, data.X_target
        nt = Xt.shape[0]
        if self.cv < 2:
            raise TransferKitInputError(f"cv must be at least 2 for likelihood CV; got {self.cv}.")
        if nt < self.cv:
            raise TransferKitInputError(
                f"X_target has {nt} samples but likelihood cross-validation with cv={self.cv} "
                f"needs at least {self.cv}; lower cv or pass more target samples."
            )
        rng = check_random_state(self.random_state)
        b = min(self.n_centers, nt)
        centre_idx = rng.choice(nt, b, replace=False)
        self.centers_ = Xt[centre_idx]
        if self.sigma is None:
            sigmas = median_heuristic(Xs, Xt, random_state=rng) * _grid(
                "sigma_factors", self.sigma_factors
            )
        else:
            sigmas = _grid("sigma", self.sigma)
        folds = list(KFold(self.cv, shuffle=True, random_state=rng.randint(2**31 - 1)).split(Xt))
        scores = np.empty(len(sigmas))
        for k, sigma in enumerate(sigmas):
            A = gaussian_kernel(Xt, self.centers_, sigma)
            bvec = gaussian_kernel(Xs, self.centers_, sigma).mean(axis=0)
            fold_scores = []
            for train, test in folds:
                # centres on held-out samples would leak them into the fit: drop those
                keep = np.isin(centre_idx, train)
                alpha, _ = kliep_solve(
                    A[np.ix_(train, keep)], bvec[keep], max_iter=self.max_iter, tol=self.tol
                )
                held_out = A[np.ix_(test, keep)] @ alpha
                fold_scores.append(np.mean(np.log(np.maximum(held_out, 1e-300))))
            scores[k] = np.mean(fold_scores)
        self.cv_scores_ = scores
        self.sigma_ = float(sigmas[int(np.argmax(scores))])
        A = gaussian_kernel(Xt, self.centers_, self.sigma_)
        phi_s = gaussian_kernel(Xs, self.centers_, self.sigma_)
        self.alpha_, self.n_iter_ = kliep_solve(
            A, phi_s.mean(axis=0), max_iter=self.max_iter, tol=self.tol
        )
        return phi_s @ self.alpha_

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        return gaussian_kernel(X, self.centers_, self.sigma_) @ self.alpha_
