"""A meta-estimator that keeps a transfer method only when it is estimated to help."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone

from transferkit._validation import (
    HasMethods,
    Interval,
    StrOptions,
    ValidatedDomains,
    check_option,
)
from transferkit.base import BaseTransferClassifier
from transferkit.negative.assess import TransferAssessment, assess_transfer

__all__ = ["NegativeTransferGuard"]

RULES = ("point", "confident")


class NegativeTransferGuard(BaseTransferClassifier):
    r"""Fit a transfer method and its baseline; keep the method only if it is estimated to help.

    At fit, :func:`~transferkit.negative.assess_transfer` estimates the target-accuracy
    gain :math:`\hat G` of ``method`` over ``baseline`` (from a few target labels when
    ``y_target`` has some, label-free otherwise). The guard then predicts with

    .. math::
        \hat f = \begin{cases} f_{\text{method}} & \text{if } \hat G > 0
        \ (\text{rule "point"}) \text{ or } \hat G_{\text{low}} > 0
        \ (\text{rule "confident"}),\\
        f_{\text{baseline}} & \text{otherwise.} \end{cases}

    Parameters
    ----------
    method : transfer classifier
        The transfer method to guard (e.g. ``make_transfer_pipeline(CORAL(), ...)``).
    baseline : classifier
        The no-transfer reference (e.g. :class:`~transferkit.SourceOnly` with the same
        final classifier, or :class:`~transferkit.TargetOnly` with target labels).
    rule : {"point", "confident"}, default="point"
        ``"point"`` keeps the method when the estimated gain is positive; ``"confident"``
        only when the whole interval is above zero.
    n_splits, confidence, weighter, random_state
        Passed to :func:`~transferkit.negative.assess_transfer`.

    Attributes
    ----------
    report_ : TransferAssessment
        The evidence behind the decision.
    use_method_ : bool
        Whether the method was kept.
    chosen_ : fitted estimator
        The model that predicts.
    classes_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly, TargetOnly
    >>> from transferkit.negative import NegativeTransferGuard
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 2)); ys = (Xs[:, 1] > 0).astype(int)
    >>> Xt = rng.normal(size=(200, 2)); yt = np.where(np.arange(200) < 40, Xt[:, 0] > 0, -1)
    >>> guard = NegativeTransferGuard(SourceOnly(LogisticRegression()),
    ...                               TargetOnly(LogisticRegression()), random_state=0)
    >>> guard.fit(Xs, ys, X_target=Xt, y_target=yt.astype(int)).use_method_
    False
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [HasMethods(["fit", "predict"])],
        "baseline": [HasMethods(["fit", "predict"])],
        "rule": [StrOptions(set(RULES))],
        "n_splits": [Interval(Integral, 2, 1000, closed="both")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "weighter": [HasMethods(["fit"]), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        method: Any,
        baseline: Any,
        *,
        rule: str = "point",
        n_splits: int = 5,
        confidence: float = 0.95,
        weighter: Any = None,
        random_state: Any = None,
    ):
        self.method = method
        self.baseline = baseline
        self.rule = rule
        self.n_splits = n_splits
        self.confidence = confidence
        self.weighter = weighter
        self.random_state = random_state

    def _fit(self, data: ValidatedDomains) -> None:
        check_option("rule", self.rule, RULES)
        report: TransferAssessment = assess_transfer(
            self.method,
            self.baseline,
            data.X,
            data.y,
            X_target=data.X_target,
            y_target=data.y_target,
            n_splits=self.n_splits,
            confidence=self.confidence,
            weighter=self.weighter,
            random_state=self.random_state,
        )
        keep = report.gain > 0 if self.rule == "point" else report.interval[0] > 0
        chosen = clone(self.method if keep else self.baseline)
        chosen.fit(data.X, data.y, X_target=data.X_target, y_target=data.y_target)
        self.report_ = report
        self.use_method_ = bool(keep)
        self.chosen_ = chosen

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.chosen_.predict(X, domain=domain)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.chosen_.predict_proba(X, domain=domain)
