"""``transferkit bench SUITE --methods a,b --seeds N``: run a benchmark suite."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from transferkit.bench.runner import DEFAULT_OUTPUT, MAX_SEEDS

__all__ = ["bench"]


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _print_methods(console: Console, suite: str | None) -> None:
    from transferkit.bench import list_methods, list_selectors

    if suite is None:
        table = Table(title="Benchmark methods (all suites)")
        for column in ("method", "description", "suites"):
            table.add_column(column)
        for spec in list_methods():
            table.add_row(spec.name, spec.description, ", ".join(spec.suites or ["all"]))
    else:
        table = Table(title=f"Methods for suite {suite}")
        for column in ("method", "description", "published rows"):
            table.add_column(column)
        for spec in list_methods(suite):
            table.add_row(spec.name, spec.description, ", ".join(spec.published.get(suite, ())))
    console.print(table)
    console.print(
        "Selectors: " + ", ".join(f"{s.name} ({s.description})" for s in list_selectors())
    )


def bench(
    suite: Annotated[
        str | None,
        typer.Argument(
            help="Suite: office_caltech_surf, digits, coil or amazon.",
            show_default=False,
            metavar="SUITE",
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option("--methods", "-m", help="Comma-separated method names (see --list-methods)."),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option("--seeds", "-s", help=f"Number of seeds, 1..{MAX_SEEDS} (runs 0..N-1)."),
    ] = 1,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder of the JSON, markdown and plot files."),
    ] = DEFAULT_OUTPUT,
    force: Annotated[
        bool,
        typer.Option("--force", help="Allow overwriting result files committed in a git checkout."),
    ] = False,
    plot: Annotated[
        bool, typer.Option("--plot/--no-plot", help="Also draw SUITE.png (needs matplotlib).")
    ] = True,
    resume: Annotated[bool, typer.Option("--resume", help="Skip cells already finished.")] = False,
    select: Annotated[
        str,
        typer.Option(
            "--select",
            help="Hyper-parameter selection: none, oracle (UPPER BOUND: uses target labels) "
            "or a registered label-free selector.",
        ),
    ] = "none",
    tasks: Annotated[
        str | None, typer.Option("--tasks", help="Comma-separated subset of tasks, e.g. 'C->A'.")
    ] = None,
    memory: Annotated[
        str, typer.Option("--memory", help="Peak-memory figures: both, rss, tracemalloc or none.")
    ] = "both",
    list_methods_: Annotated[
        bool, typer.Option("--list-methods", help="List the methods and selectors for SUITE.")
    ] = False,
    guard: Annotated[
        bool,
        typer.Option(
            "--guard",
            help="Also run METHOD+guard for every method: the method kept only where a "
            "label-free negative-transfer check says it beats source only.",
        ),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar.")
    ] = True,
) -> None:
    """Run METHODS on every task of SUITE and write JSON + markdown results and a plot.

    Results go to --output (default ./transferkit_results) and are saved after every
    cell, so Ctrl-C leaves a valid partial file; run again with --resume to finish it.
    Two runs writing the same folder keep each other's cells (file lock + merge).
    """
    from transferkit._validation import TransferKitInputError
    from transferkit.bench import get_suite, result_paths, run_benchmark

    console = Console(stderr=True)
    try:
        if suite is None:
            if list_methods_:
                _print_methods(Console(), None)
                return
            raise TransferKitInputError(
                "SUITE is required, e.g. `transferkit bench office_caltech_surf --methods "
                "source_only`; `transferkit bench --list-methods` lists the methods."
            )
        get_suite(suite)
        if list_methods_:
            _print_methods(Console(), suite)
            return
        names = _split(methods)
        if not names:
            _print_methods(console, suite)
            raise TransferKitInputError("--methods is required, e.g. --methods source_only,pca.")
        if guard:
            names += [f"{n}+guard" for n in names if not n.endswith("+guard")]
        json_path, md_path = result_paths(suite, output, select)
        try:
            state = run_benchmark(
                suite,
                names,
                seeds=seeds,
                output_dir=output,
                resume=resume,
                select=select,
                memory=memory,
                tasks=_split(tasks) or None,
                verbose=progress,
                plot=plot,
                force=force,
            )
        except KeyboardInterrupt:
            console.print(
                f"[yellow]Interrupted.[/] Finished cells are saved in {json_path}; "
                "run the same command with --resume to complete it."
            )
            raise typer.Exit(130) from None
    except TransferKitInputError as exc:
        console.print(f"[red]Error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    failed = [c for c in state["cells"] if c["status"] != "ok"]
    plot_path = json_path.with_suffix(".png")
    extra = f" and {plot_path}" if plot and plot_path.exists() else ""
    console.print(f"Results: {json_path}, {md_path}{extra}", soft_wrap=True)
    if failed:
        for cell in failed:
            console.print(
                f"[red]failed[/] {cell['method']} on {cell['task']} seed {cell['seed']}: "
                f"{cell['error']}"
            )
        raise typer.Exit(1)
