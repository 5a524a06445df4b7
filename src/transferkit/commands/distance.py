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
