"""``transferkit datasets list|verify``: what data is known, and is it intact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["app", "list_command", "verify_command"]

app = typer.Typer(
    help="Benchmark data sets: list them and verify their SHA-256.", no_args_is_help=True
)

DataHome = Annotated[
    Path | None,
    typer.Option("--data-home", help="Data folder (default: TRANSFERKIT_DATA, see the docs)."),
]


@app.command("list")
def list_command(data_home: DataHome = None) -> None:
    """List every data set with its domains, files and whether they are present."""
    from transferkit.datasets import DATASETS, get_data_home

    home = get_data_home(data_home)
    table = Table(title=f"Data sets (data home: {home})")
    for column in ("dataset", "description", "domains", "files present"):
        table.add_column(column)
    for name, info in sorted(DATASETS.items()):
        present = sum((home / f.path).is_file() for f in info.files)
        table.add_row(
            name, info.description, ", ".join(info.domains), f"{present}/{len(info.files)}"
        )
    Console().print(table)


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
    for column in ("dataset", "file", "status"):
        table.add_column(column)
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
