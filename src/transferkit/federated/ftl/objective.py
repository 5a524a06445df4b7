r"""The secure-FTL objective of Liu et al. (2020) in plain NumPy: the reference.

Party A holds labelled samples :math:`\{(x^A_k, y_k)\}_{k=1}^{N_A}` with
:math:`y_k \in \{-1, +1\}`; party B holds :math:`\{x^B_j\}` in a *different* feature space.
The :math:`N` samples whose ids both hold (the overlap :math:`\mathcal{O}`, aligned row by
row) link them. Each party's local network maps a sample to a :math:`d`-dimensional hidden
representation,

.. math::

    u^A = W_A\, \varphi_A(x^A), \qquad u^B = W_B\, \varphi_B(x^B), \qquad
    \varphi(x) = [x;\ 1],

(the jointly trained layer; a party may put any local feature extractor of its own in
front of it, see ``docs/federated.md`` for why deeper layers stay local). A's labels enter
through the label-weighted prototype and B's samples are scored against it:

.. math::

    \Phi^A = \frac{1}{N_A} \sum_{k=1}^{N_A} y_k u^A_k, \qquad
    s_i = \Phi^A \cdot u^B_i .

The logistic loss :math:`\log(1 + e^{-y s})` is replaced by its second-order Taylor
expansion at :math:`s = 0`, which with :math:`y^2 = 1` reads
:math:`\log 2 - \tfrac12 y s + \tfrac18 s^2`. The objective (averaged over the overlap so that
the learning rate does not depend on :math:`N`) is

.. math::

    \mathcal{L} = \frac{1}{N} \sum_{i \in \mathcal{O}}
        \Big[\log 2 - \tfrac12 y_i s_i + \tfrac18 s_i^2\Big]
      + \frac{\gamma}{2N} \sum_{i \in \mathcal{O}} \lVert u^A_i - u^B_i \rVert^2
      + \frac{\lambda}{2} \big(\lVert W_A \rVert_F^2 + \lVert W_B \rVert_F^2\big).

Its gradients, written with the aggregates the protocol exchanges
(:math:`a = \sum_i y_i u^B_i`, :math:`M = \sum_i u^B_i u^{B\top}_i`,
:math:`\psi_A = \frac{1}{N_A}\sum_k y_k \varphi_A(x^A_k)` so that :math:`\Phi^A = W_A\psi_A`,
:math:`C_A = \sum_i u^B_i \varphi_A(x^A_i)^\top`, :math:`w_i = -\tfrac12 y_i \Phi^A - \gamma
u^A_i`, :math:`V_B = \sum_i u^B_i \varphi_B(x^B_i)^\top`):

.. math::

    \frac{\partial \mathcal{L}}{\partial W_A} &= \frac1N\Big(-\tfrac12 a + \tfrac14 M\Phi^A\Big)
        \psi_A^\top + \frac{\gamma}{N}\Big(\sum_i u^A_i \varphi_A(x^A_i)^\top - C_A\Big)
        + \lambda W_A, \\
    \frac{\partial \mathcal{L}}{\partial W_B} &= \frac1N\Big(\sum_i w_i\,
        \varphi_B(x^B_i)^\top + \tfrac14 \Phi^A\Phi^{A\top} V_B\Big)
        + \frac{\gamma}{N} V_B + \lambda W_B .

Because :math:`y_i^2 = 1`, the quadratic Taylor terms need only one :math:`d \times d`
matrix from each side (:math:`M` from B, :math:`\Phi^A\Phi^{A\top}` from A) instead of
:math:`N` per-sample :math:`d \times d` products.

References
----------
Y. Liu, Y. Kang, C. Xing, T. Chen, Q. Yang. *A Secure Federated Transfer Learning
Framework.* IEEE Intelligent Systems 35(4), 2020 (arXiv:1812.03337).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "FTLGradients",
    "with_bias",
    "signed_labels",
    "taylor_logistic",
    "ftl_objective",
]


def with_bias(X: np.ndarray) -> np.ndarray:
    """The input of the trained layer, :math:`\\varphi(x) = [x; 1]`.

    Examples
    --------
    >>> with_bias(np.zeros((2, 3))).shape
    (2, 4)
    """
    X = np.asarray(X, dtype=float)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def signed_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Map two classes to :math:`\\pm 1` (``classes[1]`` is :math:`+1`).

    Examples
    --------
    >>> signed_labels(np.array(["no", "yes", "yes"]), np.array(["no", "yes"]))
    array([-1.,  1.,  1.])
    """
    return np.where(np.asarray(y) == classes[1], 1.0, -1.0)


def taylor_logistic(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Second-order Taylor expansion of :math:`\\log(1 + e^{-ys})` at :math:`s = 0`.

    With :math:`y \\in \\{-1, +1\\}`: :math:`\\log 2 - \\tfrac12 ys + \\tfrac18 s^2`.

    Examples
    --------
    >>> float(taylor_logistic(np.array([1.0]), np.array([0.0]))[0]) == float(np.log(2))
    True
    """
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    return np.log(2.0) - 0.5 * y * s + 0.125 * (y * y) * s * s


@dataclass(frozen=True)
class FTLGradients:
    """Loss and gradients of :func:`ftl_objective`."""

    loss: float
    grad_a: np.ndarray
    grad_b: np.ndarray


def ftl_objective(
    W_a: np.ndarray,
    W_b: np.ndarray,
    F_a: np.ndarray,
    y_a: np.ndarray,
    overlap_a: np.ndarray,
    F_b_overlap: np.ndarray,
    *,
    gamma: float,
    lam: float,
) -> FTLGradients:
    """The objective and its gradients computed in one place (no protocol, no privacy).

    This is the centralised reference that the two-party protocol must reproduce.

    Parameters
    ----------
    W_a : ndarray of shape (d, p_a + 1)
        A's trained layer (the last column multiplies the bias input).
    W_b : ndarray of shape (d, p_b + 1)
        B's trained layer.
    F_a : ndarray of shape (N_A, p_a + 1)
        :func:`with_bias` of all of A's samples.
    y_a : ndarray of shape (N_A,)
        A's labels in :math:`\\{-1, +1\\}`.
    overlap_a : ndarray of shape (N,)
        Row indices into ``F_a`` of the overlapping samples, in overlap order.
    F_b_overlap : ndarray of shape (N, p_b + 1)
        :func:`with_bias` of B's overlapping samples, in the same order.
    gamma, lam : float
        Weights of the alignment term and of the L2 regulariser.

    Returns
    -------
    FTLGradients

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> F_a, F_b = with_bias(rng.normal(size=(6, 2))), with_bias(rng.normal(size=(4, 3)))
    >>> y = np.array([1.0, -1, 1, -1, 1, -1])
    >>> out = ftl_objective(np.ones((2, 3)), np.ones((2, 4)), F_a, y, np.arange(4), F_b,
    ...                     gamma=1.0, lam=0.1)
    >>> out.grad_a.shape, out.grad_b.shape
    ((2, 3), (2, 4))
    """
    n = len(overlap_a)
    U_a_all = F_a @ W_a.T
    phi = (y_a[:, None] * U_a_all).mean(axis=0)
    U_a = U_a_all[overlap_a]
    F_ao = F_a[overlap_a]
    y = y_a[overlap_a]
    U_b = F_b_overlap @ W_b.T
    s = U_b @ phi
    diff = U_a - U_b
    loss = (
        taylor_logistic(y, s).mean()
        + gamma / (2 * n) * float((diff**2).sum())
        + lam / 2 * float((W_a**2).sum() + (W_b**2).sum())
    )
    coef = -0.5 * y + 0.25 * s  # d loss_i / d s_i
    psi = (y_a[:, None] * F_a).mean(axis=0)
    grad_phi = (coef[:, None] * U_b).sum(axis=0) / n
    grad_a = np.outer(grad_phi, psi) + gamma / n * diff.T @ F_ao + lam * W_a
    grad_ub = coef[:, None] * phi[None, :] - gamma * diff  # per sample, shape (N, d)
    grad_b = grad_ub.T @ F_b_overlap / n + lam * W_b
    return FTLGradients(float(loss), grad_a, grad_b)
