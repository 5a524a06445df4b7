"""Where things live: CLI bodies in commands/, benchmark glue in bench/."""

import ast
from pathlib import Path

import transferkit

PACKAGE = Path(transferkit.__file__).parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_typer_is_imported_only_by_the_command_line():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "typer" in _imports(path)
        and path.relative_to(PACKAGE).parts[0] not in ("commands", "cli.py")
    ]
    assert offenders == []


def test_method_families_do_not_import_the_benchmark_runner():
    families = ("selection", "metrics", "mapping", "instance", "finetune", "datasets")
    offenders = [
        str(path.relative_to(PACKAGE))
        for family in families
        for path in (PACKAGE / family).rglob("*.py")
        if any(name.startswith("transferkit.bench") for name in _imports(path))
    ]
    assert offenders == []
