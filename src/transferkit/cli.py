"""The ``transferkit`` command line (typer).

Each command's body lives in its own module under :mod:`transferkit.commands`; this
file only wires them in. To add a command ``foo``: write
``transferkit/commands/foo.py`` with a function ``foo(...)`` and add
``app.command("foo")(foo.foo)`` below (or ``app.add_typer(foo.app, name="foo")`` for a
group of sub-commands).

Errors take one path, :func:`report_errors`, wrapped around every command: a user's
mistake prints one line ``Error: ...`` (what, which argument, what to do) and exits
with status 2; a missing or altered data file, an unreadable or unwritable path, or
memory exhaustion exits with status 1; anything else is reported as an unexpected
error with status 1. No traceback is shown unless the global ``--debug`` option (or
``TRANSFERKIT_DEBUG=1``) asks for it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, Any

import typer

from transferkit.commands import bench, datasets, demo, distance, federated, ftl, rank, report, run

__all__ = ["app", "report_errors", "USAGE_ERROR", "FAILURE"]

#: Exit status of a usage error (bad argument, option or input file), as click uses.
USAGE_ERROR = 2
#: Exit status of every other failure.
FAILURE = 1

app = typer.Typer(
    name="transferkit",
    help="transferkit: transfer learning with honest benchmarks.",
    no_args_is_help=True,
)


def _passed_through() -> tuple[type[BaseException], ...]:
    """The exceptions typer reports itself (usage errors exit with 2, aborts, exits).

    typer >= 0.21 names their base ``typer.TyperException``; older typer (the one
    Flower's ``[federated]`` extra caps us to) raises click's ``ClickException``.
    """
    base = getattr(typer, "TyperException", None)
    if base is None:
        from click.exceptions import ClickException

        base = ClickException
    return (typer.Exit, typer.Abort, base)


_PASSED_THROUGH = _passed_through()

_DEBUG = {"on": False}  # set by the global --debug option on every invocation


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the full traceback of an error (also TRANSFERKIT_DEBUG=1)."
        ),
    ] = False,
) -> None:
    """transferkit: transfer learning with honest benchmarks."""
    _DEBUG["on"] = debug


def _debug() -> bool:
    return _DEBUG["on"] or os.environ.get("TRANSFERKIT_DEBUG", "").lower() in ("1", "true", "yes")


def _classify(exc: BaseException) -> tuple[int, str]:
    """Exit status and one-line message for an exception raised by a command."""
    from transferkit._validation import TransferKitInputError
    from transferkit.datasets import DatasetChecksumError, DatasetNotFoundError

    if isinstance(exc, TransferKitInputError):  # MemoryBudgetError included: a size to change
        return USAGE_ERROR, str(exc)
    if isinstance(exc, DatasetNotFoundError | DatasetChecksumError):
        return FAILURE, str(exc)
    if type(exc).__module__.startswith("transferkit.federated"):  # a partner failed or refused
        return FAILURE, str(exc)
    if isinstance(exc, FileNotFoundError):
        return USAGE_ERROR, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    if isinstance(exc, PermissionError):
        return FAILURE, (
            f"permission denied for {exc.filename}; choose a path you can read and write "
            "(e.g. another --output folder)."
        )
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return FAILURE, f"{exc.strerror or exc}{where}."
    if isinstance(exc, MemoryError):
        return FAILURE, (
            "out of memory; use fewer samples (e.g. --max-samples) or a smaller input."
        )
    return FAILURE, (
        f"unexpected {type(exc).__name__}: {exc}. This is a transferkit bug: run again "
        "with --debug and report the traceback."
    )


def report_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command body so that any error becomes one line and an exit status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except _PASSED_THROUGH:
            raise  # typer/click already report these (usage errors exit with 2)
        except Exception as exc:
            if _debug():
                raise
            code, message = _classify(exc)
            typer.echo(f"Error: {' '.join(message.split())}", err=True)
            raise typer.Exit(code) from None

    wrapper.transferkit_errors_reported = True  # type: ignore[attr-defined]
    return wrapper


def _guard_every_command(typer_app: typer.Typer) -> None:
    for info in typer_app.registered_commands:
        if info.callback is not None and not hasattr(info.callback, "transferkit_errors_reported"):
            info.callback = report_errors(info.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_every_command(group.typer_instance)


app.command("bench")(bench.bench)
app.add_typer(datasets.app, name="datasets")
app.command("demo")(demo.demo)
app.command("distance")(distance.distance)
app.add_typer(federated.app, name="federated")
app.add_typer(ftl.app, name="ftl")
app.command("rank")(rank.rank)
app.command("report")(report.report)
app.command("run")(run.run)
_guard_every_command(app)

if __name__ == "__main__":  # pragma: no cover
    app()
