"""``transferkit rank TARGET -c A -c B``: rank candidate sources for a target.

JSON output: the ``transferkit.rank/1`` payload of
:func:`transferkit.metrics.ranking.rank_candidates` (schema documented there).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from transferkit._validation import TransferKitInputError
from transferkit.commands._format import HIGHER, LOWER, print_fitting, short_names
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
        int, typer.Option(min=5, help="Rows per domain for transport distances.")
    ] = 2000,
    preprocessing: Annotated[
        str, typer.Option(help="Benchmark preprocessing: none (default) or standard.")
    ] = "none",
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed.")] = 0,
) -> None:
    """Rank candidate source domains (or feature extractors) for a target."""
    given = [*candidates, *(more_candidates or [])]
    names = [n.strip() for c in given for n in c.split(",") if n.strip()]
    if not names:
        raise TransferKitInputError(
            "--candidates names no candidate; pass at least one DATASET:DOMAIN or data file, "
            "e.g. -c office_caltech10_surf:amazon -c office_caltech10_surf:dslr."
        )
    tgt = load_spec(target, preprocessing=preprocessing, argument="TARGET")
    cands = [load_spec(c, preprocessing=preprocessing, argument="candidate") for c in names]
    payload = rank_candidates(
        tgt,
        cands,
        mode="features" if features else "domains",
        by=by,
        max_samples=max_samples,
        random_state=seed,
    )
    if json_output:
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console

    console = Console()
    wide, tall, numbered, legend = _tables(payload, target)
    if print_fitting(console, wide, tall, numbered) is numbered:
        for line in legend:
            console.print(line, soft_wrap=True)


def _tables(payload: dict, target: str) -> tuple:
    """The ranking three ways, widest first: a row per candidate; a column per candidate
    named in its header; a column per candidate numbered, with the names in a legend."""
    from rich.table import Table

    cands = payload["candidates"]
    dataset, shown = short_names([c["name"] for c in cands])
    metrics = list(cands[0]["metrics"])
    marker = {k: HIGHER if d == "higher" else LOWER for k, d in payload["directions"].items()}
    consensus = payload["consensus"] if cands[0]["mean_rank"] is not None else []
    by = payload["ranked_by"]
    direction = "higher" if payload["higher_is_better"] else "lower"
    title = (
        f"Candidates{f' from {dataset}' if dataset else ''} for {target}, ranked by {by} "
        f"({direction} is better)"
    )
    caption = _caption(payload, shown, consensus)

    wide = Table(title=title, caption=caption)
    wide.add_column("rank", justify="right", no_wrap=True)
    wide.add_column("candidate", no_wrap=True)
    if consensus:
        wide.add_column(f"mean rank\n{LOWER}", justify="right", no_wrap=True)
    for name in metrics:
        wide.add_column(f"{name}\n{marker[name]}", justify="right", no_wrap=True)
    for c, name in zip(cands, shown, strict=True):
        mean = [f"{c['mean_rank']:.2g}"] if consensus else []
        wide.add_row(str(c["rank"]), name, *mean, *(_fmt(c["metrics"][k]) for k in metrics))

    def by_metric(headers: list[str]) -> Table:
        table = Table(title=title, caption=caption)
        table.add_column("metric", no_wrap=True)
        for header in headers:
            table.add_column(header, justify="right", no_wrap=True)
        if consensus:
            table.add_row(f"mean rank {LOWER}", *(f"{c['mean_rank']:.2g}" for c in cands))
        for k in metrics:
            table.add_row(f"{k} {marker[k]}", *(_fmt(c["metrics"][k]) for c in cands))
        return table

    tall = by_metric([f"#{c['rank']} {name}" for c, name in zip(cands, shown, strict=True)])
    numbered = by_metric([f"#{c['rank']}" for c in cands])
    legend = [f"#{c['rank']} = {name}" for c, name in zip(cands, shown, strict=True)]
    return wide, tall, numbered, legend


def _caption(payload: dict, shown: list[str], consensus: list[str]) -> str:
    if not consensus:
        return ""
    text = f"mean rank: consensus of {len(consensus)} metrics (each ranks 1 = best)."
    best = {}
    for k in consensus:
        sign = -1.0 if payload["directions"][k] == "higher" else 1.0
        values = [sign * c["metrics"][k] for c in payload["candidates"]]
        best[k] = shown[values.index(min(values))]
    if len(set(best.values())) > 1:
        picks: dict[str, list[str]] = {}
        for k, name in best.items():
            picks.setdefault(name, []).append(k)
        text += " The metrics disagree on the best candidate: " + "; ".join(
            f"{name} by {', '.join(ks)}" for name, ks in picks.items()
        )
        text += "."
    return text
