"""Selection rules: how a list of candidate scores becomes one chosen candidate.

Rules are small objects (as DomainBed's ``model_selection.py`` makes selection methods
objects), so that a benchmark can swap "take the best" for a more conservative rule
without touching the criteria.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from transferkit._validation import TransferKitInputError, check_option

__all__ = ["BaseRule", "BestScore", "OneStandardError", "get_rule"]


class BaseRule:
    """Choose the index of one candidate from their criterion scores."""

    name = ""

    def choose(self, scores: Sequence[float], fold_scores: Sequence[np.ndarray | None]) -> int:
        """Index of the chosen candidate (``scores``: larger is better)."""
        raise NotImplementedError  # pragma: no cover

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_scores(scores: Sequence[float]) -> np.ndarray:
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise TransferKitInputError("scores must be a non-empty 1-D sequence of candidate scores.")
    if not np.any(np.isfinite(arr)):
        raise TransferKitInputError(
            "No candidate has a finite score; check the estimator and the criterion."
        )
    return np.where(np.isfinite(arr), arr, -np.inf)


class BestScore(BaseRule):
    """The candidate with the largest score; ties go to the first one in grid order.

    Examples
    --------
    >>> BestScore().choose([0.2, 0.7, 0.7], [None, None, None])
    1
    """

    name = "best"

    def choose(self, scores: Sequence[float], fold_scores: Sequence[np.ndarray | None]) -> int:
        return int(np.argmax(_check_scores(scores)))


class OneStandardError(BaseRule):
    r"""The first candidate (in grid order) within one standard error of the best.

    With per-fold scores of the best candidate :math:`s_1, \dots, s_K`, the standard
    error is :math:`\operatorname{sd}(s)/\sqrt K`; any candidate whose mean score is at
    least :math:`\max - \mathrm{SE}` is acceptable and the first one is chosen. Order
    the grid from the simplest (most regularised) model to the most complex to get the
    classic "one-standard-error rule" (Hastie et al., *Elements of Statistical
    Learning*, §7.10). Criteria without folds fall back to :class:`BestScore`.

    Examples
    --------
    >>> import numpy as np
    >>> folds = [np.array([0.70, 0.74]), np.array([0.71, 0.79])]
    >>> OneStandardError().choose([0.72, 0.75], folds)
    0
    """

    name = "one_se"

    def choose(self, scores: Sequence[float], fold_scores: Sequence[np.ndarray | None]) -> int:
        arr = _check_scores(scores)
        best = int(np.argmax(arr))
        folds = fold_scores[best] if len(fold_scores) == arr.size else None
        if folds is None or len(folds) < 2:
            return best
        se = float(np.std(folds, ddof=1) / np.sqrt(len(folds)))
        return int(np.flatnonzero(arr >= arr[best] - se)[0])


RULES = {cls.name: cls for cls in (BestScore, OneStandardError)}


def get_rule(rule: str | BaseRule) -> BaseRule:
    """Turn ``"best"`` / ``"one_se"`` or a rule object into a rule object."""
    if isinstance(rule, BaseRule):
        return rule
    check_option("rule", rule, tuple(RULES))
    return RULES[rule]()
