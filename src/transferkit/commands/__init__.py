"""Bodies of the ``transferkit`` sub-commands, one small module per command.

:mod:`transferkit.cli` only wires them into the typer application, so a new command is
a new module here plus one line in ``cli.py``.
"""
