"""Density ratio from a probabilistic domain classifier (Bickel et al., ICML 2007)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from transferkit._validation import (
    HasMethods,
    Interval,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
    check_random_state,
)
from transferkit.base import BaseWeighter

__all__ = ["DiscriminativeDensityRatio"]

CALIBRATIONS = ("sigmoid", "isotonic", "none")


class DiscriminativeDensityRatio(BaseWeighter):
    r"""Importance weights from a calibrated classifier that tells target from source.

    A probabilistic classifier is trained to predict the domain :math:`d \in \{0, 1\}`
    (0 = source, 1 = target) of a sample. By Bayes' rule its posterior gives the
    density ratio

    .. math::
        w(x) = \frac{p_t(x)}{p_s(x)}
             = \frac{n_s}{n_t}\,\frac{P(d=1 \mid x)}{P(d=0 \mid x)} ,

    which is exact when the posterior is. Posteriors are calibrated with
    :class:`~sklearn.calibration.CalibratedClassifierCV` (cross-validated Platt
    scaling by default), clipped to :math:`[c, 1-c]` so that a single over-confident
    prediction cannot blow a weight up (it bounds the ratio by
    :math:`\frac{n_s}{n_t}\frac{1-c}{c}`), and the weights are normalised to mean one on
    the training source, :math:`\frac1{n_s}\sum_i w(x^s_i) = 1`. The same scale is
    applied by :meth:`compute_weights`.

    With a logistic-regression classifier the log-ratio is modelled as a linear
    function, which is exact for two Gaussians with a shared covariance; any
    scikit-learn classifier with ``predict_proba`` may be used for richer shifts.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        The domain classifier; default ``LogisticRegression(C=1.0, max_iter=1000)``.
        Cloned at fit.
    calibration : {"sigmoid", "isotonic", "none"}, default="sigmoid"
        Posterior calibration; ``"none"`` trains the classifier once on all samples and
        uses its ``predict_proba`` as is.
    cv : int, default=5
        Folds of the calibration (stratified by domain, shuffled with ``random_state``).
        Both domains need at least ``cv`` samples.
    clip : float, default=0.01
        Posteriors are clipped to ``[clip, 1 - clip]`` (must be in ``(0, 0.5)``).
    random_state : int, RandomState or None
        Seeds the folds and, if it has one, the classifier's ``random_state``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Normalised weights of the training source samples (mean one).
    effective_sample_size_ : float
        Kish's effective sample size of ``weights_``.
    classifier_ : fitted classifier (calibrated unless ``calibration="none"``)
    prior_ratio_ : float
        :math:`n_s / n_t`.
    scale_ : float
        Normalisation constant applied to the raw ratio.

    References
    ----------
    S. Bickel, M. Brückner, T. Scheffer. *Discriminative Learning for Differing
    Training and Test Distributions.* ICML 2007.
    M. Sugiyama, T. Suzuki, T. Kanamori. *Density Ratio Estimation in Machine
    Learning*, Cambridge University Press 2012, ch. 4 (probabilistic classification).

    Examples
    --------
    >>> from transferkit.instance import DiscriminativeDensityRatio
    >>> from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse
    >>> prob = make_gaussian_shift(1000, 1000, 2, shift=0.5, random_state=0)
    >>> dr = DiscriminativeDensityRatio(random_state=0)
    >>> dr = dr.fit(prob.X_source, X_target=prob.X_target)
    >>> round(float(dr.weights_.mean()), 6)
    1.0
    >>> bool(normalised_mse(dr.weights_, prob.true_ratio(prob.X_source)) < 0.05)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit"]), None],
        "calibration": [StrOptions(set(CALIBRATIONS))],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "clip": [Interval(Real, 0, 0.5, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        calibration: str = "sigmoid",
        cv: int = 5,
        clip: float = 0.01,
        random_state: Any = None,
    ):
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.clip = clip
        self.random_state = random_state

    def _make_estimator(self, rng: np.random.RandomState) -> Any:
        if self.estimator is None:
            return LogisticRegression(C=1.0, max_iter=1000)
        if not hasattr(self.estimator, "fit"):
            raise TypeError(
                f"estimator must be a scikit-learn classifier; got {type(self.estimator).__name__}."
            )
        est = clone(self.estimator)
        params = est.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
        return est

    def _fit(self, data: ValidatedDomains) -> np.ndarray:
        Xs, Xt = data.X, data.X_target
        ns, nt = Xs.shape[0], Xt.shape[0]
        rng = check_random_state(self.random_state)
        est = self._make_estimator(rng)
        Z = np.vstack([Xs, Xt])
        d = np.concatenate([np.zeros(ns, dtype=int), np.ones(nt, dtype=int)])
        if self.calibration == "none":
            if min(ns, nt) < 1:  # pragma: no cover - guarded by validation
                raise TransferKitInputError("Both domains need at least one sample.")
            classifier = est.fit(Z, d)
        else:
            if min(ns, nt) < self.cv:
                which = "X_target" if nt < ns else "X (source)"
                raise TransferKitInputError(
                    f"{which} has {min(ns, nt)} samples but calibration with cv={self.cv} "
                    f"needs at least {self.cv} samples in each domain. Lower cv, pass "
                    "calibration='none', or give more target samples."
                )
            folds = StratifiedKFold(
                self.cv, shuffle=True, random_state=int(rng.randint(np.iinfo(np.int32).max))
            )
            classifier = CalibratedClassifierCV(est, method=self.calibration, cv=folds)
            classifier.fit(Z, d)
        if not hasattr(classifier, "predict_proba"):
            raise TypeError(
                f"{type(est).__name__} has no predict_proba; the density ratio needs a "
                "probabilistic classifier (e.g. LogisticRegression) or a calibration."
            )
        self.classifier_ = classifier
        self.prior_ratio_ = ns / nt
        self.scale_ = 1.0
        raw = self._compute_weights(Xs)
        self.scale_ = 1.0 / float(raw.mean())
        return raw * self.scale_

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        proba = self.classifier_.predict_proba(X)
        column = int(np.flatnonzero(self.classifier_.classes_ == 1)[0])
        p = np.clip(proba[:, column], self.clip, 1.0 - self.clip)
        return self.scale_ * self.prior_ratio_ * p / (1.0 - p)
