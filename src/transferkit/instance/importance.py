"""Importance-weighted learning: any scikit-learn estimator trained with density-ratio weights."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from transferkit._validation import (
    HasMethods,
    TransferKitInputError,
    ValidatedDomains,
    check_matrix,
    check_source_target,
    validate_parameters,
)
from transferkit.base import BaseWeighter

__all__ = ["ImportanceWeighted"]


def _estimator_has(attr: str):
    def check(self: ImportanceWeighted) -> bool:
        target = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(target, attr)

    return check


class ImportanceWeighted(MetaEstimatorMixin, BaseEstimator):
    r"""Train any scikit-learn estimator on the importance-weighted source.

    The weighter estimates :math:`w(x) \approx p_t(x)/p_s(x)` from the source and the
    unlabelled target; the estimator then minimises the importance-weighted empirical
    risk, an unbiased estimate of the target risk under covariate shift
    (Shimodaira, 2000):

    .. math::
        \hat f = \arg\min_f \sum_{i=1}^{n_s} w(x^s_i)\,\ell\bigl(f(x^s_i), y^s_i\bigr) ,

    through the estimator's ``sample_weight``. Works for classifiers and regressors
    (continuous ``y`` when the estimator is a regressor). Target labels, if given, are
    ignored (use :class:`TrAdaBoost` to exploit a few labelled target samples).

    Parameters
    ----------
    estimator : scikit-learn estimator whose ``fit`` accepts ``sample_weight``
    weighter : transferkit weighter (KMM, KLIEP, ULSIF, RuLSIF, DiscriminativeDensityRatio)
    normalize : bool, default=True
        Rescale the weights to mean one before training, so that the balance between
        the loss and the estimator's regulariser is the same as without weights.

    Attributes
    ----------
    weighter_ : fitted weighter
    estimator_ : fitted estimator
    weights_ : ndarray of shape (n_source,)
        The weights used as ``sample_weight``.
    effective_sample_size_ : float

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
        "normalize": ["boolean"],
    }

    def __init__(self, estimator: Any, weighter: Any, *, normalize: bool = True):
        self.estimator = estimator
        self.weighter = weighter
        self.normalize = normalize

    def fit(self, X: Any, y: Any, *, X_target: Any = None, y_target: Any = None):
        """Fit the weighter on (X, X_target), then the estimator with ``sample_weight``."""
        validate_parameters(self)
        if not isinstance(self.weighter, BaseWeighter):
            raise TypeError(
                "weighter must be a transferkit weighter (KMM, KLIEP, ULSIF, RuLSIF, "
                f"DiscriminativeDensityRatio); got {type(self.weighter).__name__}."
            )
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise TransferKitInputError(
                f"{type(self.estimator).__name__}.fit does not accept sample_weight; choose "
                "an estimator that does (e.g. LogisticRegression, Ridge, SVC)."
            )
        classification = is_classifier(self.estimator)
        data: ValidatedDomains = check_source_target(
            X, y, X_target, None, classification=classification, min_classes=2
        )
        self.n_features_in_ = data.X.shape[1]
        self.weighter_ = clone(self.weighter).fit(data.X, X_target=data.X_target)
        weights = self.weighter_.weights_
        self.weights_ = weights / weights.mean() if self.normalize else weights
        self.effective_sample_size_ = self.weighter_.effective_sample_size_
        self.estimator_ = clone(self.estimator).fit(data.X, data.y, sample_weight=self.weights_)
        if classification:
            self.classes_ = self.estimator_.classes_
        return self

    def _check(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return check_matrix(X, "X", n_features=self.n_features_in_)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of the weighted estimator."""
        return self.estimator_.predict(self._check(X))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the weighted estimator."""
        return self.estimator_.predict_proba(self._check(X))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of the weighted estimator."""
        return self.estimator_.decision_function(self._check(X))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The estimator's own score (accuracy or R²) on ``(X, y)``."""
        return float(self.estimator_.score(self._check(X), y, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = clone(self.estimator).__sklearn_tags__()
        tags.estimator_type = est_tags.estimator_type
        return tags
