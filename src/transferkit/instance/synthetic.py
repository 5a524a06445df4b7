"""Covariate shift with a known density ratio, to check weighters against the truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import (
    TransferKitInputError,
    check_matrix,
    check_positive,
    check_random_state,
)

__all__ = ["GaussianShift", "make_gaussian_shift", "normalised_mse"]


@dataclass(frozen=True)
class GaussianShift:
    r"""Source :math:`\mathcal N(0, I_d)` and target :math:`\mathcal N(\mu, \sigma^2 I_d)`.

    Attributes
    ----------
    X_source, X_target : ndarray
        The sampled domains.
    y_source, y_target : ndarray
        Labels of a fixed non-linear rule :math:`y = [x_1 + 0.5 x_1^2 > 0.3]`, so that a
        linear model trained on the source is biased for the target and weighting helps.
    mean : ndarray of shape (d,)
        :math:`\mu`.
    scale : float
        :math:`\sigma`.
    """

    X_source: np.ndarray
    y_source: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray
    mean: np.ndarray
    scale: float

    def true_ratio(self, X: Any) -> np.ndarray:
        r"""The exact density ratio :math:`p_t(x)/p_s(x)` of the two Gaussians.

        .. math::
            \log\frac{p_t(x)}{p_s(x)} = -d\log\sigma
            - \frac{\lVert x-\mu\rVert^2}{2\sigma^2} + \frac{\lVert x\rVert^2}{2}
        """
        Xc = check_matrix(X, "X", n_features=self.mean.shape[0])
        d = self.mean.shape[0]
        diff = Xc - self.mean
        log_r = (
            -d * np.log(self.scale)
            - 0.5 * np.einsum("ij,ij->i", diff, diff) / self.scale**2
            + 0.5 * np.einsum("ij,ij->i", Xc, Xc)
        )
        return np.exp(log_r)


def make_gaussian_shift(
    n_source: int = 500,
    n_target: int = 500,
    n_features: int = 2,
    *,
    shift: float = 0.5,
    scale: float = 1.0,
    random_state: Any = None,
) -> GaussianShift:
    r"""Sample a covariate-shift problem whose true density ratio is known.

    Parameters
    ----------
    n_source, n_target : int
        Sample sizes.
    n_features : int
        Dimension :math:`d`.
    shift : float
        Length of :math:`\mu`, placed along the first axis (:math:`\mu = s\,e_1`).
    scale : float
        Target standard deviation :math:`\sigma`. With :math:`\sigma < 1` the ratio is
        bounded; with :math:`\sigma > 1` it is unbounded (a hard case).
    random_state : int, RandomState or None

    Returns
    -------
    GaussianShift

    Examples
    --------
    >>> from transferkit.instance.synthetic import make_gaussian_shift
    >>> prob = make_gaussian_shift(200, 100, 3, shift=1.0, random_state=0)
    >>> prob.X_source.shape, prob.X_target.shape, prob.true_ratio(prob.X_source).shape
    ((200, 3), (100, 3), (200,))
    """
    check_positive("n_source", n_source, integer=True)
    check_positive("n_target", n_target, integer=True)
    check_positive("n_features", n_features, integer=True)
    check_positive("shift", shift, strict=False)
    check_positive("scale", scale)
    rng = check_random_state(random_state)
    mean = np.zeros(n_features)
    mean[0] = shift
    Xs = rng.normal(size=(n_source, n_features))
    Xt = mean + scale * rng.normal(size=(n_target, n_features))

    def label(X: np.ndarray) -> np.ndarray:
        return (X[:, 0] + 0.5 * X[:, 0] ** 2 > 0.3).astype(int)

    return GaussianShift(Xs, label(Xs), Xt, label(Xt), mean, float(scale))


def normalised_mse(weights: Any, true_ratio: Any) -> float:
    r"""Normalised mean squared error of estimated importance weights.

    Both vectors are rescaled to mean one (weights are defined up to a constant), then

    .. math::
        \mathrm{NMSE} = \frac{\sum_i (\hat w_i - w_i)^2}{\sum_i w_i^2} .

    Uniform weights score :math:`\operatorname{Var}(w)/\mathbb E[w^2]`.

    Examples
    --------
    >>> normalised_mse([1.0, 2.0], [2.0, 4.0])
    0.0
    """
    w = np.asarray(weights, dtype=float).ravel()
    r = np.asarray(true_ratio, dtype=float).ravel()
    if w.shape != r.shape:
        raise TransferKitInputError(
            f"weights has {w.shape[0]} entries but true_ratio has {r.shape[0]}; pass one "
            "value per source sample in both."
        )
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(r))) or w.mean() <= 0 or r.mean() <= 0:
        raise TransferKitInputError(
            "weights and true_ratio must be finite and non-negative with a positive mean."
        )
    w = w / w.mean()
    r = r / r.mean()
    return float(np.sum((w - r) ** 2) / np.sum(r**2))
