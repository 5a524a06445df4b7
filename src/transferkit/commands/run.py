"""``transferkit run experiment.yaml``: run an experiment config (see docs/experiments.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["run"]


def _mean_std(row: dict, name: str) -> str:
    if row[f"{name}_mean"] is None:
        return "failed" if row["n_ok"] == 0 else "-"
    return f"{row[f'{name}_mean']:.2f} ± {row[f'{name}_std']:.2f}"


def _budget(row: dict) -> str:
    if row.get("target_per_class") is not None:
        return f"{row['target_per_class']}/class"
    if row.get("target_fraction") is not None:
        return f"{100 * row['target_fraction']:g}%"
    return ""


def _table(summary: object) -> Table:
    rows = summary.rows  # type: ignore[attr-defined]
    budgets = any(_budget(row) for row in rows)
    table = Table(title="Target accuracy and macro-F1 (%), mean ± std over seeds")
    columns = ["task", "method", "setting", "select"]
    columns += ["labels"] if budgets else []
    columns += ["accuracy", "macro-F1", "seeds", "chosen"]
    for column in columns:
        right = column in ("accuracy", "macro-F1", "seeds", "labels")
        # the rule and the numbers never wrap (a narrow terminal wraps the settings)
        keep = right or column == "select"
        table.add_column(column, justify="right" if right else "left", no_wrap=keep)
    for row in rows:
        select = row["select"] + (" (UPPER BOUND)" if row["uses_target_labels"] else "")
        chosen = sorted({str(p) for p in row["chosen_params"].values() if p})
        table.add_row(
            row["task"],
            row["method"],
            "" if row["setting"] == "{}" else row["setting"],
            select,
            *([_budget(row)] if budgets else []),
            _mean_std(row, "accuracy"),
            _mean_std(row, "macro_f1"),
            f"{row['n_ok']}/{row['n_seeds']}",
            escape("; ".join(chosen)),
        )
    return table


def run(
    config: Annotated[
        Path,
        typer.Argument(
            help="Experiment config (.yaml, .yml or .json).", show_default=False, metavar="CONFIG"
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Results folder (default: the config's output, else ./transferkit_runs/NAME).",
        ),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="sequential or ray (default: the config's execution)."),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (implies --backend ray)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume/--no-resume", help="Skip the cells that already finished."),
    ] = True,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar.")
    ] = True,
) -> None:
    """Run every cell (method x setting x task x selection x seed) of CONFIG.

    Writes one JSON file per cell under OUTPUT/cells/, then OUTPUT/table.csv and
    OUTPUT/table.json (mean ± std over seeds, chosen hyper-parameters) and a copy of the
    config. Running again resumes: finished cells are not recomputed. Exits with 1 when
    a cell failed (each failure is listed with its error).
    """
    from transferkit.experiments.runner import run_experiment

    console = Console(stderr=True)
    try:
        summary = run_experiment(
            config,
            output_dir=output,
            backend=backend,
            address=address,
            resume=resume,
            verbose=progress,
        )
    except KeyboardInterrupt:
        console.print(
            "[yellow]Interrupted.[/] Finished cells are saved; run the same command again "
            "to resume."
        )
        raise typer.Exit(130) from None
    Console(width=max(Console().width, 100)).print(_table(summary))
    console.print(
        f"{summary.n_cells} cells: {summary.n_run} run, {summary.n_resumed} resumed, "
        f"{summary.n_failed} failed. Results: {summary.table_csv}, {summary.table_json}, "
        f"{summary.output_dir / 'cells'}",
        soft_wrap=True,
        highlight=False,
    )
    if summary.failed:
        for cell in summary.failed:
            key = cell["key"]
            console.print(
                f"[red]failed[/] {escape(key['method'])} on {escape(key['task'])} "
                f"(select {key['select']}, seed {key['seed']}): {escape(str(cell['error']))}",
                soft_wrap=True,
                highlight=False,
            )
        raise typer.Exit(1)
