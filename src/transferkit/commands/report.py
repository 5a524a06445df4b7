"""``transferkit report RESULTS``: one offline HTML page of a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["report"]


def report(
    results: Annotated[
        Path,
        typer.Argument(
            help="Results folder of `transferkit bench` or `transferkit run` (or one of "
            "its JSON results files).",
            show_default=False,
            metavar="RESULTS",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file (default: RESULTS/report.html)."),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", help="Task of the t-SNE and confusion matrices, e.g. 'C->A'."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="Method of the t-SNE and confusion matrices (default: the first "
            "feature-mapping method of the results).",
        ),
    ] = None,
    max_samples: Annotated[
        int,
        typer.Option(
            "--max-samples", min=10, help="At most this many samples per domain (heat map, t-SNE)."
        ),
    ] = 300,
    random_state: Annotated[
        int,
        typer.Option(
            "--random-state", min=0, max=2**32 - 1, help="Seed of the subsamples and t-SNE."
        ),
    ] = 0,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="Load the data and refit one cell for the heat map, t-SNE and confusion "
            "matrices (--no-refit: tables and bar charts only).",
        ),
    ] = True,
) -> None:
    """Write one offline HTML report of RESULTS: accuracy table beside the published
    numbers, bar charts, domain distances, t-SNE before/after adaptation, confusion
    matrices."""
    from threadpoolctl import threadpool_limits

    from transferkit.report.experiment import write_results_report

    with threadpool_limits(limits=1):
        path = write_results_report(
            results,
            output,
            task=task,
            method=method,
            max_samples=max_samples,
            random_state=random_state,
            refit=refit,
        )
    typer.echo(f"Report: {path}")
