"""Domain-aware cross-validation splitters: folds of the source, the target kept aside.

Label-free selection validates on held-out **source** samples (IWCV, DEV, reverse
validation) while every training fold still sees the whole unlabelled target. The
splitters here produce such folds. They follow scikit-learn's splitter protocol
(``split``/``get_n_splits``), so they also work in ``GridSearchCV``.

Two calling conventions are supported:

* ``split(X_source, y_source)``: indices into the source only (what
  :func:`~transferkit.selection.select` uses; the target is passed separately);
* ``split(X, y, groups=sample_domain)`` on skada-style stacked data, where ids ``>= 0``
  mark source rows and negative ids target (or intermediate) rows: every training
  fold then contains all non-source rows, and validation folds contain source rows
  only. With several source ids, every source is split on its own, so that each fold
  holds its share of every source (the stratified splitter keeps each source's class
  proportions too).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from transferkit._validation import (
    LabelError,
    TransferKitInputError,
    check_labels,
    check_positive,
    check_sample_domain,
)

__all__ = ["SourceKFold", "StratifiedSourceKFold"]


class _SourceSplitter:
    _stratified = False

    def __init__(self, n_splits: int = 5, *, shuffle: bool = True, random_state: Any = None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
            f"random_state={self.random_state!r})"
        )

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds."""
        return int(self.n_splits)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_index, validation_index)`` pairs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source samples, or stacked source and target samples when ``groups`` is given.
        y : array-like of shape (n_samples,), optional
            Labels (required by the stratified splitter; target rows may hold -1).
        groups : array-like of shape (n_samples,), optional
            skada-style ``sample_domain``: ``>= 0`` source, ``< 0`` target/intermediate.
        """
        check_positive("n_splits", self.n_splits, integer=True)
        if self.n_splits < 2:
            raise TransferKitInputError(
                f"n_splits must be at least 2 for cross-validation; got {self.n_splits}."
            )
        n = _n_rows(X)
        source_ids = None
        if groups is None:
            source = np.arange(n)
        else:
            domains = np.asarray(groups)
            if domains.shape != (n,):
                raise TransferKitInputError(
                    f"groups (sample_domain) must have one entry per row of X ({n}); got "
                    f"shape {domains.shape}."
                )
            domains = check_sample_domain(domains, n)
            source = np.flatnonzero(domains >= 0)
            if np.unique(domains[source]).size > 1:
                source_ids = domains[source]
        target = np.setdiff1d(np.arange(n), source)
        if source.size < self.n_splits:
            raise TransferKitInputError(
                f"{type(self).__name__}(n_splits={self.n_splits}) needs at least "
                f"{self.n_splits} source samples; got {source.size}. Use fewer splits."
            )
        y_source = None
        if self._stratified:
            if y is None:
                raise LabelError(
                    "StratifiedSourceKFold needs the source labels y; use SourceKFold "
                    "for unlabelled data."
                )
            y_all = check_labels(y, n, "y", allow_unlabelled=groups is not None)
            y_source = y_all[source]
            counts = np.unique(y_source, return_counts=True)[1]
            if counts.max() < self.n_splits:
                raise LabelError(
                    f"StratifiedSourceKFold(n_splits={self.n_splits}): every source class has "
                    f"fewer than {self.n_splits} samples (largest {counts.max()}); use fewer "
                    "splits or SourceKFold."
                )
        random_state = self.random_state if self.shuffle else None
        strata = y_source if self._stratified else None
        if source_ids is not None:
            # several sources: stratify on the source id (and the class), so that every
            # fold holds its share of every source
            key = source_ids.astype(str)
            strata = (
                key if strata is None else np.char.add(np.char.add(key, "|"), y_source.astype(str))
            )
            if np.unique(strata, return_counts=True)[1].max() < self.n_splits:
                strata = key  # too few samples per (source, class): keep the sources only
        if strata is not None:
            base = StratifiedKFold(self.n_splits, shuffle=self.shuffle, random_state=random_state)
            folds = base.split(np.zeros((source.size, 1)), strata)
        else:
            base = KFold(self.n_splits, shuffle=self.shuffle, random_state=random_state)
            folds = base.split(np.zeros((source.size, 1)))
        for train, val in folds:
            yield np.sort(np.concatenate([source[train], target])), source[val]


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return len(X)


class SourceKFold(_SourceSplitter):
    """K-fold over the source samples; the target stays in every training fold.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (>= 2, at most the number of source samples).
    shuffle : bool, default=True
        Shuffle the source before splitting.
    random_state : int, RandomState or None
        Seed of the shuffle.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((6, 1)); sample_domain = np.array([1, 1, 1, 1, -2, -2])
    >>> for train, val in SourceKFold(2, shuffle=False).split(X, groups=sample_domain):
    ...     print(train.tolist(), val.tolist())
    [2, 3, 4, 5] [0, 1]
    [0, 1, 4, 5] [2, 3]
    """


class StratifiedSourceKFold(_SourceSplitter):
    """Stratified K-fold over the labelled source; the target stays in every training fold.

    Each validation fold keeps the source class proportions, which matters for the
    small, imbalanced source domains of the benchmarks (DSLR has 8 to 24 images per
    class). Parameters as :class:`SourceKFold`; ``split`` needs ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> [np.bincount(y[val]).tolist()
    ...  for _, val in StratifiedSourceKFold(3, random_state=0).split(np.zeros((6, 1)), y)]
    [[1, 1], [1, 1], [1, 1]]
    """

    _stratified = True
