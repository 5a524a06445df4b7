"""Reference points every transfer method is compared with: no transfer at all."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone

from transferkit._validation import HasMethods, LabelError, ValidatedDomains
from transferkit.base import BaseTransferClassifier
from transferkit.pipeline import _align_proba

__all__ = ["LabelledTargetAsSource", "SourceOnly", "TargetOnly"]


class _DelegatingClassifier(BaseTransferClassifier):
    """Shared plumbing: train one cloned scikit-learn estimator, then delegate to it."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit", "predict"])]
    }

    def _train(self, X: np.ndarray, y: np.ndarray) -> None:
        self.estimator_ = clone(self.estimator).fit(X, y)

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(X)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        if not hasattr(self.estimator_, "predict_proba"):
            raise AttributeError(f"{type(self.estimator_).__name__} has no predict_proba.")
        return _align_proba(
            self.estimator_.predict_proba(X), self.estimator_.classes_, self.classes_
        )


class SourceOnly(_DelegatingClassifier):
    r"""Train ``estimator`` on the labelled source and apply it to the target unchanged.

    The "no adaptation" baseline: :math:`\hat f = \arg\min_f \sum_{i \le n_s}
    \ell(f(x^s_i), y^s_i)`. Target data and target labels are ignored (``X_target`` is
    optional and, when given, only checked for a matching feature count). Any gain a
    transfer method claims is measured against this. With several source domains
    (``sample_domain``) it trains on all of them pooled: the multi-source baseline.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned at fit.

    Attributes
    ----------
    estimator_ : the fitted clone
    classes_ : source classes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import SourceOnly
    >>> X = np.array([[0.0], [1.0], [4.0], [5.0]]); y = np.array([0, 0, 1, 1])
    >>> SourceOnly(KNeighborsClassifier(1)).fit(X, y).predict([[0.2], [4.6]])
    array([0, 1])
    """

    _requires_target = False
    _max_sources = None  # the pooling baseline: every source domain, pooled

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def _fit(self, data: ValidatedDomains) -> None:
        self._train(data.X, data.y)


class TargetOnly(_DelegatingClassifier):
    r"""Train ``estimator`` on the few labelled target samples only.

    :math:`\hat f = \arg\min_f \sum_{j:\,y^t_j \ne -1} \ell(f(x^t_j), y^t_j)`. The
    source is used only to define the label space (``classes_``), so that probabilities
    of classes absent from the labelled target are reported as 0. Transfer is worth it
    only when it beats both this and :class:`SourceOnly`.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned at fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import TargetOnly
    >>> Xs = np.zeros((4, 1)); ys = np.array([0, 0, 1, 1])
    >>> Xt = np.array([[10.0], [11.0], [20.0], [21.0]]); yt = np.array([0, -1, 1, -1])
    >>> TargetOnly(KNeighborsClassifier(1)).fit(Xs, ys, X_target=Xt, y_target=yt).predict(Xt)
    array([0, 0, 1, 1])
    """

    _requires_target_labels = True
    _max_sources = None  # the sources only define the label space

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def _fit(self, data: ValidatedDomains) -> None:
        mask = data.target_labelled
        labelled = np.unique(data.y_target[mask])
        if labelled.size < 2:
            raise LabelError(
                f"TargetOnly trains on the labelled target samples only, and y_target labels "
                f"just one class ({labelled.tolist()}, {int(mask.sum())} sample(s)); label "
                "target samples of at least 2 classes (or use SourceOnly or a transfer "
                "method that also learns from the source)."
            )
        self._train(data.X_target[mask], data.y_target[mask])


class LabelledTargetAsSource(_DelegatingClassifier):
    r"""Train ``estimator`` with the labelled target samples appended to the source.

    The labelled target samples (``y_target != -1``) join the labelled training set and
    the whole target stays the unlabelled target domain:
    ``clone(estimator).fit(vstack([X, X_target[labelled]]), concatenate([y,
    y_target[labelled]]), X_target=X_target)`` for a transfer estimator (one whose
    ``fit`` takes ``X_target``, e.g. :class:`transferkit.deep.DANN`), and
    ``clone(estimator).fit(vstack(...), concatenate(...))`` for a plain scikit-learn
    classifier, which is then :math:`\hat f = \arg\min_f \sum_{i \le n_s}
    \ell(f(x^s_i), y^s_i) + \sum_{j:\, y^t_j \ne -1} \ell(f(x^t_j), y^t_j)`. Without
    labelled target samples (no ``y_target``, or all ``-1``) it is ``estimator`` fitted on
    the source alone, so one entry covers a labelled target budget of zero and more
    (``benchmarks/nilm_cross_country.py``'s "source only" / "pooled" rows and its deep
    methods, whose labelled target records join the source).

    Parameters
    ----------
    estimator : classifier
        A transfer classifier (``fit(X, y, X_target=...)``) or a scikit-learn
        classifier; cloned at fit.

    Attributes
    ----------
    estimator_ : the fitted clone
    classes_ : source classes
    n_target_labelled_ : int
        Labelled target samples appended to the source.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit.baselines import LabelledTargetAsSource
    >>> Xs = np.array([[0.0], [1.0]]); ys = np.array([0, 1])
    >>> Xt = np.array([[10.0], [11.0], [20.0]]); yt = np.array([0, -1, -1])
    >>> model = LabelledTargetAsSource(KNeighborsClassifier(1))
    >>> model.fit(Xs, ys, X_target=Xt, y_target=yt).predict([[9.0], [0.9]])
    array([0, 1])
    >>> model.n_target_labelled_
    1
    """

    _max_sources = 1

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def _fit(self, data: ValidatedDomains) -> None:
        mask = data.target_labelled
        X, y = data.X, data.y
        if mask.any():
            X = np.vstack([X, data.X_target[mask]])
            y = np.concatenate([y, data.y_target[mask]])
        self.n_target_labelled_ = int(mask.sum())
        model = clone(self.estimator)
        if isinstance(model, BaseTransferClassifier) or "X_target" in _fit_arguments(model):
            self.estimator_ = model.fit(X, y, X_target=data.X_target)
        else:
            self.estimator_ = model.fit(X, y)


def _fit_arguments(estimator: Any) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(estimator.fit).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return set()
