"""The ``transferkit`` command line (typer).

Each command's body lives in its own module under :mod:`transferkit.commands`; this
file only wires them in. To add a command ``foo``: write
``transferkit/commands/foo.py`` with a function ``foo(...)`` and add
``app.command("foo")(foo.foo)`` below (or ``app.add_typer(foo.app, name="foo")`` for a
group of sub-commands).
"""

from __future__ import annotations

import typer

from transferkit.commands import bench, datasets, demo, distance, rank

app = typer.Typer(
    name="transferkit",
    help="transferkit: transfer learning with honest benchmarks.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """transferkit: transfer learning with honest benchmarks."""


app.command("bench")(bench.bench)
app.add_typer(datasets.app, name="datasets")
app.command("demo")(demo.demo)
app.command("distance")(distance.distance)
app.command("rank")(rank.rank)

if __name__ == "__main__":  # pragma: no cover
    app()
