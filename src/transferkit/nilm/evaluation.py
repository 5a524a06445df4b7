r"""Evaluating appliance classifiers: leave-one-house-out where houses are known.

A classifier that has seen the *same appliance* in training recognises it far more easily
than a new one of the same type, so random splits over-estimate accuracy (Faustine &
Pereira 2020 report 92.9 macro-F1 for V-I images on PLAID under a random split, 84.75
leaving one house out). :func:`evaluate_appliance_classifier` therefore

* leaves one house out (scikit-learn's ``LeaveOneGroupOut``) when houses are given, and
* falls back to stratified :math:`k`-fold otherwise (shuffled with ``random_state``),

and says which in :attr:`ApplianceEvaluation.protocol`. Scores are the accuracy and the
macro-F1, :math:`\frac{1}{|C|} \sum_{c \in C} \frac{2\, P_c R_c}{P_c + R_c}` over classes
:math:`C`, computed on the predictions of all folds pooled (each sample is predicted once,
by the model that did not see its house or fold: the convention of De Baets et al. 2018
and Faustine & Pereira 2020, since one house holds only a few classes), and also per fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

from transferkit._validation import LabelError, TransferKitInputError, check_positive

__all__ = ["ApplianceEvaluation", "appliance_splits", "evaluate_appliance_classifier"]


@dataclass(frozen=True)
class ApplianceEvaluation:
    """Scores of :func:`evaluate_appliance_classifier`.

    Attributes
    ----------
    protocol : str
        ``"leave-one-house-out (H houses)"`` or ``"stratified K-fold (no house ids)"``.
    macro_f1, accuracy : float
        On the pooled out-of-fold predictions.
    fold_macro_f1, fold_accuracy : numpy.ndarray
        Per fold (house or fold order).
    folds : tuple of str
        The held-out house of each fold (or ``"fold k"``).
    predictions : numpy.ndarray
        Out-of-fold prediction of every sample.
    """

    protocol: str
    macro_f1: float
    accuracy: float
    fold_macro_f1: np.ndarray
    fold_accuracy: np.ndarray
    folds: tuple[str, ...]
    predictions: np.ndarray

    def summary(self) -> str:
        """One line: protocol, macro-F1 and accuracy in percent."""
        return (
            f"{self.protocol}: macro-F1 {100 * self.macro_f1:.1f} %, accuracy "
            f"{100 * self.accuracy:.1f} % (pooled over {len(self.folds)} folds)"
        )


def appliance_splits(
    y: Any, houses: Any = None, *, n_splits: int = 5, random_state: Any = None
) -> tuple[str, list[tuple[np.ndarray, np.ndarray]], tuple[str, ...]]:
    """Train/test index pairs: one per house if ``houses`` is given, else stratified k-fold.

    Returns
    -------
    protocol : str
    splits : list of (train_index, test_index)
    names : tuple of str
        The held-out house of each split, or ``"fold k"``.

    Examples
    --------
    >>> y = [0, 1, 0, 1, 0, 1]
    >>> protocol, splits, names = appliance_splits(y, ["a", "a", "b", "b", "c", "c"])
    >>> protocol, names, splits[0][1].tolist()
    ('leave-one-house-out (3 houses)', ('a', 'b', 'c'), [0, 1])
    >>> appliance_splits(y, n_splits=3, random_state=0)[0]
    'stratified 3-fold (no house ids)'
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise LabelError(f"y must be a non-empty 1-D array of labels; got shape {y.shape}.")
    idx = np.zeros((y.size, 1))
    if houses is not None:
        h = np.asarray(houses).astype(str)
        if h.shape != y.shape:
            raise TransferKitInputError(
                f"houses must give one house per sample ({y.size}); got shape {h.shape}."
            )
        groups = np.unique(h)
        if groups.size < 2:
            raise TransferKitInputError(
                f"leave-one-house-out needs at least 2 houses; houses holds only {groups.tolist()}."
                " Pass houses=None for stratified k-fold."
            )
        splits = list(LeaveOneGroupOut().split(idx, y, groups=h))
        names = tuple(str(h[test[0]]) for _, test in splits)
        return f"leave-one-house-out ({groups.size} houses)", splits, names
    check_positive("n_splits", n_splits, integer=True)
    _, counts = np.unique(y, return_counts=True)
    if n_splits < 2 or counts.min() < n_splits:
        raise LabelError(
            f"stratified {n_splits}-fold needs n_splits >= 2 and at least n_splits samples "
            f"per class; the smallest class has {counts.min()}. Lower n_splits."
        )
    skf = StratifiedKFold(n_splits=int(n_splits), shuffle=True, random_state=random_state)
    splits = list(skf.split(idx, y))
    return (
        f"stratified {n_splits}-fold (no house ids)",
        splits,
        tuple(f"fold {k}" for k in range(len(splits))),
    )


def evaluate_appliance_classifier(
    estimator: Any,
    X: Any,
    y: Any,
    houses: Any = None,
    *,
    n_splits: int = 5,
    random_state: Any = 0,
) -> ApplianceEvaluation:
    """Out-of-fold macro-F1 and accuracy of ``estimator``, by house when houses are known.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned for every fold (the argument itself is not fitted).
    X : array-like of shape (n_samples, ...)
        Features (e.g. flattened V-I images); indexed by rows.
    y : array-like of shape (n_samples,)
    houses : array-like of shape (n_samples,), optional
        House of each sample: leave-one-house-out. ``None``: stratified ``n_splits``-fold.
    n_splits : int, default=5
        Folds when ``houses`` is None.
    random_state : int, RandomState or None, default=0
        Shuffles the stratified folds.

    Returns
    -------
    ApplianceEvaluation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> X = y[:, None] + rng.normal(scale=0.3, size=(60, 2))
    >>> res = evaluate_appliance_classifier(KNeighborsClassifier(3), X, y)
    >>> res.protocol, round(res.macro_f1, 2)
    ('stratified 5-fold (no house ids)', 0.98)
    >>> houses = np.tile(["h1", "h2", "h3", "h4"], 15)
    >>> evaluate_appliance_classifier(KNeighborsClassifier(3), X, y, houses).protocol
    'leave-one-house-out (4 houses)'
    """
    y = np.asarray(y)
    X = np.asarray(X)
    if X.shape[0] != y.shape[0]:
        raise TransferKitInputError(
            f"X and y must have the same number of samples; got {X.shape[0]} and {y.shape[0]}."
        )
    protocol, splits, names = appliance_splits(
        y, houses, n_splits=n_splits, random_state=random_state
    )
    pred = np.empty(y.shape, dtype=y.dtype)
    f1s, accs = [], []
    for train, test in splits:
        model = clone(estimator).fit(X[train], y[train])
        p = np.asarray(model.predict(X[test]))
        pred[test] = p
        f1s.append(f1_score(y[test], p, average="macro", zero_division=0))
        accs.append(accuracy_score(y[test], p))
    return ApplianceEvaluation(
        protocol=protocol,
        macro_f1=float(f1_score(y, pred, average="macro", zero_division=0)),
        accuracy=float(accuracy_score(y, pred)),
        fold_macro_f1=np.asarray(f1s),
        fold_accuracy=np.asarray(accs),
        folds=names,
        predictions=pred,
    )
