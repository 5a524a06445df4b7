"""Selectors for the benchmark runner (``transferkit bench SUITE --select NAME``).

The runner hands a selector one (task, method, seed) cell: a ``problem`` with the
method's ``candidates`` (parameter dicts), ``build(params)``, the source ``X, y``, the
target ``X_target`` (never its labels) and ``random_state``. :func:`make_selector`
turns a label-free criterion into such a selector; the registrations live in
``transferkit/bench/methods_selection.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from transferkit.selection.search import score_candidates

__all__ = ["SELECTOR_CRITERIA", "make_selector"]

#: selector name -> (criterion name, one-line description)
SELECTOR_CRITERIA: dict[str, tuple[str, str]] = {
    "iwcv": ("iwcv", "importance-weighted source CV (Sugiyama et al. 2007), label-free"),
    "dev": ("dev", "deep embedded validation with control variate (You et al. 2019), label-free"),
    "snd": ("snd", "soft neighbourhood density of target predictions (Saito et al. 2021)"),
    "entropy": ("entropy", "lowest mean entropy of target predictions, label-free"),
    "reverse": ("reverse", "reverse validation (Zhong et al. 2010), label-free"),
    "source_cv": ("source_cv", "plain source cross-validation (ignores the shift)"),
}


def make_selector(criterion: Any, *, cv: int = 3, weighter: Any = None) -> Callable[[Any], Any]:
    """A runner selector that picks the candidate with the best ``criterion`` score.

    Parameters
    ----------
    criterion : str or BaseCriterion
        As in :func:`~transferkit.selection.select`.
    cv : int, default=3
        Stratified source folds.
    weighter : BaseWeighter, optional
        Density-ratio estimator for IWCV/DEV.

    Returns
    -------
    callable
        ``fn(problem) -> (params, info)`` with ``info`` holding every candidate's score.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> problem = SimpleNamespace(
    ...     candidates=[{"C": 1e-4}, {"C": 1.0}], X=Xs, y=ys, X_target=Xs + 0.3,
    ...     random_state=0, build=lambda params: LogisticRegression().set_params(**params))
    >>> params, info = make_selector("entropy")(problem)
    >>> params, info["criterion"]
    ({'C': 1.0}, 'entropy')
    """

    def selector(problem: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        candidates = [dict(c) for c in problem.candidates]
        grid = [{name: [value] for name, value in c.items()} for c in candidates]
        table = score_candidates(
            problem.build({}),
            grid if candidates != [{}] else [{}],
            problem.X,
            problem.y,
            problem.X_target,
            criteria=[criterion],
            cv=cv,
            weighter=weighter,
            random_state=problem.random_state,
        )
        name = next(iter(table.scores))
        best = table.choose(name)
        scores = [float(s) if np.isfinite(s) else None for s in table.table(name)]
        return candidates[best], {"criterion": name, "criterion_scores": scores}

    return selector
