r"""Transitive transfer: adapt through intermediate domains, hop by hop.

Gradual self-training (Kumar, Ma & Liang, *Understanding Self-Training for Gradual
Domain Adaptation*, ICML 2020). A classifier :math:`f_0` is trained on the labelled
source. For each domain :math:`D_k` of a chain (intermediate domains, then the target),
the current classifier labels :math:`D_k`, the fraction ``drop_fraction`` of its least
confident predictions is discarded, and a new classifier is trained on the rest:

.. math::
    \hat y_i = f_{k-1}(x_i), \qquad
    f_k = \arg\min_f \sum_{i \in D_k,\ \mathrm{conf}_i \ge q} \ell(f(x_i), \hat y_i),

where :math:`q` is the ``drop_fraction`` quantile of the confidences
:math:`\mathrm{conf}_i = \max_c p_{k-1}(c \mid x_i)` (or the largest one-vs-rest
decision value for classifiers without probabilities, e.g. an SVM). Each hop only has
to bridge a small shift; the last hop's classifier predicts the target. The paper's classifiers are
regularised (an L2 penalty): the default here is logistic regression.

:class:`TransitiveTransfer` first chooses the chain among candidate intermediate domains
from a graph of label-free domain distances (:mod:`transferkit.transitive.chain`), then
runs gradual self-training along it. :class:`GradualSelfTraining` takes the chain as given:
every intermediate domain, in the order of their ids.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from transferkit._validation import (
    HasMethods,
    Interval,
    StrOptions,
    TransferKitInputError,
    check_option,
)
from transferkit._validation import ValidatedDomains as Domains
from transferkit.base import BaseTransferClassifier
from transferkit.pipeline import _align_proba
from transferkit.transitive.chain import COSTS, best_chain, domain_distance_matrix

__all__ = ["GradualSelfTraining", "TransitiveTransfer", "self_train_along"]


def _check_drop_fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise TransferKitInputError(f"drop_fraction must be in [0, 1); got {value!r}.")
    return float(value)


def _confidences(model: Any, X: np.ndarray) -> np.ndarray:
    """Per-class confidences: probabilities, else one-vs-rest decision values."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    if hasattr(model, "decision_function"):
        scores = model.decision_function(X)
        if scores.ndim == 1:  # binary: the score of class 1 against class 0
            scores = np.column_stack([-scores, scores])
        return scores
    raise TransferKitInputError(
        f"{type(model).__name__} has neither predict_proba nor decision_function: "
        "self-training needs the confidence of each prediction."
    )


def self_train_along(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    chain: list[np.ndarray],
    *,
    drop_fraction: float = 0.1,
) -> tuple[Any, list[np.ndarray]]:
    """Train on ``(X, y)``, then self-train on each array of ``chain`` in turn.

    Returns the last classifier and the pseudo-labels it was trained on at each hop.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> def rotated(angle, n=200):  # two parallel bars, rotated by ``angle`` radians
    ...     y = rng.integers(0, 2, n)
    ...     X = np.column_stack([rng.normal(size=n), (2 * y - 1) * 1.5 + rng.normal(0, 0.3, n)])
    ...     c, s = np.cos(angle), np.sin(angle)
    ...     return X @ np.array([[c, s], [-s, c]]), y
    >>> Xs, ys = rotated(0.0); Xt, yt = rotated(1.5)
    >>> direct = LogisticRegression().fit(Xs, ys).score(Xt, yt)
    >>> chain = [rotated(a)[0] for a in (0.3, 0.6, 0.9, 1.2)] + [Xt]
    >>> model, _ = self_train_along(LogisticRegression(), Xs, ys, chain)
    >>> round(direct, 2), round(model.score(Xt, yt), 2)
    (0.53, 1.0)
    """
    drop = _check_drop_fraction(drop_fraction)
    model = clone(estimator).fit(X, y)
    pseudo_labels = []
    for domain in chain:
        proba = _confidences(model, domain)
        labels = model.classes_[np.argmax(proba, axis=1)]
        confidence = proba.max(axis=1)
        keep = (
            confidence >= np.quantile(confidence, drop)
            if drop > 0
            else np.ones_like(confidence, dtype=bool)
        )
        if np.unique(labels[keep]).size < 2:  # collapsed to one class: stop adapting
            pseudo_labels.append(labels)
            break
        model = clone(estimator).fit(domain[keep], labels[keep])
        pseudo_labels.append(labels)
    return model, pseudo_labels


class _ChainClassifier(BaseTransferClassifier):
    """Shared plumbing: a final classifier trained along a chain of domains."""

    def _run(self, data: Domains, chain: list[int]) -> None:
        domains = [d.X for d in data.intermediates]
        arrays = [domains[i] for i in chain] + [data.X_target]
        estimator = LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator
        self.estimator_, self.pseudo_labels_ = self_train_along(
            estimator, data.X, data.y, arrays, drop_fraction=self.drop_fraction
        )

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(X)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        return _align_proba(
            self.estimator_.predict_proba(X), self.estimator_.classes_, self.classes_
        )


class GradualSelfTraining(_ChainClassifier):
    r"""Gradual self-training through the given intermediate domains (Kumar et al., 2020).

    The intermediate domains come in the multi-domain form of the core contract: stacked
    in ``X`` with negative ``sample_domain`` ids (unlabelled rows ``y = -1``), the target
    as ``X_target``. They are visited in the order of ``abs(id)`` (``-2, -3, ...``), then
    the target. With no intermediate domain this is plain self-training on the target.
    See :mod:`transferkit.transitive.gradual` for the maths.

    Parameters
    ----------
    estimator : classifier with predict_proba, optional
        Trained anew at every hop; default ``LogisticRegression(max_iter=1000)``.
    drop_fraction : float, default=0.1
        Share of the least confident pseudo-labels discarded at each hop.

    Attributes
    ----------
    estimator_ : the classifier of the last hop
    pseudo_labels_ : list of arrays, the pseudo-labels of each hop

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.transitive import GradualSelfTraining
    >>> rng = np.random.default_rng(0)
    >>> def rotated(angle, n=200):  # two parallel bars, rotated by ``angle`` radians
    ...     y = rng.integers(0, 2, n)
    ...     X = np.column_stack([rng.normal(size=n), (2 * y - 1) * 1.5 + rng.normal(0, 0.3, n)])
    ...     c, s = np.cos(angle), np.sin(angle)
    ...     return X @ np.array([[c, s], [-s, c]]), y
    >>> (Xs, ys), (Xt, yt) = rotated(0.0), rotated(1.5)
    >>> mids = [rotated(a)[0] for a in (0.3, 0.6, 0.9, 1.2)]
    >>> X = np.vstack([Xs, *mids]); y = np.concatenate([ys, np.full(800, -1)])
    >>> ids = np.repeat([1, -2, -3, -4, -5], 200)
    >>> model = GradualSelfTraining().fit(X, y, X_target=Xt, sample_domain=ids)
    >>> bool(model.score(Xt, yt) > 0.95)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "drop_fraction": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, estimator: Any = None, *, drop_fraction: float = 0.1):
        self.estimator = estimator
        self.drop_fraction = drop_fraction

    def _fit(self, data: Domains) -> None:
        self._run(data, list(range(len(data.intermediates))))


class TransitiveTransfer(_ChainClassifier):
    r"""Choose a chain of intermediate domains by domain distance, then self-train along it.

    Builds the graph of label-free distances between the source, every candidate
    intermediate domain and the target (:func:`~transferkit.transitive.domain_distance_matrix`),
    takes the least-cost chain (:func:`~transferkit.transitive.best_chain`: by default the
    chain whose largest hop is smallest) and runs gradual self-training along it. The
    chain may be the direct edge (no intermediate domain) when no detour makes the
    largest hop smaller. Candidates come in the multi-domain form of the core contract:
    stacked in ``X`` with negative ``sample_domain`` ids, the target as ``X_target``.

    The cost ranks chains; it does not decide whether to adapt at all: every chain ends
    with self-training on the target, and the cost does not count hops while pseudo-label
    errors compound at each. Where the intermediate domains are large or non-monotone
    shifts with few samples each (COIL20 45-degree view windows), the chosen chain loses
    to a classifier trained on the source alone (``benchmarks/results/transitive_chains.md``).

    Parameters
    ----------
    estimator : classifier with predict_proba, optional
        Default ``LogisticRegression(max_iter=1000)``.
    distance : {"mmd", "proxy_a"} or callable, default="mmd"
        Domain distance of the graph.
    cost : {"bottleneck", "squared"}, default="bottleneck"
        Chain cost (see :mod:`transferkit.transitive.chain`).
    drop_fraction : float, default=0.1
        Share of the least confident pseudo-labels discarded at each hop.
    random_state : int, RandomState or None
        Seeds the distance estimates.

    Attributes
    ----------
    distances_ : ndarray of shape (m + 2, m + 2)
        Node 0 is the source, nodes ``1..m`` the candidates in order of ``abs(id)``, node
        ``m + 1`` the target.
    chain_ : list of int
        ``sample_domain`` ids of the intermediate domains used, in order.
    estimator_, pseudo_labels_ : as in :class:`GradualSelfTraining`

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.transitive import TransitiveTransfer
    >>> rng = np.random.default_rng(0)
    >>> def rotated(angle, n=200):  # two parallel bars, rotated by ``angle`` radians
    ...     y = rng.integers(0, 2, n)
    ...     X = np.column_stack([rng.normal(size=n), (2 * y - 1) * 1.5 + rng.normal(0, 0.3, n)])
    ...     c, s = np.cos(angle), np.sin(angle)
    ...     return X @ np.array([[c, s], [-s, c]]), y
    >>> (Xs, ys), (Xt, yt) = rotated(0.0), rotated(1.5)
    >>> cands = [rotated(a)[0] for a in (0.6, -1.0, 0.3, 1.2, 0.9)]  # -1.0: a distractor
    >>> X = np.vstack([Xs, *cands]); y = np.concatenate([ys, np.full(1000, -1)])
    >>> ids = np.repeat([1, -2, -3, -4, -5, -6], 200)
    >>> model = TransitiveTransfer(random_state=0).fit(X, y, X_target=Xt, sample_domain=ids)
    >>> model.chain_, bool(model.score(Xt, yt) > 0.95)   # angles 0.6, 0.9, 1.2; no distractor
    ([-2, -6, -5], True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **GradualSelfTraining._parameter_constraints,
        "distance": [StrOptions({"mmd", "proxy_a"}), callable],
        "cost": [StrOptions(set(COSTS))],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        distance: Any = "mmd",
        cost: str = "bottleneck",
        drop_fraction: float = 0.1,
        random_state: Any = None,
    ):
        self.estimator = estimator
        self.distance = distance
        self.cost = cost
        self.drop_fraction = drop_fraction
        self.random_state = random_state

    def _fit(self, data: Domains) -> None:
        check_option("cost", self.cost, COSTS)
        _check_drop_fraction(self.drop_fraction)
        nodes = [data.X] + [d.X for d in data.intermediates] + [data.X_target]
        self.distances_ = domain_distance_matrix(
            nodes, distance=self.distance, random_state=self.random_state
        )
        path = best_chain(self.distances_, 0, len(nodes) - 1, cost=self.cost)
        chain = [node - 1 for node in path[1:-1]]
        self.chain_ = [int(data.intermediates[i].id) for i in chain]
        self._run(data, chain)
