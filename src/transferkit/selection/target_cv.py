"""Cross-validation on the few labelled target samples (semi-supervised transfer).

When a handful of target samples are labelled (TrAdaBoost's setting), they are the only
unbiased check of a transfer method, and they are precious: every fold refits on the
whole source, the whole target and all the *other* labelled target samples, and is
scored on the held-out labelled ones, whose labels are hidden (``-1``) during the fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, StratifiedKFold

from transferkit._validation import (
    LabelError,
    check_positive,
    check_random_state,
    check_source_target,
)

__all__ = ["TargetCVResult", "choose_by_target_cv", "target_cv_accuracy"]

UNLABELLED = -1


def _labelled_folds(
    y_target: np.ndarray, n_splits: int, random_state: Any
) -> list[tuple[np.ndarray, np.ndarray]]:
    labelled = np.flatnonzero(y_target != UNLABELLED)
    if labelled.size == 0:
        raise LabelError("y_target has no labelled sample (all -1); target CV needs some.")
    classes, counts = np.unique(y_target[labelled], return_counts=True)
    if counts.min() < n_splits:
        rare = classes[np.argmin(counts)]
        raise LabelError(
            f"{n_splits}-fold target CV needs at least {n_splits} labelled target samples of "
            f"every class; class {rare!r} has {counts.min()}. Lower n_splits or label more."
        )
    splitter = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return [
        (labelled[keep], labelled[held_out])
        for keep, held_out in splitter.split(labelled, y_target[labelled])
    ]


def target_cv_accuracy(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    X_target: Any,
    y_target: Any,
    n_splits: int = 5,
    random_state: Any = None,
) -> float:
    r"""Accuracy on held-out labelled target samples, by stratified k-fold over them.

    With :math:`L` the labelled target samples split into folds :math:`L_1..L_k`,

    .. math::
        \mathrm{acc} = \frac1{|L|} \sum_{j=1}^k \sum_{i \in L_j}
        [\hat f_{-j}(x_i) = y_i],

    where :math:`\hat f_{-j}` is ``estimator`` refitted on the source, the whole target
    and the labels of :math:`L \setminus L_j` (the labels of :math:`L_j` replaced by
    ``-1``, so the held-out samples stay in the target as unlabelled ones).

    Parameters
    ----------
    estimator : transfer classifier
        Anything with ``fit(X, y, X_target=..., y_target=...)`` and ``predict``.
    X, y : array-like
        Labelled source.
    X_target : array-like
        Target samples.
    y_target : array-like
        One label per target sample, ``-1`` for unlabelled ones.
    n_splits : int, default=5
        Folds over the labelled target samples (each class needs at least this many).
    random_state : int, RandomState or None
        Shuffles the folds.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly
    >>> from transferkit.selection import target_cv_accuracy
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(100, 3)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(60, 3)); yt = np.where(np.arange(60) < 20, Xt[:, 0] > 0, -1)
    >>> acc = target_cv_accuracy(SourceOnly(LogisticRegression()), Xs, ys,
    ...                          X_target=Xt, y_target=yt.astype(int), random_state=0)
    >>> bool(acc > 0.8)
    True
    """
    check_positive("n_splits", n_splits, integer=True)
    if n_splits < 2:
        raise LabelError(f"n_splits must be at least 2; got {n_splits}.")
    data = check_source_target(X, y, X_target, y_target, require_target_labels=True)
    Xs, ys, Xt, yt = data.X, data.y, data.X_target, data.y_target
    correct = 0
    total = 0
    for keep, held_out in _labelled_folds(yt, n_splits, random_state):
        hidden = np.full_like(yt, UNLABELLED)
        hidden[keep] = yt[keep]
        model = clone(estimator).fit(Xs, ys, X_target=Xt, y_target=hidden)
        correct += int(np.sum(model.predict(Xt[held_out]) == yt[held_out]))
        total += held_out.size
    return correct / total


@dataclass(frozen=True)
class TargetCVResult:
    """Outcome of :func:`choose_by_target_cv`.

    Attributes
    ----------
    best_params : dict
        The chosen parameters (first of the best, in grid order).
    scores : list[tuple[dict, float]]
        Every candidate with its target-CV accuracy, in grid order.
    best_estimator : estimator or None
        A clone with ``best_params`` refitted on all the data (``None`` with
        ``refit=False``).
    """

    best_params: dict[str, Any]
    scores: list[tuple[dict[str, Any], float]]
    best_estimator: Any


def choose_by_target_cv(
    estimator: Any,
    param_grid: Mapping[str, Iterable[Any]] | list[Mapping[str, Iterable[Any]]],
    X: Any,
    y: Any,
    *,
    X_target: Any,
    y_target: Any,
    n_splits: int = 5,
    random_state: Any = None,
    refit: bool = True,
) -> TargetCVResult:
    """Pick the parameters with the best :func:`target_cv_accuracy`, then refit.

    Ties go to the candidate listed first, so list simpler settings first (e.g. fewer
    boosting rounds). The same folds are used for every candidate. With
    ``refit=False`` the chosen candidate is not refitted (``best_estimator`` is
    ``None``), for a caller that fits it itself (the ``target_cv`` selection rule of
    ``transferkit run``).

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.instance import TrAdaBoost
    >>> from transferkit.selection import choose_by_target_cv
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(100, 2)); yt = (Xt[:, 0] + Xt[:, 1] > 0).astype(int)
    >>> yt[30:] = -1
    >>> result = choose_by_target_cv(TrAdaBoost(random_state=0), {"n_estimators": [1, 5]},
    ...                              Xs, ys, X_target=Xt, y_target=yt, random_state=0)
    >>> sorted(result.best_params)
    ['n_estimators']
    """
    candidates = list(ParameterGrid(param_grid))
    if candidates == [{}] or not candidates:
        raise LabelError("param_grid is empty; give at least one parameter with values.")
    if not isinstance(random_state, (int, np.integer)):
        # one seed for all candidates, so that every candidate sees the same folds
        random_state = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    scores = []
    for params in candidates:
        candidate = clone(estimator).set_params(**params)
        acc = target_cv_accuracy(
            candidate,
            X,
            y,
            X_target=X_target,
            y_target=y_target,
            n_splits=n_splits,
            random_state=random_state,
        )
        scores.append((params, acc))
    best = int(np.argmax([s for _, s in scores]))
    best_params = scores[best][0]
    if not refit:
        return TargetCVResult(best_params=best_params, scores=scores, best_estimator=None)
    model = clone(estimator).set_params(**best_params)
    model.fit(X, y, X_target=X_target, y_target=y_target)
    return TargetCVResult(best_params=best_params, scores=scores, best_estimator=model)
