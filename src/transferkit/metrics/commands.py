"""The ``transferkit distance`` and ``transferkit rank`` commands.

JSON output schemas (stable; new keys may be added, existing keys keep their meaning):

``transferkit distance --json``::

    {"schema": "transferkit.distance/1",
     "source": str, "target": str,
     "n_source": int, "n_target": int, "n_features": int, "seed": int,
     "distances": [{"name": str, "value": float, "p_value": float|null,
                    "ci_low": float|null, "ci_high": float|null, "details": {...}}, ...]}

``transferkit rank --json``::

    {"schema": "transferkit.rank/1",
     "target": str, "mode": "domains"|"features",
     "ranked_by": str, "higher_is_better": bool, "seed": int,
     "candidates": [{"rank": int (1 = best), "name": str, "n_samples": int,
                     "n_features": int, "metrics": {str: float|null}}, ...]}

In ``domains`` mode the metrics are distances between candidate and target (lower =
closer) plus, when both carry labels, ``leep`` and ``nce`` of a source-only logistic
regression trained on the candidate (higher = better). In ``features`` mode every
candidate is a feature matrix of the target samples and the metrics are ``logme`` and
``h_score`` (higher = better).
"""

from __future__ import annotations

import json
import math
from typing import Annotated

import numpy as np
import typer

from transferkit._validation import TransferKitInputError
from transferkit.metrics._inputs import DomainData, load_spec
from transferkit.metrics.report import DISTANCE_NAMES, domain_distances
from transferkit.metrics.transferability import h_score, leep, logme, nce

__all__ = ["DISTANCE_SCHEMA", "RANK_SCHEMA", "distance", "rank", "rank_candidates"]

DISTANCE_SCHEMA = "transferkit.distance/1"
RANK_SCHEMA = "transferkit.rank/1"
_RANK_DISTANCES = ("mmd2_gaussian", "mmd2_linear", "proxy_a", "coral", "kl_knn", "wasserstein2")
_SCORES = ("leep", "nce", "logme", "h_score")


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def _parse_only(only: str | None) -> tuple[str, ...] | None:
    if not only:
        return None
    names = tuple(n.strip() for n in only.split(",") if n.strip())
    unknown = set(names) - set(DISTANCE_NAMES)
    if unknown:
        raise typer.BadParameter(
            f"unknown distance(s) {sorted(unknown)}; choose from {', '.join(DISTANCE_NAMES)}.",
            param_hint="--only",
        )
    return names


def distance(
    source: Annotated[str, typer.Argument(help="DATASET:DOMAIN or a .npy/.npz/.csv/.mat file.")],
    target: Annotated[str, typer.Argument(help="DATASET:DOMAIN or a .npy/.npz/.csv/.mat file.")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
    n_permutations: Annotated[
        int, typer.Option(help="Permutations for p-values (0 = none).")
    ] = 200,
    n_bootstrap: Annotated[
        int, typer.Option(help="Bootstrap resamples for intervals (0 = none).")
    ] = 20,
    max_samples: Annotated[
        int, typer.Option(help="Rows per domain for tests and transport.")
    ] = 2000,
    only: Annotated[str | None, typer.Option(help="Comma-separated subset of distances.")] = None,
    preprocessing: Annotated[
        str, typer.Option(help="Benchmark preprocessing: none (default) or standard.")
    ] = "none",
    seed: Annotated[int, typer.Option(help="Random seed of every resampling step.")] = 0,
) -> None:
    """Measure how different two domains are: every distance with its uncertainty."""
    try:
        src = load_spec(source, preprocessing=preprocessing)
        tgt = load_spec(target, preprocessing=preprocessing)
        rows = domain_distances(
            src.X,
            tgt.X,
            n_permutations=n_permutations,
            n_bootstrap=n_bootstrap,
            max_samples=max_samples,
            include=_parse_only(only),
            random_state=seed,
            progress=not json_output,
        )
    except (TransferKitInputError, FileNotFoundError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if json_output:
        payload = {
            "schema": DISTANCE_SCHEMA,
            "source": source,
            "target": target,
            "n_source": int(src.X.shape[0]),
            "n_target": int(tgt.X.shape[0]),
            "n_features": int(src.X.shape[1]),
            "seed": seed,
            "distances": [r.as_dict() for r in rows],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{source} vs {target}  ({src.X.shape[0]} vs {tgt.X.shape[0]} samples)")
    for col in ("distance", "value", "p-value", "95% interval"):
        table.add_column(col, justify="left" if col == "distance" else "right")
    for r in rows:
        interval = "-" if r.ci_low is None else f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        table.add_row(r.name, _fmt(r.value), _fmt(r.p_value), interval)
    Console().print(table)


def _source_only_scores(cand: DomainData, tgt: DomainData) -> dict[str, float | None]:
    from sklearn.linear_model import LogisticRegression

    if cand.y is None or tgt.y is None or np.unique(cand.y).size < 2:
        return {"leep": None, "nce": None}
    model = LogisticRegression(max_iter=2000).fit(cand.X, cand.y)
    probs = model.predict_proba(tgt.X)
    return {"leep": leep(probs, tgt.y), "nce": nce(probs.argmax(1), tgt.y)}


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
    return {
        "schema": RANK_SCHEMA,
        "target": target.name,
        "mode": mode,
        "ranked_by": key,
        "higher_is_better": higher,
        "seed": random_state,
        "candidates": [
            {
                "rank": i + 1,
                "name": c.name,
                "n_samples": int(c.X.shape[0]),
                "n_features": int(c.X.shape[1]),
                "metrics": {k: None if v is None else float(v) for k, v in m.items()},
            }
            for i, (c, m) in enumerate(order)
        ],
    }


def rank(
    target: Annotated[str, typer.Argument(help="DATASET:DOMAIN or a data file.")],
    candidates: Annotated[
        list[str],
        typer.Option(
            "--candidates",
            "-c",
            help="Candidate sources: `--candidates A B C`, `-c A -c B` or `-c A,B`.",
        ),
    ],
    more_candidates: Annotated[
        list[str] | None,
        typer.Argument(help="Further candidates following --candidates A.", show_default=False),
    ] = None,
    features: Annotated[
        bool,
        typer.Option(
            "--features",
            help="Candidates are target features from different extractors (LogME, H-score).",
        ),
    ] = False,
    by: Annotated[
        str | None, typer.Option(help="Metric to rank by (default mmd2_gaussian / logme).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
    max_samples: Annotated[
        int, typer.Option(help="Rows per domain for transport distances.")
    ] = 2000,
    preprocessing: Annotated[
        str, typer.Option(help="Benchmark preprocessing: none (default) or standard.")
    ] = "none",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Rank candidate source domains (or feature extractors) for a target."""
    try:
        tgt = load_spec(target, preprocessing=preprocessing)
        names = [n for c in [*candidates, *(more_candidates or [])] for n in c.split(",") if n]
        cands = [load_spec(c, preprocessing=preprocessing) for c in names]
        payload = rank_candidates(
            tgt,
            cands,
            mode="features" if features else "domains",
            by=by,
            max_samples=max_samples,
            random_state=seed,
        )
    except (TransferKitInputError, FileNotFoundError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if json_output:
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    direction = "higher" if payload["higher_is_better"] else "lower"
    table = Table(
        title=f"Candidates for {target}, ranked by {payload['ranked_by']} ({direction} is better)"
    )
    metric_names = list(payload["candidates"][0]["metrics"])
    table.add_column("rank", justify="right")
    table.add_column("candidate")
    for name in metric_names:
        table.add_column(name, justify="right")
    for c in payload["candidates"]:
        table.add_row(str(c["rank"]), c["name"], *(_fmt(c["metrics"][k]) for k in metric_names))
    Console().print(table)
