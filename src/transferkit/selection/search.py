"""``select``: choose hyper-parameters of a transfer estimator without target labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import ParameterGrid
from tqdm.auto import tqdm

from transferkit._validation import (
    TransferKitInputError,
    check_random_state,
    check_source_target,
)
from transferkit.selection._problem import SelectionRun
from transferkit.selection.criteria import BaseCriterion, CriterionScore, get_criterion
from transferkit.selection.rules import BaseRule, get_rule
from transferkit.selection.splitters import StratifiedSourceKFold

__all__ = ["CandidateScores", "SelectionResult", "score_candidates", "select"]


@dataclass
class CandidateScores:
    """Scores of every candidate under several criteria (from :func:`score_candidates`).

    Attributes
    ----------
    params : list of dict
        The candidates, in grid order.
    scores : dict of str to list of CriterionScore
        Per criterion name, one score per candidate (larger is better).
    criteria : dict of str to BaseCriterion
        The criterion objects used.
    """

    params: list[dict[str, Any]]
    scores: dict[str, list[CriterionScore]]
    criteria: dict[str, BaseCriterion]
    problem: SelectionRun = field(repr=False)

    def table(self, name: str) -> np.ndarray:
        """Scores of all candidates under criterion ``name``."""
        return np.array([s.score for s in self.scores[name]])

    def choose(self, name: str, rule: str | BaseRule = "best") -> int:
        """Index of the candidate that ``rule`` picks under criterion ``name``."""
        chosen = self.scores[name]
        return get_rule(rule).choose([s.score for s in chosen], [s.fold_scores for s in chosen])


@dataclass
class SelectionResult:
    """Outcome of :func:`select`.

    Attributes
    ----------
    best_index : int
    best_params : dict
    best_score : float
        Criterion score of the chosen candidate (larger is better).
    scores : ndarray of shape (n_candidates,)
    params : list of dict
    criterion : BaseCriterion
    rule : BaseRule
    best_estimator : estimator or None
        The chosen candidate refitted on the whole source and the target
        (``refit=True``).
    details : list of CriterionScore
    """

    best_index: int
    best_params: dict[str, Any]
    best_score: float
    scores: np.ndarray
    params: list[dict[str, Any]]
    criterion: BaseCriterion
    rule: BaseRule
    best_estimator: Any = None
    details: list[CriterionScore] = field(default_factory=list, repr=False)


def _as_grid(param_grid: Any) -> list[dict[str, Any]]:
    if isinstance(param_grid, Mapping | ParameterGrid) or (
        isinstance(param_grid, Sequence) and all(isinstance(p, Mapping) for p in param_grid)
    ):
        grid = (
            list(ParameterGrid(param_grid))
            if not isinstance(param_grid, ParameterGrid)
            else list(param_grid)
        )
    else:
        raise TransferKitInputError(
            "param_grid must be a dict of parameter name -> list of values (or a list of "
            f"such dicts); got {type(param_grid).__name__}."
        )
    if not grid:
        raise TransferKitInputError("param_grid is empty: give at least one candidate.")
    return grid


def _make_splits(
    cv: Any, X: np.ndarray, y: np.ndarray, random_state: Any, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    if isinstance(cv, int | np.integer) and not isinstance(cv, bool):
        cv = StratifiedSourceKFold(int(cv), shuffle=True, random_state=random_state)
    if isinstance(cv, str | bytes) or not hasattr(cv, "split"):
        raise TransferKitInputError(
            "cv must be an int (number of stratified source folds) or a splitter with a "
            f"split(X, y) method such as SourceKFold; got {type(cv).__name__}."
        )
    # With several sources the splitter gets their ids as groups: transferkit's splitters
    # keep every source in every fold, a GroupKFold leaves whole sources out.
    pieces = cv.split(X, y) if groups is None else cv.split(X, y, groups=groups)
    splits = [(np.asarray(tr), np.asarray(va)) for tr, va in pieces]
    for train, val in splits:
        if train.size == 0 or val.size == 0 or train.max() >= X.shape[0]:
            raise TransferKitInputError(
                "cv produced an empty fold or an index outside the source; splitters for "
                "select() must split the source samples only."
            )
    return splits


def score_candidates(
    estimator: Any,
    param_grid: Any,
    X: Any,
    y: Any,
    X_target: Any,
    *,
    criteria: Iterable[Any] = ("iwcv", "dev", "snd"),
    y_target: Any = None,
    cv: Any = 5,
    weighter: Any = None,
    random_state: Any = None,
    verbose: bool = False,
    sample_domain: Any = None,
) -> CandidateScores:
    """Score every candidate of ``param_grid`` under several criteria, sharing the fits.

    Each (candidate, source fold) model is fitted once and reused by all fold-based
    criteria (IWCV, DEV, reverse validation, source CV); the full-data model is fitted
    once and reused by the target-side criteria (entropy, SND, oracle).

    Parameters
    ----------
    estimator : estimator
        A transferkit estimator (``fit(X, y, X_target=...)``) or any scikit-learn
        classifier (then the target is used only by the criteria).
    param_grid : dict or list of dicts
        Candidates, as for ``GridSearchCV``.
    X, y : source samples and labels.
    X_target : target samples (unlabelled).
    criteria : iterable of str or BaseCriterion
        Names among "iwcv", "dev", "reverse", "entropy", "snd", "source_cv", "oracle".
    y_target : array-like, optional
        Target labels, used **only** by the "oracle" criterion (``-1`` = unlabelled).
    cv : int or splitter, default=5
        Number of stratified source folds, or a splitter of the source such as
        :class:`~transferkit.selection.SourceKFold`.
    weighter : BaseWeighter, optional
        Density-ratio estimator for IWCV and DEV (default
        :class:`transferkit.instance.DiscriminativeDensityRatio`).
    random_state : int, RandomState or None
        Seeds the folds and the default weighter.
    verbose : bool, default=False
        Show a progress bar over the candidates.
    sample_domain : array-like of int, optional
        skada-style domain ids of the rows of ``X`` (see ``fit``): several sources,
        intermediate domains, or the target inside ``X`` (then ``X_target=None``). The
        candidates are fitted with them; folds keep every source in every training
        fold (a ``GroupKFold`` given as ``cv`` leaves whole sources out instead), and the
        target and intermediate rows are never validated on.

    Returns
    -------
    CandidateScores
    """
    crits = [get_criterion(c) for c in criteria]
    if not crits:
        raise TransferKitInputError("criteria is empty: name at least one criterion.")
    names = [c.name or type(c).__name__ for c in crits]
    if len(set(names)) != len(names):
        raise TransferKitInputError(f"criteria contains duplicates: {names}.")
    needs_labels = any(c.needs_target_labels for c in crits)
    data = check_source_target(
        X,
        y,
        X_target,
        y_target if needs_labels else None,
        sample_domain=sample_domain,
    )
    if not needs_labels:
        data.y_target = None  # label-free: target rows of a stacked y are never read
    if data.X_target.shape[0] < 2:
        raise TransferKitInputError(
            f"X_target has {data.X_target.shape[0]} sample(s); label-free selection needs "
            "at least 2 target samples."
        )
    grid = _as_grid(param_grid)
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    several = data.n_sources > 1 or bool(data.intermediates)
    groups = data.sample_domain if data.n_sources > 1 else None
    needs_folds = any(c.needs_folds for c in crits)
    splits = _make_splits(cv, data.X, data.y, seed, groups) if needs_folds else []
    problem = SelectionRun(
        data.X,
        data.y,
        data.X_target,
        data.y_target,
        splits,
        weighter=weighter,
        random_state=seed,
        sample_domain=data.sample_domain if several else None,
        intermediates=data.intermediates,
    )
    scores: dict[str, list[CriterionScore]] = {n: [] for n in names}
    for key, params in enumerate(tqdm(grid, desc="candidates", disable=not verbose)):
        candidate = _with_params(estimator, params)
        for name, crit in zip(names, crits, strict=True):
            scores[name].append(crit.evaluate(problem, key, candidate))
        problem.forget(key)
    return CandidateScores(grid, scores, dict(zip(names, crits, strict=True)), problem)


def _with_params(estimator: Any, params: Mapping[str, Any]) -> Any:
    from sklearn.base import clone

    try:
        return clone(estimator).set_params(**params)
    except ValueError as exc:
        raise TransferKitInputError(
            f"param_grid names a parameter that {type(estimator).__name__} does not have: {exc}"
        ) from exc


def select(
    estimator: Any,
    param_grid: Any,
    X: Any,
    y: Any,
    X_target: Any,
    *,
    criterion: Any = "iwcv",
    cv: Any = 5,
    rule: str | BaseRule = "best",
    weighter: Any = None,
    y_target: Any = None,
    refit: bool = True,
    random_state: Any = None,
    verbose: bool = False,
    sample_domain: Any = None,
) -> SelectionResult:
    r"""Choose hyper-parameters of ``estimator`` without target labels.

    Every candidate :math:`\theta` of ``param_grid`` is scored by ``criterion``
    (larger is better) and ``rule`` picks one:

    .. math::
        \hat\theta = \arg\max_{\theta} \; \mathrm{score}_{\mathrm{criterion}}(\theta;
        X_s, y_s, X_t) .

    Parameters
    ----------
    estimator : estimator
        A transferkit estimator or a scikit-learn classifier.
    param_grid : dict or list of dicts
        Candidates, as for ``GridSearchCV`` (order them simplest first for
        ``rule="one_se"``).
    X, y : source samples and labels.
    X_target : target samples.
    criterion : str or BaseCriterion, default="iwcv"
        "iwcv", "dev", "reverse", "entropy", "snd", "source_cv" or "oracle" (needs
        ``y_target``; an upper bound, not label-free), or a criterion object such as
        ``IWCV(weighter=KMM(), loss="log_loss")``.
    cv : int or splitter, default=5
        Stratified source folds for the fold-based criteria.
    rule : {"best", "one_se"} or BaseRule, default="best"
    weighter : BaseWeighter, optional
        Density-ratio estimator for IWCV/DEV (default: the discriminative density ratio).
    y_target : array-like, optional
        Only for the oracle.
    refit : bool, default=True
        Refit the chosen candidate on the whole source and the target.
    random_state : int, RandomState or None
    verbose : bool, default=False
    sample_domain : array-like of int, optional
        skada-style domain ids of the rows of ``X``, as for :func:`score_candidates`.

    Returns
    -------
    SelectionResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit.selection import select
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(80, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(60, 2)) + [0.5, 0.0]
    >>> result = select(LogisticRegression(), {"C": [1e-4, 1.0]}, Xs, ys, Xt,
    ...                 criterion="entropy", random_state=0)
    >>> result.best_params
    {'C': 1.0}
    """
    crit = get_criterion(criterion)
    chosen_rule = get_rule(rule)
    table = score_candidates(
        estimator,
        param_grid,
        X,
        y,
        X_target,
        criteria=[crit],
        y_target=y_target,
        cv=cv,
        weighter=weighter,
        random_state=random_state,
        verbose=verbose,
        sample_domain=sample_domain,
    )
    name = next(iter(table.scores))
    best = table.choose(name, chosen_rule)
    details = table.scores[name]
    best_estimator = None
    if refit:
        problem = table.problem
        # the refit pins size-dependent solvers exactly as the fold fits did
        best_estimator = problem.full_model(best, _with_params(estimator, table.params[best]))
    return SelectionResult(
        best_index=best,
        best_params=dict(table.params[best]),
        best_score=float(details[best].score),
        scores=table.table(name),
        params=table.params,
        criterion=crit,
        rule=chosen_rule,
        best_estimator=best_estimator,
        details=details,
    )
