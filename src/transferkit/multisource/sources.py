r"""Several labelled source domains, one target: score, choose, weight and combine sources.

Every estimator here takes the sources in the multi-domain form of the core contract
(stacked in ``X``, ``y`` with a positive ``sample_domain`` id per row; the target as
``X_target``) and a single-source ``method`` (any transfer classifier, e.g.
``make_transfer_pipeline(CORAL(), LogisticRegression())``, or
:class:`~transferkit.SourceOnly`) that is fitted per source or on a subset of sources.

Sources are scored against the target without target labels by a domain distance
:math:`d_k = d(S_k, T)` (smaller is closer):

* :class:`BestSingleSource` keeps the source of smallest :math:`d_k`;
* :class:`SourceSelection` pools the :math:`k` closest sources and fits ``method`` once;
* :class:`WeightedSourceEnsemble` fits ``method`` on every source and averages the class
  probabilities with weights :math:`w_k = \exp(-d_k/\tau) / \sum_j \exp(-d_j/\tau)`,

.. math::
    p(c \mid x) = \sum_k w_k\, p_k(c \mid x).

Pooling all sources is :class:`~transferkit.SourceOnly` (or any method that accepts
several sources) given the same stacked data.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone

from transferkit._validation import (
    HasMethods,
    Interval,
    StrOptions,
    TransferKitInputError,
    check_option,
)
from transferkit._validation import ValidatedDomains as Domains
from transferkit.base import BaseTransferClassifier
from transferkit.metrics.domain_measure import COMPARABLE_DISTANCES as DISTANCES
from transferkit.metrics.domain_measure import comparable_distance
from transferkit.pipeline import _align_proba

__all__ = [
    "BestSingleSource",
    "SourceSelection",
    "WeightedSourceEnsemble",
    "source_distances",
]


def source_distances(
    sources: list[np.ndarray],
    X_target: np.ndarray,
    *,
    distance: str | Callable[[np.ndarray, np.ndarray], float] = "mmd",
    random_state: Any = None,
) -> np.ndarray:
    """Label-free distance of each source sample to the target sample (smaller = closer).

    ``"mmd"``: the square root of the unbiased Gaussian MMD², with one bandwidth for all
    sources (the median heuristic on a pooled subsample), so that sources are compared on
    one scale. ``"proxy_a"``: the proxy A-distance of a cross-validated domain
    classifier. A callable ``f(X_source, X_target) -> float`` is used as given.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Xt = rng.normal(size=(100, 2))
    >>> near, far = rng.normal(size=(100, 2)) + 0.2, rng.normal(size=(100, 2)) + 2.0
    >>> d = source_distances([far, near], Xt, random_state=0)
    >>> int(np.argmin(d))
    1
    """
    measure = comparable_distance(distance, [*sources, X_target], random_state=random_state)
    out = np.array([measure(Xs, X_target) for Xs in sources], dtype=float)
    if not np.all(np.isfinite(out)):
        raise TransferKitInputError(f"the source distances are not finite: {out.tolist()}.")
    return out


class _MultiSource(BaseTransferClassifier):
    """Shared plumbing: score the sources of ``data`` against the target."""

    _max_sources = None

    def _score_sources(self, data: Domains) -> tuple[list[Any], np.ndarray]:
        sources = list(data.sources)
        self.source_ids_ = np.array([s.id for s in sources])
        self.source_distances_ = source_distances(
            [s.X for s in sources],
            data.X_target,
            distance=self.distance,
            random_state=self.random_state,
        )
        return sources, self.source_distances_

    def _fit_method(self, data: Domains, X: np.ndarray, y: np.ndarray) -> Any:
        model = clone(self.method)
        return model.fit(X, y, X_target=data.X_target, y_target=data.y_target)


class BestSingleSource(_MultiSource):
    r"""Transfer from the one source closest to the target (chosen without target labels).

    Fits ``method`` on the source :math:`k^* = \arg\min_k d(S_k, T)`; see
    :mod:`transferkit.multisource.sources` for the distances. ``source=ID`` fixes the
    source instead (a per-source baseline; the candidates ``[None, 1, 2, 3]`` let a
    selection rule choose among the label-free choice and every single source, e.g. the
    benchmark runner's ``oracle``, which gives the best single source on target labels).

    Parameters
    ----------
    method : single-source transfer classifier
        Cloned and fitted on the chosen source and the target.
    distance : {"mmd", "proxy_a"} or callable, default="mmd"
    source : int or None, default=None
        ``None``: the closest source (label-free); an id of ``sample_domain``: that source
        (the distances are still computed and recorded).
    random_state : int, RandomState or None

    Attributes
    ----------
    source_ids_ : ndarray, the source ids in increasing order
    source_distances_ : ndarray, their distances to the target
    chosen_source_ : int, the id of the chosen source
    estimator_ : the fitted ``method``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly
    >>> from transferkit.multisource import BestSingleSource
    >>> rng = np.random.default_rng(0)
    >>> def domain(shift, n=100):
    ...     X = rng.normal(size=(n, 2)) + shift; return X, (X[:, 0] > shift).astype(int)
    >>> (X1, y1), (X2, y2), (Xt, yt) = domain(3.0), domain(0.3), domain(0.0)
    >>> X = np.vstack([X1, X2]); y = np.concatenate([y1, y2]); ids = np.repeat([1, 2], 100)
    >>> model = BestSingleSource(SourceOnly(LogisticRegression()), random_state=0)
    >>> model.fit(X, y, X_target=Xt, sample_domain=ids).chosen_source_
    2
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [HasMethods(["fit", "predict"])],
        "distance": [StrOptions(set(DISTANCES)), callable],
        "source": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        method: Any,
        *,
        distance: Any = "mmd",
        source: int | None = None,
        random_state: Any = None,
    ):
        self.method = method
        self.distance = distance
        self.source = source
        self.random_state = random_state

    def _fit(self, data: Domains) -> None:
        sources, distances = self._score_sources(data)
        if self.source is None:
            best = sources[int(np.argmin(distances))]
        else:
            ids = [int(s.id) for s in sources]
            wanted = self.source
            if isinstance(wanted, bool) or not isinstance(wanted, Integral) or wanted not in ids:
                raise TransferKitInputError(
                    f"source={wanted!r} is not a source id of sample_domain; the source ids "
                    f"are {ids} (or use source=None to choose the closest without labels)."
                )
            best = sources[ids.index(int(wanted))]
        self.chosen_source_ = int(best.id)
        self.estimator_ = self._fit_method(data, best.X, best.y)

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(X, domain=domain)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        proba = self.estimator_.predict_proba(X, domain=domain)
        return _align_proba(proba, self.estimator_.classes_, self.classes_)


class SourceSelection(BestSingleSource):
    r"""Pool the ``n_selected`` sources closest to the target and transfer from them.

    The sources are ranked by :math:`d(S_k, T)`; the rows of the ``n_selected`` closest
    are pooled and ``method`` is fitted once on them (as one source). ``n_selected=1`` is
    :class:`BestSingleSource`; ``n_selected`` equal to the number of sources is plain
    pooling.

    Parameters
    ----------
    method : single-source transfer classifier
    n_selected : int or None, default=None
        How many sources to keep (at most the number of sources given). ``None`` keeps
        the closer half, rounded up (2 of 3, 1 of 1), recorded in ``n_selected_``.
    distance : {"mmd", "proxy_a"} or callable, default="mmd"
    random_state : int, RandomState or None

    Attributes
    ----------
    selected_sources_ : list of int, the ids kept, closest first
    n_selected_ : int, how many were kept
    source_ids_, source_distances_, estimator_ : as in :class:`BestSingleSource`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly
    >>> from transferkit.multisource import SourceSelection
    >>> rng = np.random.default_rng(0)
    >>> def domain(shift, n=100):
    ...     X = rng.normal(size=(n, 2)) + shift; return X, (X[:, 0] > shift).astype(int)
    >>> parts = [domain(s) for s in (3.0, 0.3, 0.1)]; Xt, _ = domain(0.0)
    >>> X = np.vstack([p[0] for p in parts]); y = np.concatenate([p[1] for p in parts])
    >>> model = SourceSelection(SourceOnly(LogisticRegression()), n_selected=2, random_state=0)
    >>> ids = np.repeat([1, 2, 3], 100)
    >>> sorted(model.fit(X, y, X_target=Xt, sample_domain=ids).selected_sources_)
    [2, 3]
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{k: v for k, v in BestSingleSource._parameter_constraints.items() if k != "source"},
        "n_selected": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        method: Any,
        *,
        n_selected: int | None = None,
        distance: Any = "mmd",
        random_state: Any = None,
    ):
        self.method = method
        self.n_selected = n_selected
        self.distance = distance
        self.random_state = random_state

    def _fit(self, data: Domains) -> None:
        n = self.n_selected
        if n is not None and (isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1):
            raise TransferKitInputError(
                f"n_selected must be a positive integer or None; got {n!r}."
            )
        sources, distances = self._score_sources(data)
        n = -(-len(sources) // 2) if n is None else int(n)
        self.n_selected_ = n
        if n > len(sources):
            raise TransferKitInputError(
                f"n_selected={n} but only {len(sources)} source domain(s) were given."
            )
        order = np.argsort(distances, kind="stable")[:n]
        chosen = [sources[i] for i in order]
        self.selected_sources_ = [int(s.id) for s in chosen]
        X = np.vstack([s.X for s in chosen])
        y = np.concatenate([s.y for s in chosen])
        self.estimator_ = self._fit_method(data, X, y)


class WeightedSourceEnsemble(_MultiSource):
    r"""One model per source, combined with weights from the source-target distances.

    :math:`p(c \mid x) = \sum_k w_k\, p_k(c \mid x)`,
    :math:`w_k \propto \exp(-d_k / \tau)`; with ``temperature="auto"``, :math:`\tau` is
    the spread of the distances (their standard deviation, or 1 when they are equal), so
    the weights do not depend on the distance's scale. ``weighting="uniform"`` gives every
    source the same weight.

    Parameters
    ----------
    method : single-source transfer classifier with predict_proba
        Cloned and fitted once per source (with the target).
    weighting : {"distance", "uniform"}, default="distance"
    temperature : float or "auto", default="auto"
    distance : {"mmd", "proxy_a"} or callable, default="mmd"
    random_state : int, RandomState or None

    Attributes
    ----------
    weights_ : ndarray, one weight per source (sums to 1), in the order of ``source_ids_``
    estimators_ : list of fitted models, in the same order
    source_ids_, source_distances_ : as in :class:`BestSingleSource`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly
    >>> from transferkit.multisource import WeightedSourceEnsemble
    >>> rng = np.random.default_rng(0)
    >>> def domain(shift, n=100):
    ...     X = rng.normal(size=(n, 2)) + shift; return X, (X[:, 0] > shift).astype(int)
    >>> (X1, y1), (X2, y2), (Xt, yt) = domain(3.0), domain(0.3), domain(0.0)
    >>> X = np.vstack([X1, X2]); y = np.concatenate([y1, y2]); ids = np.repeat([1, 2], 100)
    >>> model = WeightedSourceEnsemble(SourceOnly(LogisticRegression()), random_state=0)
    >>> w = model.fit(X, y, X_target=Xt, sample_domain=ids).weights_
    >>> bool(w[1] > w[0]) and bool(np.isclose(w.sum(), 1.0))
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [HasMethods(["fit", "predict_proba"])],
        "weighting": [StrOptions({"distance", "uniform"})],
        "temperature": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "distance": [StrOptions(set(DISTANCES)), callable],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        method: Any,
        *,
        weighting: str = "distance",
        temperature: Any = "auto",
        distance: Any = "mmd",
        random_state: Any = None,
    ):
        self.method = method
        self.weighting = weighting
        self.temperature = temperature
        self.distance = distance
        self.random_state = random_state

    def _weights(self, distances: np.ndarray) -> np.ndarray:
        check_option("weighting", self.weighting, ("distance", "uniform"))
        if self.weighting == "uniform":
            return np.full(distances.size, 1.0 / distances.size)
        tau = self.temperature
        if isinstance(tau, str):
            check_option("temperature", tau, ("auto",))
            spread = float(np.std(distances))
            tau = spread if spread > 0 else 1.0
        elif isinstance(tau, bool) or not isinstance(tau, int | float) or not tau > 0:
            raise TransferKitInputError(f"temperature must be > 0 or 'auto'; got {tau!r}.")
        logits = -(distances - distances.min()) / float(tau)
        w = np.exp(logits)
        return w / w.sum()

    def _fit(self, data: Domains) -> None:
        sources, distances = self._score_sources(data)
        self.weights_ = self._weights(distances)
        self.estimators_ = [self._fit_method(data, s.X, s.y) for s in sources]
        for model in self.estimators_:
            if not hasattr(model, "predict_proba"):
                raise TransferKitInputError(
                    f"{type(model).__name__} has no predict_proba; the ensemble averages "
                    "class probabilities (use e.g. LogisticRegression as the classifier)."
                )

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        total = np.zeros((X.shape[0], self.classes_.size))
        for weight, model in zip(self.weights_, self.estimators_, strict=True):
            proba = model.predict_proba(X, domain=domain)
            total += weight * _align_proba(proba, np.asarray(model.classes_), self.classes_)
        return total
