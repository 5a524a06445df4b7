"""The ``transferkit`` command line (typer)."""

from __future__ import annotations

import typer

from transferkit.metrics.commands import distance, rank

app = typer.Typer(
    name="transferkit",
    help="transferkit: transfer learning with honest benchmarks.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """transferkit: transfer learning with honest benchmarks."""


app.command("distance")(distance)
app.command("rank")(rank)

if __name__ == "__main__":  # pragma: no cover
    app()
