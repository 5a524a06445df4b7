"""``transferkit distance SOURCE TARGET``: every domain distance with its uncertainty.

JSON output schema (stable; new keys may be added, existing keys keep their meaning)::

    {"schema": "transferkit.distance/1",
     "source": str, "target": str,
     "n_source": int, "n_target": int, "n_features": int, "seed": int,
     "distances": [{"name": str, "value": float, "p_value": float|null,
                    "ci_low": float|null, "ci_high": float|null, "details": {...}}, ...]}

The computation is :func:`transferkit.metrics.domain_distances`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from transferkit._validation import TransferKitInputError
from transferkit.commands._format import fmt_number as _fmt
from transferkit.commands._format import fmt_p_value
from transferkit.metrics._inputs import load_spec
from transferkit.metrics.report import DISTANCE_NAMES, domain_distances

__all__ = ["DISTANCE_SCHEMA", "distance"]

DISTANCE_SCHEMA = "transferkit.distance/1"


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
        int, typer.Option(min=0, max=1_000_000, help="Permutations for p-values (0 = none).")
    ] = 200,
    n_bootstrap: Annotated[
        int, typer.Option(min=0, max=100_000, help="Bootstrap resamples for intervals (0 = none).")
    ] = 20,
    max_samples: Annotated[
        int, typer.Option(min=5, help="Rows per domain for tests and transport.")
    ] = 2000,
    only: Annotated[str | None, typer.Option(help="Comma-separated subset of distances.")] = None,
    preprocessing: Annotated[
        str, typer.Option(help="Benchmark preprocessing: none (default) or standard.")
    ] = "none",
    seed: Annotated[
        int, typer.Option(min=0, max=2**32 - 1, help="Random seed of every resampling step.")
    ] = 0,
) -> None:
    """Measure how different two domains are: every distance with its uncertainty."""
    include = _parse_only(only)
    src = load_spec(source, preprocessing=preprocessing, argument="SOURCE")
    tgt = load_spec(target, preprocessing=preprocessing, argument="TARGET")
    if src.X.shape[1] != tgt.X.shape[1]:
        raise TransferKitInputError(
            f"SOURCE {source!r} has {src.X.shape[1]} features but TARGET {target!r} has "
            f"{tgt.X.shape[1]}; distances need one feature space (same extractor for both)."
        )
    rows = domain_distances(
        src.X,
        tgt.X,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        max_samples=max_samples,
        include=include,
        random_state=seed,
        verbose=not json_output,
    )
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

    table = Table(
        title=f"{source} vs {target}  ({src.X.shape[0]} vs {tgt.X.shape[0]} samples)",
        caption=(
            "Every distance: lower = closer domains. p-value: permutation test of equal "
            f"distributions (lower = stronger evidence of a shift; '< 1/{n_permutations + 1}'"
            " = no permutation reached the observed value)."
        ),
    )
    table.add_column("distance", no_wrap=True)
    table.add_column("value\n↓ closer", justify="right", no_wrap=True)
    table.add_column("p-value\nlow: shift", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right")
    for r in rows:
        interval = "-" if r.ci_low is None else f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        table.add_row(r.name, _fmt(r.value), fmt_p_value(r.p_value, n_permutations), interval)
    Console().print(table)
