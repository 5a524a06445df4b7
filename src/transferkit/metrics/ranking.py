"""Rank candidate sources (or feature extractors) for a target: the computation behind
``transferkit rank``.

The payload follows the ``transferkit.rank/1`` JSON schema::

    {"schema": "transferkit.rank/1",
     "target": str, "mode": "domains"|"features",
     "ranked_by": str, "higher_is_better": bool, "seed": int,
     "directions": {str: "higher"|"lower"},   # which way each metric is better
     "consensus": [str, ...],                 # metrics averaged into mean_rank
     "candidates": [{"rank": int (1 = best), "name": str, "n_samples": int,
                     "n_features": int, "metrics": {str: float|null},
                     "mean_rank": float|null}, ...]}

``mean_rank`` is the consensus of the metrics: each metric ranks the candidates (1 =
best in its own direction, ties share the mean rank) and the ranks are averaged over
the metrics known for every candidate. It is null with fewer than two such metrics.

In ``domains`` mode the metrics are distances between candidate and target (lower =
closer) plus, when both carry labels, ``leep`` and ``nce`` of a source-only logistic
regression trained on the candidate (higher = better). In ``features`` mode every
candidate is a feature matrix of the target samples and the metrics are ``logme`` and
``h_score`` (higher = better).
"""

from __future__ import annotations

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.metrics._inputs import DomainData
from transferkit.metrics.report import domain_distances
from transferkit.metrics.transferability import h_score, leep, logme, nce

__all__ = ["RANK_SCHEMA", "rank_candidates"]

RANK_SCHEMA = "transferkit.rank/1"
_RANK_DISTANCES = ("mmd2_gaussian", "mmd2_linear", "proxy_a", "coral", "kl_knn", "wasserstein2")
_SCORES = ("leep", "nce", "logme", "h_score")


def _source_only_scores(cand: DomainData, tgt: DomainData) -> dict[str, float | None]:
    from sklearn.linear_model import LogisticRegression

    if cand.y is None or tgt.y is None or np.unique(cand.y).size < 2:
        return {"leep": None, "nce": None}
    model = LogisticRegression(max_iter=2000).fit(cand.X, cand.y)
    probs = model.predict_proba(tgt.X)
    return {"leep": leep(probs, tgt.y), "nce": nce(probs.argmax(1), tgt.y)}


def _mean_ranks(
    metrics: list[dict[str, float | None]], directions: dict[str, str]
) -> tuple[list[str], list[float | None]]:
    """Metrics used and each candidate's mean rank over them (1 = best)."""
    from scipy.stats import rankdata

    used = [
        k
        for k in directions
        if all(m[k] is not None and np.isfinite(m[k]) for m in metrics)  # type: ignore[arg-type]
    ]
    if len(used) < 2:
        return used, [None] * len(metrics)
    ranks = np.column_stack(
        [
            rankdata([(-1.0 if directions[k] == "higher" else 1.0) * m[k] for m in metrics])
            for k in used
        ]
    )
    return used, [float(r) for r in ranks.mean(axis=1)]


def rank_candidates(
    target: DomainData,
    candidates: list[DomainData],
    *,
    mode: str = "domains",
    by: str | None = None,
    max_samples: int = 2000,
    random_state: int = 0,
) -> dict:
    """Score and rank candidates for a target; returns the ``transferkit.rank/1`` payload."""
    results = []
    for cand in candidates:
        if mode == "features":
            if target.y is None:
                raise TransferKitInputError(
                    f"features mode needs target labels; {target.name} has none (use a "
                    "benchmark domain or an .npz/.mat file with labels)."
                )
            if cand.X.shape[0] != target.X.shape[0]:
                raise TransferKitInputError(
                    f"candidate {cand.name} has {cand.X.shape[0]} rows but the target has "
                    f"{target.X.shape[0]}; in features mode each candidate holds the target "
                    "samples passed through one feature extractor."
                )
            metrics = {"logme": logme(cand.X, target.y), "h_score": h_score(cand.X, target.y)}
        else:
            rows = domain_distances(
                cand.X,
                target.X,
                n_permutations=0,
                n_bootstrap=0,
                max_samples=max_samples,
                include=_RANK_DISTANCES,
                random_state=random_state,
            )
            metrics = {r.name: r.value for r in rows}
            metrics.update(_source_only_scores(cand, target))
        results.append((cand, metrics))
    default = "logme" if mode == "features" else "mmd2_gaussian"
    key = by or default
    if key not in results[0][1]:
        raise TransferKitInputError(
            f"--by {key!r} is not computed in {mode} mode; choose one of "
            f"{', '.join(results[0][1])}."
        )
    higher = key in _SCORES
    missing = [c.name for c, m in results if m[key] is None]
    if missing:
        raise TransferKitInputError(
            f"{key} needs labels for the target and every candidate; missing for {missing}."
        )
    order = sorted(results, key=lambda cm: -cm[1][key] if higher else cm[1][key])
    directions = {k: "higher" if k in _SCORES else "lower" for k in results[0][1]}
    consensus, mean_ranks = _mean_ranks([m for _, m in order], directions)
    return {
        "schema": RANK_SCHEMA,
        "target": target.name,
        "mode": mode,
        "ranked_by": key,
        "higher_is_better": higher,
        "seed": random_state,
        "directions": directions,
        "consensus": consensus,
        "candidates": [
            {
                "rank": i + 1,
                "name": c.name,
                "n_samples": int(c.X.shape[0]),
                "n_features": int(c.X.shape[1]),
                "metrics": {k: None if v is None else float(v) for k, v in m.items()},
                "mean_rank": mean_ranks[i],
            }
            for i, (c, m) in enumerate(order)
        ],
    }
