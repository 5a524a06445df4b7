"""Interoperability: skada's ``sample_domain`` arrays and ADAPT-style calls.

transferkit's ``fit`` accepts skada's stacked arrays directly
(``fit(X, y, sample_domain=sample_domain)``); the helpers here convert explicitly in
both directions, pool several sources into one, and give users of ADAPT's
``fit(Xs, ys, Xt)`` habits a call that reads the same.

skada's convention: every row of ``X`` carries a domain id; ids ``>= 0`` are labelled
sources, negative ids targets, and unlabelled target rows hold ``y = -1`` (``NaN`` for
regression). With one source and one target skada uses the ids ``1`` and ``-2``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from transferkit._validation import (
    TransferKitInputError,
    _unlabelled_like,
    _unwrap_target,
    check_domains,
    check_labels,
    check_matrix,
    check_sample_domain,
)

__all__ = [
    "split_sample_domain",
    "pool_sources",
    "to_skada",
    "from_skada",
    "adapt_fit",
    "TargetBound",
]


def split_sample_domain(
    X: Any, y: Any, sample_domain: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split skada-style stacked data into transferkit's ``(X, y, X_target, y_target)``.

    skada stacks all samples and marks source samples with a positive
    ``sample_domain`` and target samples with a negative one; unlabelled target rows
    carry ``y = -1``. All source rows are pooled and all negative rows form the target;
    :func:`from_skada` keeps several sources and intermediate domains apart instead.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(4, 2); y = np.array([0, 1, -1, -1])
    >>> Xs, ys, Xt, yt = split_sample_domain(X, y, [1, 1, -2, -2])
    >>> Xs.shape, Xt.shape, yt.tolist()
    ((2, 2), (2, 2), [-1, -1])
    """
    Xc = check_matrix(X, "X")
    yc = check_labels(y, Xc.shape[0], "y", allow_unlabelled=True)
    domains = check_sample_domain(sample_domain, Xc.shape[0])
    source, target = domains >= 0, domains < 0
    if not source.any() or not target.any():
        raise TransferKitInputError(
            "sample_domain needs source (>= 0) and target (negative) entries; got "
            f"{int(source.sum())} source and {int(target.sum())} target rows."
        )
    return Xc[source], yc[source], Xc[target], yc[target]


def pool_sources(sample_domain: Any, *, source_id: int = 1) -> np.ndarray:
    """Merge every source domain into one: all ids ``>= 0`` become ``source_id``.

    The explicit way to give several sources to a single-source method::

        CORAL().fit(X, y, sample_domain=pool_sources(sample_domain), X_target=Xt)

    Target and intermediate ids (negative) are kept.

    Examples
    --------
    >>> pool_sources([1, 2, 2, 3, -4]).tolist()
    [1, 1, 1, 1, -4]
    """
    if not (isinstance(source_id, int | np.integer) and source_id >= 0):
        raise TransferKitInputError(f"source_id must be an integer >= 0; got {source_id!r}.")
    ids = np.asarray(_as_ids(sample_domain))
    return np.where(ids >= 0, int(source_id), ids)


def _as_ids(sample_domain: Any) -> np.ndarray:
    arr = np.asarray(sample_domain)
    return check_sample_domain(arr, arr.shape[0] if arr.ndim == 1 else -1)


def _is_regression(y: Any) -> bool:
    arr = np.asarray(y)
    if arr.dtype.kind != "f":
        return False
    finite = arr[np.isfinite(arr)]
    return bool(np.isnan(arr).any() or np.any(finite != np.round(finite)))


def to_skada(
    X: Any,
    y: Any = None,
    *,
    X_target: Any = None,
    y_target: Any = None,
    sample_domain: Any = None,
    classification: bool | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Stack transferkit's ``fit`` arguments into skada's ``(X, y, sample_domain)``.

    Accepts every form ``fit`` accepts. The rows come out as: source rows (ids as
    given, ``1`` by default), intermediate domains (their ids), then the target, whose
    id is skada's default ``-2`` (or, when ``-2`` is taken by an intermediate domain, one
    below the lowest id). Unlabelled target rows get ``y = -1`` (``NaN`` for regression).

    Parameters
    ----------
    X, y, X_target, y_target, sample_domain : as for ``fit``.
    classification : bool, optional
        Whether ``y`` holds class labels (default: inferred; float labels with ``NaN``
        or non-integral values are regression targets).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None (when ``y`` is None)
    sample_domain : ndarray of int of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> Xs = np.zeros((3, 2)); ys = np.array([0, 1, 0]); Xt = np.ones((2, 2))
    >>> X, y, sample_domain = to_skada(Xs, ys, X_target=Xt)
    >>> X.shape, y.tolist(), sample_domain.tolist()
    ((5, 2), [0, 1, 0, -1, -1], [1, 1, 1, -2, -2])
    """
    if classification is None:
        classification = y is None or not _is_regression(y)
    data = check_domains(
        X,
        y,
        X_target,
        y_target,
        sample_domain=sample_domain,
        require_source_labels=False,
        require_target=False,
        min_classes=0,
        classification=classification,
    )
    blocks = [(data.X, data.y, data.sample_domain)]
    blocks += [(d.X, d.y, np.full(d.n_samples, d.id)) for d in data.intermediates]
    if data.X_target is not None:
        blocks.append(
            (data.X_target, data.y_target, np.full(data.X_target.shape[0], data.target_id))
        )
    X_out = np.vstack([b[0] for b in blocks])
    ids = np.concatenate([b[2] for b in blocks]).astype(np.int64)
    y_out = None
    if data.y is not None:
        y_out = np.concatenate(
            [b[1] if b[1] is not None else _unlabelled_like(data.y, b[0].shape[0]) for b in blocks]
        )
    return X_out, y_out, ids


def from_skada(
    X: Any,
    y: Any,
    sample_domain: Any,
    *,
    target_domain: int | None = None,
    classification: bool | None = None,
) -> dict[str, Any]:
    """Turn skada's stacked ``(X, y, sample_domain)`` into keyword arguments for ``fit``.

    ``model.fit(**from_skada(X, y, sample_domain))`` then trains on the same data. The
    target is ``target_domain`` when given, else the only negative id; the other
    negative ids become intermediate domains. The result holds ``X`` and ``y`` (source
    rows, then intermediate rows), ``X_target`` and ``y_target`` (``None`` when no target
    row is labelled), and ``sample_domain`` unless there is just one source with id
    ``1`` and nothing else (the plain two-domain call).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(5, 2); y = np.array([0, 1, 1, -1, -1])
    >>> params = from_skada(X, y, [1, 2, 2, -3, -3])
    >>> sorted(params), params["sample_domain"].tolist(), params["X_target"].shape
    (['X', 'X_target', 'sample_domain', 'y', 'y_target'], [1, 2, 2], (2, 2))
    """
    Xc = check_matrix(X, "X")
    ids = check_sample_domain(sample_domain, Xc.shape[0])
    if classification is None:
        classification = y is None or not _is_regression(y)
    X_target = y_target = None
    if target_domain is not None:
        if not isinstance(target_domain, int | np.integer) or target_domain >= 0:
            raise TransferKitInputError(
                f"target_domain must be a negative integer id; got {target_domain!r}."
            )
        mask = ids == target_domain
        if not mask.any():
            raise TransferKitInputError(
                f"target_domain={target_domain} does not occur in sample_domain (ids "
                f"{np.unique(ids).tolist()})."
            )
        X_target = Xc[mask]
        if y is not None:
            yarr = np.asarray(y)
            if yarr.shape[0] != ids.shape[0]:
                raise TransferKitInputError(
                    f"y has {yarr.shape[0]} entries for {ids.shape[0]} rows of X."
                )
            y_target = yarr[mask]
            y = yarr[~mask]
        Xc, ids = Xc[~mask], ids[~mask]
    data = check_domains(
        Xc,
        y,
        X_target,
        y_target,
        sample_domain=ids,
        require_source_labels=False,
        require_target=False,
        min_classes=0,
        classification=classification,
    )
    if data.y_target is not None and not data.target_labelled.any():
        data.y_target = None
    return data.fit_params()


def adapt_fit(estimator: Any, Xs: Any, ys: Any, Xt: Any, yt: Any = None, **fit_params: Any) -> Any:
    """Fit ``estimator`` with ADAPT's positional order ``fit(Xs, ys, Xt, yt)``.

    ADAPT's estimators take ``fit(X, y, Xt=None, yt=None)``; transferkit's take the
    target as keywords, ``fit(X, y, X_target=Xt, y_target=yt)``, so that scikit-learn's
    tools see the source as the ordinary ``(X, y)``. This helper is that one line.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import CORAL, make_transfer_pipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(40, 2)); ys = (Xs[:, 0] > 0).astype(int); Xt = Xs + 1.0
    >>> model = adapt_fit(make_transfer_pipeline(CORAL(), LogisticRegression()), Xs, ys, Xt)
    >>> model.predict(Xt).shape
    (40,)
    """
    return estimator.fit(Xs, ys, X_target=Xt, y_target=yt, **fit_params)


def _estimator_has(name: str):
    def check(self: Any) -> bool:
        target = getattr(self, "estimator_", self.estimator)
        return hasattr(target, name)

    return check


class TargetBound(MetaEstimatorMixin, BaseEstimator):
    """A transfer estimator with its target bound, so that plain ``fit(X, y)`` works.

    ADAPT passes the target to the constructor (``KMM(estimator, Xt=Xt)``); this
    wrapper does the same for any transferkit estimator, which lets tools that only call
    ``fit(X, y)`` (``cross_val_score`` without fit parameters, scikit-learn's estimator
    checks) run a transfer method. Prefer ``fit(X, y, X_target=...)`` elsewhere: the bound
    target is a constructor parameter, cloned with the estimator.

    Parameters
    ----------
    estimator : transferkit estimator
        Cloned at fit and fitted as ``fit(X, y, X_target=..., y_target=...)``.
    X_target : array-like or callable
        The target, or ``X_target(X) -> array`` computing it from the training ``X``.
    y_target : array-like or callable, optional
        Target labels (``-1`` = unlabelled), or ``y_target(y) -> array`` computing them
        from the training ``y``.

    Attributes
    ----------
    estimator_ : the fitted clone
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from transferkit import CORAL, make_transfer_pipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> model = TargetBound(make_transfer_pipeline(CORAL(), LogisticRegression()), Xs + 1)
    >>> cross_val_score(model, Xs, ys, cv=3).shape
    (3,)
    """

    def __init__(self, estimator: Any, X_target: Any = None, y_target: Any = None):
        self.estimator = estimator
        self.X_target = X_target
        self.y_target = y_target

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> TargetBound:
        """Fit a clone of ``estimator`` on ``(X, y)`` and the bound target."""
        X_target, y_target = _unwrap_target(self.X_target, self.y_target)
        if callable(X_target):
            X_target = X_target(check_matrix(X, "X"))
        if callable(y_target):
            y_target = y_target(y)
        if X_target is None:
            raise TransferKitInputError(
                "TargetBound needs X_target: pass TargetBound(estimator, X_target=Xt)."
            )
        self.estimator_ = clone(self.estimator).fit(
            X, y, X_target=X_target, y_target=y_target, **fit_params
        )
        self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        """Predictions for target samples."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for target samples."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function for target samples."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> np.ndarray:
        """Map target samples into the adapted space."""
        check_is_fitted(self)
        return self.estimator_.transform(X)

    @available_if(_estimator_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then map the training rows as the **source** they are.

        As :meth:`transferkit.BaseAdapter.fit_transform`; ``transform`` maps new samples
        as target samples, so the two differ for methods that treat the domains apart.
        """
        self.fit(X, y, **fit_params)
        return self.estimator_.transform(X, domain="source")

    @available_if(_estimator_has("score"))
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The wrapped estimator's score on target samples."""
        check_is_fitted(self)
        return float(self.estimator_.score(X, y, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        return tags
