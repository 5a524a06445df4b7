"""The core contract: base classes for adapters, weighters and transfer classifiers.

Every transferkit method is a scikit-learn estimator that receives the **source** as
the ordinary ``(X, y)`` and the **target** as keyword arguments::

    method.fit(X, y, *, X_target, y_target=None, sample_domain=None)

``y_target`` is optional; when given it has one entry per target sample and ``-1``
marks an unlabelled one. ``sample_domain`` (skada's convention) gives every row of ``X``
a domain id: ids ``>= 0`` are labelled sources (several ids = several sources), negative
ids the target (skada's fully stacked form, without ``X_target``) or intermediate
domains (when ``X_target`` is given); see :func:`transferkit._validation.check_domains`.
Each class declares how many sources it accepts (``_max_sources``; ``None`` = any).
Three roles share this ``fit``:

* :class:`BaseAdapter` (feature mapping) adds ``transform(X, domain="source"|"target")``;
* :class:`BaseWeighter` (instance re-weighting) stores ``weights_`` for the source
  samples and adds ``compute_weights(X)``;
* :class:`BaseTransferClassifier` adds ``predict``, ``predict_proba`` and ``score``
  (accuracy); :class:`BaseTransferRegressor` adds ``predict`` and ``score`` (R²). Both
  share :class:`BaseTransferEstimator`, which estimators that are a classifier or a
  regressor depending on a wrapped estimator (``TransferPipeline``,
  ``ImportanceWeighted``) subclass directly.

A subclass implements one private method (``_fit`` plus ``_transform``,
``_compute_weights`` or ``_predict``); the base class does validation, fitted-state
checks and the scikit-learn plumbing: every ``fit`` stores ``n_features_in_`` and, for
a DataFrame with string column names, ``feature_names_in_``; every ``transform``,
``predict`` or ``compute_weights`` refuses a DataFrame whose columns were renamed or
reordered since fit (:class:`~transferkit.DomainMismatchError`) and raises
:class:`~sklearn.exceptions.NotFittedError` before fit. Subclasses declare what they need with class
attributes (``_requires_source_labels``, ``_requires_target``,
``_requires_target_labels``, ``_max_sources``), so that missing data is reported before
any work starts.

Hyper-parameters are declared once per class in ``_parameter_constraints`` (the
scikit-learn vocabulary: ``Interval``, ``StrOptions``, ``None``, ...) and checked once,
at the start of ``fit``; a bad value raises
:class:`~transferkit.InvalidParameterError` naming the parameter and what it allows.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from transferkit._validation import (
    DomainMismatchError,
    TransferKitInputError,
    ValidatedDomains,
    check_domains,
    check_feature_names,
    check_fit_feature_names,
    check_matrix,
    check_option,
    check_sample_domain,
    check_sample_weights,
    effective_sample_size,
    validate_parameters,
)

__all__ = [
    "TransferMixin",
    "BaseAdapter",
    "BaseWeighter",
    "BaseTransferEstimator",
    "BaseTransferClassifier",
    "BaseTransferRegressor",
    "multi_source_estimators",
]

DOMAINS = ("source", "target")


class TransferMixin:
    """Declares which data a method needs and validates a source/target pair."""

    _requires_source_labels: bool = True
    _requires_target: bool = True
    _requires_target_labels: bool = False
    _min_classes: int = 2
    _classification: bool = True  # False: continuous y (regressors), NaN = unlabelled target
    #: How many source domains ``fit`` accepts; ``None`` = any number.
    _max_sources: int | None = 1
    #: Rules of every ``__init__`` parameter (see ``_validation.validate_parameters``).
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def _validate_params(self) -> None:
        """Check every hyper-parameter against ``_parameter_constraints`` (once per fit)."""
        validate_parameters(self)

    def _validate_domains(
        self, X: Any, y: Any, X_target: Any, y_target: Any, sample_domain: Any = None
    ) -> ValidatedDomains:
        data = check_domains(
            X,
            y,
            X_target,
            y_target,
            sample_domain=sample_domain,
            require_source_labels=self._requires_source_labels,
            require_target=self._requires_target,
            require_target_labels=self._requires_target_labels,
            min_classes=self._min_classes if self._requires_source_labels else 0,
            classification=self._classification,
        )
        _check_n_sources(self, data)
        return data

    def _validate_fit(
        self, X: Any, y: Any, X_target: Any, y_target: Any, sample_domain: Any = None
    ) -> ValidatedDomains:
        """Validate the domains of ``fit`` and store ``n_features_in_``/``feature_names_in_``."""
        data = self._validate_domains(X, y, X_target, y_target, sample_domain)
        names = check_fit_feature_names(X, X_target)
        self.n_features_in_ = data.X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return data

    def _check_fitted_input(self, X: Any, name: str = "X") -> np.ndarray:
        # Name the attribute: a constructor parameter ending in "_" (CORAL's ``lambda_``)
        # would otherwise make scikit-learn's default check believe the model is fitted.
        check_is_fitted(self, "n_features_in_")
        check_feature_names(
            getattr(self, "feature_names_in_", None), X, name, estimator=type(self).__name__
        )
        return check_matrix(X, name, n_features=self.n_features_in_, estimator=type(self).__name__)


class BaseAdapter(TransferMixin, TransformerMixin, BaseEstimator):
    """Base class of feature-mapping methods (TCA, JDA, CORAL, ...).

    Subclasses implement ``_fit(data)`` and ``_transform(X, domain)``.

    ``fit`` stores ``n_features_in_``; ``transform(X, domain)`` maps new samples of the
    named domain into the shared space. Methods that align only one domain (CORAL
    re-colours the source) return the other domain unchanged. ``fit_transform``
    returns the mapped **source**, so that an adapter can precede an estimator in a
    scikit-learn pipeline.
    """

    _requires_source_labels = False

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
    ):
        """Learn the mapping from source ``(X, y)`` and target ``X_target``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source (or, with ``sample_domain``, the stacked domains).
        y : array-like of shape (n_samples,), optional (required by some adapters)
        X_target : array-like of shape (n_target, n_features) or TargetDomain
        y_target : array-like of shape (n_target,), optional, ``-1`` = unlabelled
        sample_domain : array-like of int of shape (n_samples,), optional
            Domain id of every row of ``X`` (skada's convention, see the module docstring).

        Returns
        -------
        self
        """
        self._validate_params()
        data = self._validate_fit(X, y, X_target, y_target, sample_domain)
        self._fit(data)
        self._n_features_out = int(self._transform(data.X[:1], "source").shape[1])
        return self

    def transform(self, X: Any, domain: str = "target") -> np.ndarray:
        """Map samples of ``domain`` ("source" or "target") into the adapted space.

        With ``set_output(transform="pandas")`` the result is a DataFrame whose columns
        are :meth:`get_feature_names_out` (and whose index is that of ``X``, if any).
        """
        check_option("domain", domain, DOMAINS)
        Xc = self._check_fitted_input(X)
        return self._transform(Xc, domain)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the adapted features: the lower-case class name and an index.

        ``CORAL`` gives ``coral0, coral1, ...``, ``TCA(n_components=2)`` gives
        ``tca0, tca1`` (the adapted coordinates mix the input features, so they do not
        keep the input names). ``input_features``, if given, must match the names seen
        at fit.
        """
        check_is_fitted(self, "_n_features_out")
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            fitted = getattr(self, "feature_names_in_", None)
            if given.shape != (self.n_features_in_,) or (
                fitted is not None and not np.array_equal(given, fitted)
            ):
                raise DomainMismatchError(
                    f"input_features {given.tolist()[:10]} do not match the "
                    f"{self.n_features_in_} features seen during fit."
                )
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self._n_features_out)], dtype=object)

    def fit_transform(
        self,
        X: Any,
        y: Any = None,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
        **_: Any,
    ) -> np.ndarray:
        """Fit, then return the mapped rows of ``X``.

        Without ``sample_domain`` every row of ``X`` is a source sample; with it, rows with
        a negative id (target or intermediate domains) are mapped as ``"target"``.
        """
        self.fit(X, y, X_target=X_target, y_target=y_target, sample_domain=sample_domain)
        if sample_domain is None:
            return self.transform(X, "source")
        ids = check_sample_domain(sample_domain, self._check_fitted_input(X).shape[0])
        out = self.transform(X, "source")
        if np.any(ids < 0):
            out[ids < 0] = self.transform(X, "target")[ids < 0]
        return out

    def _fit(self, data: ValidatedDomains) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class BaseWeighter(TransferMixin, BaseEstimator):
    """Base class of instance-weighting methods (KMM, KLIEP, density ratio, ...).

    Subclasses implement ``_fit(data) -> weights`` (one non-negative weight per source
    sample) and ``_compute_weights(X)`` for new samples. ``fit`` validates the weights,
    stores them in ``weights_`` with ``effective_sample_size_`` (Kish), and warns with
    :class:`~transferkit.WeightCollapseWarning` when fewer than 10% of the source
    samples effectively carry the weight.
    """

    _requires_source_labels = False

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
    ):
        """Estimate importance weights :math:`w(x) \\approx p_t(x)/p_s(x)` of the source.

        Arguments as :meth:`BaseAdapter.fit`. ``weights_`` has one entry per source row
        (the rows of ``X`` with ``sample_domain >= 0``, in order).
        """
        self._validate_params()
        data = self._validate_fit(X, y, X_target, y_target, sample_domain)
        weights = self._fit(data)
        self.weights_ = check_sample_weights(weights, data.X.shape[0], name="weights_")
        self.effective_sample_size_ = effective_sample_size(self.weights_)
        return self

    def compute_weights(self, X: Any) -> np.ndarray:
        """Importance weights of new samples ``X`` (same estimate as ``weights_``)."""
        Xc = self._check_fitted_input(X)
        return check_sample_weights(self._compute_weights(Xc), Xc.shape[0])

    def _fit(self, data: ValidatedDomains) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class BaseTransferEstimator(TransferMixin, BaseEstimator):
    """Base class of methods that end in a predictor (classifier or regressor).

    Subclasses implement ``_fit(data)`` and ``_predict(X, domain)`` (classifiers may
    implement ``_predict_proba`` instead). ``fit`` validates the domains (continuous
    ``y`` with ``NaN`` = unlabelled target for regressors, class labels with ``-1`` for
    classifiers), stores ``n_features_in_``, ``feature_names_in_`` (DataFrames),
    ``classes_`` (classifiers) and ``domains_``, the validated training domains, which
    the label-free scorers of :mod:`transferkit.selection` read the target from.
    ``predict`` and ``score`` take ``domain="target"`` (default) or ``"source"``.

    Whether the estimator is a classifier is ``_classification`` (a class attribute,
    or a property for wrappers that follow their inner estimator).
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
    ):
        """Train on labelled source ``(X, y)`` and the target domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source (or, with ``sample_domain``, the stacked domains).
        y : array-like of shape (n_samples,)
        X_target : array-like of shape (n_target, n_features) or TargetDomain
        y_target : array-like of shape (n_target,), optional
            ``-1`` (classification) or ``NaN`` (regression) marks an unlabelled sample.
        sample_domain : array-like of int of shape (n_samples,), optional
            Domain id of every row of ``X`` (skada's convention, see the module docstring).

        Returns
        -------
        self
        """
        self._validate_params()
        data = self._validate_fit(X, y, X_target, y_target, sample_domain)
        if self._classification:
            self.classes_ = data.classes
        elif hasattr(self, "classes_"):
            del self.classes_
        self._fit(data)
        self.domains_ = data
        return self

    def predict(self, X: Any, domain: str = "target") -> np.ndarray:
        """Prediction for each sample of ``domain`` (default: target)."""
        check_option("domain", domain, DOMAINS)
        Xc = self._check_fitted_input(X)
        return self._predict(Xc, domain)

    def score(self, X: Any, y: Any, sample_weight: Any = None, domain: str = "target") -> float:
        """Accuracy (classifiers) or :math:`R^2` (regressors) on ``(X, y)`` of ``domain``."""
        from sklearn.metrics import accuracy_score, r2_score

        metric = accuracy_score if self._classification else r2_score
        return float(metric(y, self.predict(X, domain=domain), sample_weight=sample_weight))

    def _fit(self, data: ValidatedDomains) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class BaseTransferRegressor(RegressorMixin, BaseTransferEstimator):
    """Base class of transfer regressors (TrAdaBoostR2, ...).

    ``y`` and ``y_target`` are continuous; ``NaN`` in ``y_target`` marks an unlabelled
    target sample. Subclasses implement ``_fit(data)`` and ``_predict(X, domain)``;
    ``score`` is :math:`R^2` on the named domain.
    """

    _classification = False

    def score(self, X: Any, y: Any, sample_weight: Any = None, domain: str = "target") -> float:
        """:math:`R^2` of the predictions on ``(X, y)`` taken from ``domain``."""
        return BaseTransferEstimator.score(self, X, y, sample_weight=sample_weight, domain=domain)


class BaseTransferClassifier(ClassifierMixin, BaseTransferEstimator):
    """Base class of methods that end in a classifier (SourceOnly, TrAdaBoost, DANN...).

    Subclasses implement ``_fit(data)`` and ``_predict_proba(X, domain)`` (or
    ``_predict``). ``classes_`` holds the source classes in sorted order; the columns
    of ``predict_proba`` follow it.
    """

    _classification = True

    def predict_proba(self, X: Any, domain: str = "target") -> np.ndarray:
        """Class probabilities, columns ordered as ``classes_``."""
        check_option("domain", domain, DOMAINS)
        Xc = self._check_fitted_input(X)
        return self._predict_proba(Xc, domain)

    def score(self, X: Any, y: Any, sample_weight: Any = None, domain: str = "target") -> float:
        """Accuracy on ``(X, y)`` taken from ``domain`` (default: target)."""
        return BaseTransferEstimator.score(self, X, y, sample_weight=sample_weight, domain=domain)

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        proba = self._predict_proba(X, domain)
        return self.classes_[np.argmax(proba, axis=1)]

    def _fit(self, data: ValidatedDomains) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def multi_source_estimators() -> list[str]:
    """Names of the imported public estimators that accept several source domains.

    Examples
    --------
    >>> "SourceOnly" in multi_source_estimators()
    True
    """
    import importlib

    # ``import transferkit`` is lazy: import the families that hold multi-source methods
    # (others are listed once imported).
    for family in ("transferkit.baselines", "transferkit.multisource"):
        try:
            importlib.import_module(family)
        except ImportError:  # pragma: no cover - a family missing from a light install
            pass
    found: set[str] = set()
    stack = list(TransferMixin.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if (
            cls.__name__.startswith("_")
            or not cls.__module__.startswith("transferkit")
            or getattr(cls, "_passes_domains", False)
            or cls
            in (
                BaseAdapter,
                BaseWeighter,
                BaseTransferEstimator,
                BaseTransferClassifier,
                BaseTransferRegressor,
            )
        ):
            continue
        limit = cls._max_sources
        if limit is None or limit > 1:
            found.add(cls.__name__)
    return sorted(found)


def _check_n_sources(estimator: Any, data: ValidatedDomains) -> None:
    """Raise when ``estimator`` accepts fewer source domains than ``data`` holds."""
    limit = getattr(estimator, "_max_sources", 1)
    if limit is None or data.n_sources <= limit:
        return
    name = type(estimator).__name__
    accepts = "one source domain" if limit == 1 else f"at most {limit} source domains"
    options = ", ".join(multi_source_estimators())
    raise TransferKitInputError(
        f"{name} accepts {accepts}, but sample_domain names {data.n_sources} sources (ids "
        f"{data.source_ids.tolist()}). Either pool them into one source: drop "
        "sample_domain (when X holds only source rows) or pass "
        "sample_domain=transferkit.compat.pool_sources(sample_domain); or use an estimator "
        f"that accepts several sources: {options} (SourceOnly and TargetOnly are the "
        "pooling baselines)."
    )
