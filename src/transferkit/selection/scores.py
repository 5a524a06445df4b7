r"""Label-free validation scores computed from predictions (pure functions).

These are the numerical kernels of the selection criteria in
:mod:`transferkit.selection.criteria`; they take arrays (per-sample losses,
importance weights, predicted probabilities) and return numbers, so that each can be
checked against its closed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import (
    TransferKitInputError,
    check_matrix,
    check_positive,
    check_sample_weights,
)

__all__ = [
    "DevRisk",
    "dev_risk",
    "importance_weighted_risk",
    "prediction_entropy",
    "soft_neighbourhood_density",
]


def _check_losses(losses: Any, name: str = "losses") -> np.ndarray:
    arr = np.array(losses, dtype=np.float64, copy=True)
    if arr.ndim != 1 or arr.size == 0:
        raise TransferKitInputError(f"{name} must be a non-empty 1-D array; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise TransferKitInputError(f"{name} contain NaN or infinite values.")
    return arr


def importance_weighted_risk(losses: Any, weights: Any) -> float:
    r"""Importance-weighted empirical risk (the IWCV estimate of Sugiyama et al., 2007).

    .. math::
        \hat R_{\mathrm{IW}} = \frac{1}{n} \sum_{i=1}^{n} w(x_i)\, \ell_i ,
        \qquad w(x) = \frac{p_t(x)}{p_s(x)} ,

    an unbiased estimate of the target risk :math:`\mathbb E_{p_t}[\ell]` from source
    samples when :math:`w` is the true density ratio.

    Parameters
    ----------
    losses : array-like of shape (n,)
        Per-sample losses :math:`\ell_i` of held-out source samples.
    weights : array-like of shape (n,)
        Importance weights :math:`w(x_i) \ge 0`.

    Returns
    -------
    float

    Examples
    --------
    >>> importance_weighted_risk([0.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    0.6666666666666666
    >>> importance_weighted_risk([0.0, 1.0], [0.5, 1.5])
    0.75
    """
    ell = _check_losses(losses)
    w = check_sample_weights(weights, ell.shape[0], name="weights", warn_below=0.0)
    return float(np.mean(w * ell))


@dataclass(frozen=True)
class DevRisk:
    """Result of :func:`dev_risk`: the risk, the control-variate coefficient and parts."""

    risk: float
    eta: float
    weighted_risk: float
    mean_weight: float


def dev_risk(losses: Any, weights: Any) -> DevRisk:
    r"""Deep embedded validation risk with a control variate (You et al., ICML 2019).

    With weighted losses :math:`L_i = w_i \ell_i`, DEV adds the control variate
    :math:`W = w` whose expectation under the source is known, :math:`\mathbb E_s[w] = 1`:

    .. math::
        \hat R_{\mathrm{DEV}} = \bar L + \eta\, \bar W - \eta ,
        \qquad \eta = -\frac{\widehat{\operatorname{Cov}}(L, W)}{\widehat{\operatorname{Var}}(W)} .

    The estimate stays unbiased for any fixed :math:`\eta`, and this :math:`\eta`
    minimises its variance, which is never above that of :math:`\bar L` (IWCV).
    With constant weights the variance of :math:`W` is zero and :math:`\eta = 0`.

    Parameters
    ----------
    losses, weights : array-like of shape (n,)
        Per-sample losses and importance weights of held-out source samples (n >= 2).

    Returns
    -------
    DevRisk

    Examples
    --------
    >>> r = dev_risk([1.0, 3.0], [0.5, 1.5])
    >>> r.weighted_risk, r.eta, r.risk
    (2.5, -4.0, 2.5)
    """
    ell = _check_losses(losses)
    if ell.shape[0] < 2:
        raise TransferKitInputError(
            "dev_risk needs at least 2 held-out samples to estimate the control variate; got 1."
        )
    w = check_sample_weights(weights, ell.shape[0], name="weights", warn_below=0.0)
    weighted = w * ell
    var_w = float(np.var(w, ddof=1))
    if var_w <= 1e-12 * max(1.0, float(np.mean(w)) ** 2):
        eta = 0.0
    else:
        cov = float(np.cov(weighted, w, ddof=1)[0, 1])
        eta = -cov / var_w
    mean_l, mean_w = float(weighted.mean()), float(w.mean())
    return DevRisk(
        risk=mean_l + eta * mean_w - eta, eta=eta, weighted_risk=mean_l, mean_weight=mean_w
    )


def _check_proba(proba: Any, name: str = "proba") -> np.ndarray:
    P = check_matrix(proba, name)
    if np.any(P < -1e-9) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-6):
        raise TransferKitInputError(
            f"{name} must hold class probabilities (non-negative rows summing to 1); "
            "pass predict_proba output, or apply a softmax to decision scores first."
        )
    return np.clip(P, 0.0, 1.0)


def _row_entropy(P: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
    return -(P * logs).sum(axis=1)


def prediction_entropy(proba: Any) -> float:
    r"""Mean Shannon entropy of the predicted class distributions (nats).

    .. math::
        H = -\frac{1}{n}\sum_{j=1}^{n} \sum_{c} p_{jc} \log p_{jc} .

    Used as a label-free criterion (lower = more confident target predictions); see
    :class:`~transferkit.selection.PredictionEntropy`.

    Examples
    --------
    >>> round(prediction_entropy([[0.5, 0.5], [1.0, 0.0]]), 6)  # (log 2 + 0) / 2
    0.346574
    """
    return float(_row_entropy(_check_proba(proba)).mean())


def soft_neighbourhood_density(
    proba: Any, *, temperature: float = 0.05, batch_size: int = 1024
) -> float:
    r"""Soft neighbourhood density of target predictions (Saito et al., ICCV 2021).

    With L2-normalised prediction vectors :math:`\tilde p_j = p_j / \lVert p_j \rVert`,
    cosine similarities :math:`M_{jk} = \tilde p_j^\top \tilde p_k` (self-similarity
    excluded) are turned into a neighbourhood distribution and its entropy is averaged:

    .. math::
        S_{jk} = \frac{\exp(M_{jk}/\tau)}{\sum_{k' \ne j} \exp(M_{jk'}/\tau)}, \qquad
        \mathrm{SND} = -\frac{1}{n}\sum_j \sum_{k \ne j} S_{jk} \log S_{jk} .

    A high SND means each target sample has many close neighbours in prediction space
    (dense, well-clustered predictions); larger is better.

    Parameters
    ----------
    proba : array-like of shape (n_target, n_classes)
        Predicted probabilities of the target samples (n_target >= 2).
    temperature : float, default=0.05
        :math:`\tau`, the paper's value.
    batch_size : int, default=1024
        Rows of the similarity matrix computed at once (memory ``batch_size * n``).

    Examples
    --------
    >>> import numpy as np
    >>> same = np.tile([[0.9, 0.1]], (4, 1))  # identical predictions: uniform neighbours
    >>> bool(np.isclose(soft_neighbourhood_density(same), np.log(3)))
    True
    """
    P = _check_proba(proba)
    check_positive("temperature", temperature)
    check_positive("batch_size", batch_size, integer=True)
    n = P.shape[0]
    if n < 2:
        raise TransferKitInputError(
            f"soft_neighbourhood_density needs at least 2 target samples; got {n}."
        )
    norms = np.linalg.norm(P, axis=1, keepdims=True)
    Q = P / np.where(norms > 0, norms, 1.0)
    total = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        logits = (Q[start:stop] @ Q.T) / temperature
        logits[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        logits -= logits.max(axis=1, keepdims=True)
        S = np.exp(logits)
        S /= S.sum(axis=1, keepdims=True)
        total += float(_row_entropy(S).sum())
    return total / n
