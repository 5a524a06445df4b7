"""Importance-weighted learning: any scikit-learn estimator trained with density-ratio weights."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import MetaEstimatorMixin, is_classifier
from sklearn.utils.metaestimators import available_if

from transferkit._validation import HasMethods, ValidatedDomains
from transferkit.base import BaseTransferEstimator, BaseWeighter
from transferkit.pipeline import TransferPipeline, _delegate_tags

__all__ = ["ImportanceWeighted"]


def _estimator_has(attr: str):
    def check(self: ImportanceWeighted) -> bool:
        target = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(target, attr)

    return check


class ImportanceWeighted(MetaEstimatorMixin, BaseTransferEstimator):
    r"""Train any scikit-learn estimator on the importance-weighted source.

    The weighter estimates :math:`w(x) \approx p_t(x)/p_s(x)` from the source and the
    unlabelled target; the estimator then minimises the importance-weighted empirical
    risk, an unbiased estimate of the target risk under covariate shift
    (Shimodaira, 2000):

    .. math::
        \hat f = \arg\min_f \sum_{i=1}^{n_s} w(x^s_i)\,\ell\bigl(f(x^s_i), y^s_i\bigr) ,

    through the estimator's ``sample_weight``. Works for classifiers and regressors
    (continuous ``y`` when the estimator is a regressor). ``y_target``, if given, is
    validated (one entry per target sample, known classes) but not trained on (use
    :class:`TrAdaBoost` to exploit a few labelled target samples).

    **One weight convention.** ``sample_weight`` is the weighter's ``weights_``
    unchanged: each weighter returns its own estimate of :math:`p_t/p_s`, whose mean
    over the training source is one by construction or approximately (KLIEP and the
    discriminative ratio exactly, KMM within its :math:`\epsilon`, uLSIF in
    expectation). This is a face over the pipeline: ``ImportanceWeighted(estimator,
    weighter)`` trains and predicts exactly as
    ``make_transfer_pipeline(weighter, estimator, use_target_labels=False)``.

    Parameters
    ----------
    estimator : scikit-learn estimator whose ``fit`` accepts ``sample_weight``
    weighter : transferkit weighter (KMM, KLIEP, ULSIF, RuLSIF, DiscriminativeDensityRatio)

    Attributes
    ----------
    weighter_ : fitted weighter
    estimator_ : fitted estimator
    weights_ : ndarray of shape (n_source,)
        The weights used as ``sample_weight`` (the weighter's ``weights_``).
    effective_sample_size_ : float
    pipeline_ : fitted :class:`~transferkit.TransferPipeline` doing the work

    References
    ----------
    H. Shimodaira. *Improving predictive inference under covariate shift by weighting
    the log-likelihood function.* J. Stat. Plan. Inference 90, 2000.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from transferkit.instance import ImportanceWeighted, ULSIF
    >>> from transferkit.instance.synthetic import make_gaussian_shift
    >>> prob = make_gaussian_shift(400, 400, 1, shift=1.5, scale=0.5, random_state=0)
    >>> f = lambda X: X[:, 0] ** 2   # linear model, quadratic truth: the fit depends on p(x)
    >>> model = ImportanceWeighted(LinearRegression(), ULSIF())
    >>> model = model.fit(prob.X_source, f(prob.X_source), X_target=prob.X_target)
    >>> plain = LinearRegression().fit(prob.X_source, f(prob.X_source))
    >>> yt = f(prob.X_target)
    >>> bool(model.score(prob.X_target, yt) > plain.score(prob.X_target, yt))
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit"])],
        "weighter": [HasMethods(["fit"])],
    }

    def __init__(self, estimator: Any, weighter: Any):
        self.estimator = estimator
        self.weighter = weighter

    @property
    def _classification(self) -> bool:  # type: ignore[override]
        return is_classifier(self.estimator)

    def __sklearn_tags__(self):
        return _delegate_tags(super().__sklearn_tags__(), self.estimator)

    def _fit(self, data: ValidatedDomains) -> None:
        if not isinstance(self.weighter, BaseWeighter):
            raise TypeError(
                "weighter must be a transferkit weighter (KMM, KLIEP, ULSIF, RuLSIF, "
                f"DiscriminativeDensityRatio); got {type(self.weighter).__name__}."
            )
        pipeline = TransferPipeline(
            [("weighter", self.weighter), ("estimator", self.estimator)],
            use_target_labels=False,
        )
        pipeline.fit(**data.fit_params())
        self.pipeline_ = pipeline
        self.weighter_ = pipeline.steps_[0][1]
        self.estimator_ = pipeline.estimator_
        self.weights_ = self.weighter_.weights_
        self.effective_sample_size_ = self.weighter_.effective_sample_size_

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any, domain: str = "target") -> np.ndarray:
        """Class probabilities of the weighted estimator."""
        Xc = self._check_fitted_input(X)
        return self.pipeline_.predict_proba(Xc, domain)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any, domain: str = "target") -> np.ndarray:
        """Decision function of the weighted estimator."""
        Xc = self._check_fitted_input(X)
        return self.estimator_.decision_function(Xc)
