"""KLIEP: Kullback-Leibler importance estimation (Sugiyama et al., NIPS 2007 / AISM 2008)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning
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


def _em_step(At: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, float, float]:
    """One EM update of the proportions; also the log-likelihood and gap at ``pi``."""
    mix = np.maximum(At @ pi, 1e-300)
    g = At.T @ (1.0 / mix) / At.shape[0]
    new = pi * g
    new /= new.sum()
    return new, float(np.mean(np.log(mix))), float(np.max(g)) - 1.0


def _toward_best_vertex(At: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Frank-Wolfe step with exact line search toward the vertex of the largest gradient.

    EM's multiplicative update can take very long to grow a proportion that is tiny
    but should not be; this step moves mass to it directly (and never decreases the
    log-likelihood, which is concave along the segment).
    """
    mix = np.maximum(At @ pi, 1e-300)
    g = At.T @ (1.0 / mix) / At.shape[0]
    best = int(np.argmax(g))
    if g[best] <= 1.0:
        return pi
    direction = At[:, best] - mix

    def slope(gamma: float) -> float:
        return float(np.mean(direction / np.maximum(mix + gamma * direction, 1e-300)))

    lo, hi = 0.0, 1.0
    if slope(hi) >= 0.0:
        lo = hi
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if slope(mid) > 0.0:
                lo = mid
            else:
                hi = mid
    new = (1.0 - lo) * pi
    new[best] += lo
    return new


def kliep_solve(
    A: np.ndarray,
    b: np.ndarray,
    *,
    max_iter: int = 2000,
    tol: float = 1e-4,
    alpha0: np.ndarray | None = None,
    return_gap: bool = False,
) -> tuple[np.ndarray, int] | tuple[np.ndarray, int, float]:
    r"""Solve KLIEP's programme
    :math:`\max_{\alpha\ge0,\ b^\top\alpha=1} \frac1n\sum_j \log(A\alpha)_j`.

    With :math:`\pi_l = b_l\alpha_l` the constraint set becomes the simplex and the
    objective the log-likelihood :math:`\ell(\pi)` of mixture proportions with fixed
    components :math:`A_{jl}/b_l`, so the EM fixed point

    .. math::
        \pi_l \leftarrow \pi_l\, g_l, \qquad
        g_l = \frac1n\sum_j \frac{A_{jl}/b_l}{\sum_k A_{jk}\pi_k/b_k}
        = \partial \ell / \partial \pi_l ,

    increases the objective monotonically to the global maximum (the problem is
    concave). This replaces the paper's projected gradient ascent, which needs a
    step size; EM is accelerated by SQUAREM (Varadhan & Roland, 2008), with a
    fallback to the plain EM step whenever the extrapolation does not increase
    :math:`\ell`.

    Stopping rule: since :math:`\sum_l \pi_l g_l = 1`, concavity gives
    :math:`\ell^* - \ell(\pi) \le \max_l g_l - 1` (the Frank-Wolfe gap on the
    simplex), so iterations stop once the log-likelihood is provably within ``tol``
    nats of its maximum.

    Parameters
    ----------
    A : ndarray of shape (n, b)
        Kernel values :math:`k(x^t_j, c_l)`.
    b : ndarray of shape (b,)
        Source means :math:`\frac1{n_s}\sum_i k(x^s_i, c_l) > 0`.
    max_iter : int
        Iterations (each costs two EM steps when accelerated).
    tol : float
        Bound on the sub-optimality of the mean log-likelihood, in nats.
    alpha0 : ndarray of shape (b,), optional
        Warm start (mixed with the uniform start so that no proportion is zero).
    return_gap : bool
        Also return the final gap bound.

    Returns
    -------
    alpha : ndarray of shape (b,)
    n_iter : int
    gap : float
        Only with ``return_gap=True``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.1], [0.8, 0.3], [0.1, 1.0]]); b = np.array([0.5, 0.5])
    >>> alpha, n_iter, gap = kliep_solve(A, b, tol=1e-9, return_gap=True)
    >>> round(float(b @ alpha), 6), bool(gap <= 1e-9)
    (1.0, True)
    """
    At = A / b  # components A_jl / b_l
    n_comp = A.shape[1]
    pi = np.full(n_comp, 1.0 / n_comp)
    if alpha0 is not None:
        warm = np.maximum(np.asarray(alpha0, dtype=float) * b, 0.0)
        if warm.sum() > 0:
            pi = 0.9 * warm / warm.sum() + 0.1 * pi
    gap = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - used after the loop
        pi1, _, gap = _em_step(At, pi)
        if gap <= tol:
            break
        pi2, _, _ = _em_step(At, pi1)
        r, v = pi1 - pi, pi2 - 2.0 * pi1 + pi
        nv = float(np.linalg.norm(v))
        candidate = pi2
        if nv > 0.0:
            step = min(-float(np.linalg.norm(r)) / nv, -1.0)  # SQUAREM's S3 step length
            extra = pi - 2.0 * step * r + step * step * v
            # a proportion pushed to (nearly) 0 takes EM's multiplicative updates forever
            # to come back if it should not have been: shorten the step towards the plain
            # double EM step (step = -1 gives pi2) until no proportion drops by more than
            # a factor of 100
            for _ in range(30):
                if np.all(extra > 1e-2 * pi) or step >= -1.0:
                    break
                step = 0.5 * (step - 1.0)
                extra = pi - 2.0 * step * r + step * step * v
            if step < -1.0 and np.all(extra > 1e-2 * pi):
                extra, loglik_extra, _ = _em_step(At, extra / extra.sum())
                mix2 = np.maximum(At @ pi2, 1e-300)
                if loglik_extra >= float(np.mean(np.log(mix2))):
                    candidate = extra
        pi = _toward_best_vertex(At, candidate)
    alpha = pi / b
    if return_gap:
        return alpha, it, float(gap)
    return alpha, it


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
    max_iter : int in [1, 10**6], default=2000
        Accelerated EM iterations of :func:`kliep_solve`, per solve.
    tol : float, default=1e-4
        Each solve stops once its mean log-likelihood is provably within ``tol`` nats of
        the maximum (see :func:`kliep_solve`); a solve that reaches ``max_iter`` first
        raises a :class:`~sklearn.exceptions.ConvergenceWarning`.
    random_state : int, RandomState or None, default=0

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
    sigma_ : float
    cv_scores_ : ndarray of shape (n_sigma,)
        Mean held-out log-likelihood of each width (higher is better).
    centers_ : ndarray of shape (b, n_features)
    alpha_ : ndarray of shape (b,)
    n_iter_ : int
        Iterations of the final solve.
    convergence_ : float
        Gap bound of the final solve (nats); at most ``tol`` when it converged.

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
        max_iter: int = 2000,
        tol: float = 1e-4,
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
            sigmas = median_heuristic(Xs, Xt, random_state=rng, param="sigma") * _grid(
                "sigma_factors", self.sigma_factors
            )
        else:
            sigmas = _grid("sigma", self.sigma)
        folds = list(KFold(self.cv, shuffle=True, random_state=rng.randint(2**31 - 1)).split(Xt))
        # kernel matrices of every width once; each fold's solves then walk the width grid
        # warm-started from the previous width's solution
        kernels = [
            (gaussian_kernel(Xt, self.centers_, sig), gaussian_kernel(Xs, self.centers_, sig))
            for sig in sigmas
        ]
        fold_scores = np.empty((len(sigmas), len(folds)))
        fold_alphas = np.zeros((len(sigmas), len(folds), b))
        unconverged, gaps = 0, []
        for f, (train, test) in enumerate(folds):
            # centres on held-out samples would leak them into the fit: drop those
            keep = np.isin(centre_idx, train)
            alpha = None
            for k in range(len(sigmas)):
                A, phi_s = kernels[k]
                bvec = phi_s.mean(axis=0)[keep]
                A_train = A[np.ix_(train, keep)]
                if not np.all(A_train.max(axis=1) > 1e-250) or not np.all(bvec > 1e-250):
                    # a training target sample (or a centre) has no kernel mass: the
                    # log-likelihood is -inf for every alpha, nothing to solve
                    fold_scores[k, f] = -np.inf
                    continue
                alpha, _, gap = kliep_solve(
                    A_train,
                    bvec,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    alpha0=alpha,
                    return_gap=True,
                )
                unconverged += gap > self.tol
                gaps.append(gap)
                fold_alphas[k, f, keep] = alpha
                held_out = A[np.ix_(test, keep)] @ alpha
                fold_scores[k, f] = np.mean(np.log(np.maximum(held_out, 1e-300)))
        scores = fold_scores.mean(axis=1)
        self.cv_scores_ = scores
        if not np.any(np.isfinite(scores)):
            raise TransferKitInputError(
                "KLIEP: every kernel width leaves some target sample with zero density (its "
                "log-likelihood is -inf); pass larger widths with sigma= or sigma_factors=."
            )
        best = int(np.argmax(scores))
        self.sigma_ = float(sigmas[best])
        A, phi_s = kernels[best]
        self.alpha_, self.n_iter_, self.convergence_ = kliep_solve(
            A,
            phi_s.mean(axis=0),
            max_iter=self.max_iter,
            tol=self.tol,
            alpha0=fold_alphas[best].mean(axis=0),
            return_gap=True,
        )
        unconverged += self.convergence_ > self.tol
        if unconverged:
            warnings.warn(
                f"KLIEP: {unconverged} of {len(gaps) + 1} solves stopped at max_iter="
                f"{self.max_iter} with a log-likelihood gap above tol={self.tol:g} (largest "
                f"{max([*gaps, self.convergence_]):.3g} nats); increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return phi_s @ self.alpha_

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        return gaussian_kernel(X, self.centers_, self.sigma_) @ self.alpha_
