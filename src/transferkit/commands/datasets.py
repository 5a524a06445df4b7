"""``transferkit datasets list|verify|fetch|build``: what data is known, is it intact, get it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["app", "list_command", "verify_command", "fetch_command", "build_command"]

app = typer.Typer(
    help="Benchmark data sets: list, verify (SHA-256), fetch from the original locations, "
    "build derived files.",
    no_args_is_help=True,
)

DataHome = Annotated[
    Path | None,
    typer.Option("--data-home", help="Data folder (default: TRANSFERKIT_DATA, see the docs)."),
]


@app.command("list")
def list_command(data_home: DataHome = None) -> None:
    """List every data set: description, domains, files present, citation and licence."""
    from transferkit.datasets import DATASETS, get_data_home

    home = get_data_home(data_home)
    console = Console()
    console.print(f"[bold]Data sets[/] (data home: {home})")
    for name, info in sorted(DATASETS.items()):
        present = sum((home / f.path).is_file() for f in info.files)
        console.print(f"\n[bold]{name}[/]  ({present}/{len(info.files)} files present)")
        lines = [("", info.description)]
        if info.domains:
            lines.append(("domains", ", ".join(info.domains)))
        lines += [("cite", info.citation), ("licence", info.licence)]
        for label, text in lines:
            prefix = f"{label + ':':9}" if label else " " * 9
            console.print(f"  {prefix}{text}", soft_wrap=True, highlight=False)
    console.print(
        "\nGet a missing data set with `transferkit datasets fetch NAME` (see also --mirror)."
    )


@app.command("verify")
def verify_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Data sets to check (default: all).")
    ] = None,
    data_home: DataHome = None,
) -> None:
    """Check the SHA-256 of every file; exit with status 1 if any is missing or altered."""
    from transferkit.datasets import DATASETS, get_data_home, verify_dataset

    home = get_data_home(data_home)
    console = Console()
    selected = names or sorted(DATASETS)
    unknown = [n for n in selected if n not in DATASETS]
    if unknown:
        Console(stderr=True).print(
            f"[red]Error:[/] unknown data set(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(DATASETS))}."
        )
        raise typer.Exit(2)
    table = Table(title=f"SHA-256 check (data home: {home})")
    table.add_column("dataset", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("status", no_wrap=True)
    problems = []
    for name in selected:
        for status in verify_dataset(name, data_home):
            colour = {"ok": "green", "missing": "yellow"}.get(status.status, "red")
            table.add_row(name, str(status.path), f"[{colour}]{status.status}[/]")
            if status.status != "ok":
                problems.append(status)
    console.print(table)
    total = sum(len(DATASETS[n].files) for n in selected)
    if problems:
        for status in problems:
            console.print(f"[red]{status.status}[/]: {status.message}", soft_wrap=True)
        console.print(f"{len(problems)} of {total} file(s) failed the check.")
        raise typer.Exit(1)
    console.print(f"All {total} file(s) match their published SHA-256.")


def _check_names(names: list[str]) -> None:
    from transferkit.datasets import DATASETS

    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        Console(stderr=True).print(
            f"[red]Error:[/] unknown data set(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(DATASETS))}."
        )
        raise typer.Exit(2)


@app.command("fetch")
def fetch_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Data sets to download (default: all).")
    ] = None,
    data_home: DataHome = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror",
            help="Base URL of a mirror with the data-home layout "
            "(default: TRANSFERKIT_DATA_MIRROR, else the original locations).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download again even if a verified copy exists.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds without data before a retry.")
    ] = 60.0,
    retries: Annotated[int, typer.Option("--retries", help="Retries per file.")] = 3,
) -> None:
    """Download data sets from their original public locations, verified by SHA-256.

    Files already present and intact are kept; an interrupted download resumes. Derived
    files (the HFHAD-C subset) are rebuilt from the downloaded upstream files.
    """
    from transferkit.datasets import DATASETS, DownloadError, fetch_dataset, get_data_home

    selected = names or sorted(DATASETS)
    _check_names(selected)
    home = get_data_home(data_home)
    console = Console()
    failed = []
    for name in selected:
        try:
            paths = fetch_dataset(
                name, home, mirror=mirror, force=force, timeout=timeout, retries=retries
            )
        except (DownloadError, OSError, ValueError) as exc:
            console.print(f"[red]failed[/] {name}: {exc}", soft_wrap=True)
            failed.append(name)
            continue
        console.print(f"[green]ok[/] {name}: {len(paths)} file(s) verified under {home}")
    if failed:
        console.print(f"{len(failed)} of {len(selected)} data set(s) could not be fetched.")
        raise typer.Exit(1)


@app.command("build")
def build_command(
    name: Annotated[str, typer.Argument(help="Derived data set to rebuild (hfhadc_subset).")],
    data_home: DataHome = None,
) -> None:
    """Rebuild a derived data file from its upstream files and check its SHA-256."""
    from transferkit.datasets import build_dataset

    _check_names([name])
    console = Console()
    try:
        path = build_dataset(name, data_home)
    except (OSError, ValueError) as exc:
        console.print(f"[red]failed[/] {name}: {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/] {name}: {path} matches the recorded SHA-256")
