"""Labelled target budgets: which target samples a cell gives the labels of.

Two draws, both seeded by the cell's seed, each returning the sorted indices of the
labelled target samples and of the held-out ones (the samples every method is scored
on):

* :func:`draw_target_labels` -- a **fraction** of the target, stratified by class
  (``target_labels: {fraction: F}``; the draw of
  ``benchmarks/instance_amazon_tradaboost.py``);
* :func:`draw_labelled_per_class` -- **K samples of every class**
  (``target_labels: {per_class: K}``; the draw of ``benchmarks/nilm_cross_country.py``).

Benchmark scripts import these from :mod:`transferkit.experiments`, so a script and a
config draw the same samples for the same seed.
"""

from __future__ import annotations

import numbers

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["draw_labelled_per_class", "draw_target_labels"]


def _labels(y_target: object, name: str) -> np.ndarray:
    y = np.asarray(y_target)
    if y.ndim != 1 or y.size == 0:
        raise TransferKitInputError(
            f"{name}: y_target must be a non-empty 1-D array of target labels; got shape "
            f"{y.shape}. Pass the labels of every target sample."
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise TransferKitInputError(
            f"{name}: y_target holds NaN or infinite values; every target sample needs a "
            "class label to draw a labelled budget from."
        )
    if y.dtype.kind not in "biufUSO":
        raise TransferKitInputError(
            f"{name}: y_target has dtype {y.dtype}; give integer or string class labels."
        )
    return y


def _counts(y: np.ndarray) -> dict[object, int]:
    classes, counts = np.unique(y, return_counts=True)
    return {
        c.item() if isinstance(c, np.generic) else c: int(n)
        for c, n in zip(classes, counts, strict=True)
    }


def draw_target_labels(
    y_target: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled and the held-out target indices of a labelled fraction of the target.

    ``fraction`` of the target samples, stratified by class, drawn with
    ``train_test_split(arange(n), train_size=fraction, stratify=y_target,
    random_state=seed)`` (``benchmarks/instance_amazon_tradaboost.py``'s draw).

    Parameters
    ----------
    y_target : array-like of shape (n_target,)
        The label of every target sample.
    fraction : float
        Share of the target labelled, in (0, 1).
    seed : int
        The cell's seed (``random_state`` of the split).

    Returns
    -------
    labelled, held_out : ndarray of int
        Indices into ``y_target`` (in the split's order).

    Raises
    ------
    TransferKitInputError
        When the fraction cannot give every class a labelled and a held-out sample,
        naming ``target_labels.fraction`` and the class counts.

    Examples
    --------
    >>> lab, test = draw_target_labels(np.array([0, 1] * 10), 0.2, seed=0)
    >>> len(lab), len(test), sorted(np.array([0, 1] * 10)[lab].tolist())
    (4, 16, [0, 0, 1, 1])
    """
    from sklearn.model_selection import train_test_split

    y_target = _labels(y_target, "draw_target_labels")
    try:
        labelled, held_out = train_test_split(
            np.arange(len(y_target)), train_size=fraction, stratify=y_target, random_state=seed
        )
    except ValueError as exc:
        raise TransferKitInputError(
            f"target_labels.fraction={fraction}: cannot draw a stratified labelled sample "
            f"from this target ({len(y_target)} samples, class counts "
            f"{_counts(y_target)}): {exc} Use a fraction that gives every class at least "
            "one labelled and one held-out sample."
        ) from None
    return np.asarray(labelled), np.asarray(held_out)


def draw_labelled_per_class(
    y_target: np.ndarray, per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled and the held-out target indices of a budget of K samples per class.

    With ``rng = np.random.RandomState(seed)``, for each class ``c`` of
    ``np.unique(y_target)`` in that order, ``rng.choice(np.flatnonzero(y_target == c),
    per_class, replace=False)`` are labelled (the draw of
    ``benchmarks/nilm_cross_country.py``); every other target sample is held out:

    .. math::

        L = \\bigcup_{c} \\operatorname{choice}_{\\text{rng}}(\\{i : y_i = c\\}, K),
        \\qquad H = \\{1, \\dots, n\\} \\setminus L, \\qquad |L| = K \\cdot |\\text{classes}|.

    ``per_class=0`` labels nothing (``labelled`` is empty and every sample is held out).

    Parameters
    ----------
    y_target : array-like of shape (n_target,)
        The label of every target sample.
    per_class : int
        Labelled samples per class, K >= 0.
    seed : int
        The cell's seed (of ``np.random.RandomState``).

    Returns
    -------
    labelled, held_out : ndarray of int
        Sorted indices into ``y_target``.

    Raises
    ------
    TransferKitInputError
        When ``per_class`` is not a non-negative integer, or a class has fewer than
        ``per_class + 1`` samples (it would keep none for scoring), naming the class and
        its count.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> labelled, held_out = draw_labelled_per_class(y, 1, seed=0)
    >>> labelled.tolist(), y[labelled].tolist(), len(held_out)
    ([2, 5, 6], [0, 1, 2], 6)
    >>> draw_labelled_per_class(y, 0, seed=0)[0].size
    0
    """
    if (
        isinstance(per_class, bool)
        or not isinstance(per_class, numbers.Integral)
        or int(per_class) < 0
    ):
        raise TransferKitInputError(
            f"target_labels.per_class={per_class!r} is not a number of samples; give an "
            "integer K >= 0 (0: no target label)."
        )
    per_class = int(per_class)
    y_target = _labels(y_target, "draw_labelled_per_class")
    counts = _counts(y_target)
    short = {c: n for c, n in counts.items() if n < per_class + 1}
    if short:
        c, n = next(iter(short.items()))
        raise TransferKitInputError(
            f"target_labels.per_class={per_class}: target class {c!r} has {n} sample"
            f"{'s' if n != 1 else ''}, and {per_class} labelled plus at least one held out "
            f"for scoring needs {per_class + 1} (class counts {counts}). Use per_class <= "
            f"{min(counts.values()) - 1}, or leave out the classes with so few samples."
        )
    n = len(y_target)
    if per_class == 0:
        return np.zeros(0, dtype=np.intp), np.arange(n)
    rng = np.random.RandomState(seed)
    chosen = [
        rng.choice(np.flatnonzero(y_target == c), per_class, replace=False)
        for c in np.unique(y_target)
    ]
    labelled = np.sort(np.concatenate(chosen))
    mask = np.zeros(n, dtype=bool)
    mask[labelled] = True
    return labelled, np.flatnonzero(~mask)
