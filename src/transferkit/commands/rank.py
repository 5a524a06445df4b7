"""``transferkit rank TARGET -c A -c B``: rank candidate sources for a target.

JSON output: the ``transferkit.rank/1`` payload of
:func:`transferkit.metrics.ranking.rank_candidates` (schema documented there).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from transferkit._validation import TransferKitInputError
from transferkit.commands._format import fmt_number as _fmt
from transferkit.metrics._inputs import load_spec
from transferkit.metrics.ranking import RANK_SCHEMA, rank_candidates

__all__ = ["RANK_SCHEMA", "rank"]


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
