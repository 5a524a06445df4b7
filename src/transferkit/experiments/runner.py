"""``run_experiment``: a config in, per-cell JSON files and a tidy table out.

Output folder layout (stable; :mod:`transferkit.report` and tracking build on it)::

    OUTPUT/
      config.yaml     the validated config, as run (defaults filled in)
      cells/          one results file per cell (see transferkit.experiments.store)
      table.csv       mean +- std over seeds per (data, task, method, setting, grid, select)
      table.json      the same rows, every cell's row, and the run's metadata

Finished cells are skipped on a rerun (``resume=True``, the default); every setting
enters a cell's identity, so a changed setting runs a new cell. A failing cell is
recorded with its error type and message and the others go on; the summary counts
them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from transferkit._validation import TransferKitInputError
from transferkit.experiments.cell import CellResult
from transferkit.experiments.config import ExperimentConfig, load_config
from transferkit.experiments.plan import Cell, Plan, make_plan

__all__ = ["ResultStore", "RunSummary", "default_output", "run_experiment", "run_plan"]


@dataclass
class RunSummary:
    """What a run did: counts, the table rows and where the files are."""

    output_dir: Path
    n_cells: int
    n_run: int
    n_resumed: int
    n_failed: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    table_csv: Path | None = None
    table_json: Path | None = None


def default_output(config: ExperimentConfig) -> Path:
    """``config.output``, else ``transferkit_runs/<name>`` under the current folder."""
    return config.output if config.output is not None else Path("transferkit_runs") / config.name


def _with_overrides(
    config: ExperimentConfig, backend: str | None, address: str | None
) -> ExperimentConfig:
    if backend is None and address is None:
        return config
    from transferkit.experiments.config import ExecutionConfig

    execution = config.execution.model_dump()
    if address is not None:
        execution["address"] = address
        execution["backend"] = backend or "ray"
    elif backend is not None:
        execution["backend"] = backend
        if backend != "ray":
            execution["address"] = None
    return config.model_copy(update={"execution": ExecutionConfig.model_validate(execution)})


def _metrics(record: dict[str, Any]) -> dict[str, float]:
    out = {"failed": 0.0 if record["status"] == "ok" else 1.0}
    for name in ("accuracy", "macro_f1", "fit_seconds", "predict_seconds"):
        if record.get(name) is not None:
            out[name] = float(record[name])
    return out


def _observer(config: ExperimentConfig, output_dir: Path) -> Any:
    if config.tracking is None:
        return None
    from transferkit.experiments.observers import OBSERVERS

    factory = OBSERVERS[config.tracking.name]
    return factory(output_dir=output_dir, config=config.to_jsonable(), **config.tracking.options)


def _write_config(config: ExperimentConfig, output_dir: Path) -> None:
    import yaml

    from transferkit.bench.storage import atomic_write

    text = yaml.safe_dump(config.to_jsonable(), sort_keys=False, allow_unicode=True)
    atomic_write(output_dir / "config.yaml", text)


class ResultStore(Protocol):
    """Where a run keeps its cells (per-cell files for ``run``, one suite file for
    ``bench``)."""

    def finished(self, cells: Sequence[Cell]) -> dict[str, dict[str, Any]]:
        """``cell_id -> stored cell`` for the cells of ``cells`` already stored."""

    def save(self, cell: Cell, result: CellResult) -> tuple[dict[str, Any], Path]:
        """Store one finished cell at once; return its stored form and file."""


def run_plan(
    plan: Plan,
    store: ResultStore,
    records: dict[str, dict[str, Any]],
    *,
    resume: bool,
    verbose: bool = True,
    observer: Any = None,
) -> tuple[int, int]:
    """Run the cells of ``plan`` that ``store`` does not hold finished; the one runner.

    Every cell (resumed or run) ends in ``records`` (``cell_id -> stored cell``) as soon
    as it is known, so a caller can write partial results after an interruption.
    Returns ``(n_run, n_resumed)``.
    """
    from transferkit.experiments.engine import execute

    previous = store.finished(plan.cells) if resume else {}
    todo: list[Cell] = []
    for cell in plan.cells:
        old = previous.get(cell.cell_id)
        if old is not None and old.get("status") == "ok":
            records[cell.cell_id] = old
        else:
            todo.append(cell)
    n_resumed = len(plan.cells) - len(todo)

    def on_result(cell: Cell, result: CellResult) -> None:
        record, path = store.save(cell, result)
        records[cell.cell_id] = record
        if observer is not None:
            observer.on_cell_done(cell.key, dict(record["params"]), _metrics(record), [path])

    execution = plan.config.execution
    execute(
        todo,
        on_result,
        backend=execution.backend,
        title=plan.config.name,
        verbose=verbose,
        address=execution.address,
        max_parallel=execution.max_parallel,
        num_cpus=execution.num_cpus,
        object_store_mb=execution.object_store_mb,
    )
    return len(todo), n_resumed


def run_experiment(
    config: ExperimentConfig | str | os.PathLike[str],
    *,
    output_dir: str | os.PathLike[str] | None = None,
    backend: str | None = None,
    address: str | None = None,
    resume: bool = True,
    verbose: bool = True,
) -> RunSummary:
    """Run every cell of an experiment config and write the results.

    Parameters
    ----------
    config : ExperimentConfig or path
        A validated config, or the path of a YAML/JSON file
        (:func:`~transferkit.experiments.load_config`).
    output_dir : path, optional
        Results folder; default ``config.output``, else ``transferkit_runs/<name>``.
    backend : {"sequential", "ray"}, optional
        Overrides ``execution.backend``.
    address : str, optional
        Ray cluster address (implies ``backend="ray"``); default: a local Ray.
    resume : bool, default=True
        Skip cells whose file says they finished; ``False`` recomputes every cell.
    verbose : bool, default=True
        Progress bar.

    Returns
    -------
    RunSummary

    Examples
    --------
    >>> import tempfile
    >>> from transferkit.experiments import parse_config
    >>> config = parse_config({
    ...     "data": [{"suite": "digits", "tasks": ["U->M"]}],
    ...     "methods": ["source_only"], "memory": "none"})
    >>> summary = run_experiment(config, output_dir=tempfile.mkdtemp(), verbose=False)
    >>> summary.n_cells, summary.n_failed, round(summary.rows[0]["accuracy_mean"], 2)
    (1, 0, 44.7)
    """
    from transferkit.bench.storage import check_output_dir
    from transferkit.experiments.store import CellStore
    from transferkit.experiments.table import summary_rows, write_table

    if not isinstance(config, ExperimentConfig):
        config = load_config(config)
    if backend is not None and backend not in ("sequential", "ray"):
        raise TransferKitInputError(f"backend={backend!r} is not known; choose sequential or ray.")
    config = _with_overrides(config, backend, address)
    out = Path(output_dir) if output_dir is not None else default_output(config)
    plan: Plan = make_plan(config)
    check_output_dir(out)
    store = CellStore(out)
    _write_config(config, out)
    meta = {
        "name": config.name,
        "description": config.description,
        "selection": list(config.selection),
        "seeds": config.seed_list,
        "target_labels": (
            None
            if config.target_labels is None
            else config.target_labels.model_dump(exclude_none=True)
        ),
    }
    records: dict[str, dict[str, Any]] = {}

    def finish() -> tuple[Path, Path]:
        done = [records[c.cell_id] for c in plan.cells if c.cell_id in records]
        return write_table(out, done, {**meta, "complete": len(done) == len(plan.cells)})

    observer = _observer(config, out)
    try:
        n_run, n_resumed = run_plan(
            plan, store, records, resume=resume, verbose=verbose, observer=observer
        )
    finally:
        try:
            csv_path, json_path = finish()
        finally:
            if observer is not None:
                observer.close()
    cells = [records[c.cell_id] for c in plan.cells]
    failed = [c for c in cells if c["status"] != "ok"]
    return RunSummary(
        output_dir=out,
        n_cells=len(plan.cells),
        n_run=n_run,
        n_resumed=n_resumed,
        n_failed=len(failed),
        rows=summary_rows(cells),
        failed=failed,
        table_csv=csv_path,
        table_json=json_path,
    )
