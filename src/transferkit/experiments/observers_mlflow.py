"""MLflow tracking of ``transferkit run``: one MLflow run per finished cell.

Switched on in the experiment config::

    tracking:
      name: mlflow
      options: {experiment_name: office31, tracking_uri: "sqlite:///mlflow.db"}

Needs the ``[tracking]`` extra (``mlflow-skinny`` with SQLAlchemy and Alembic for the
local SQLite store). Everything goes through one ``mlflow.MlflowClient`` bound to the
tracking URI: no process-wide MLflow state (``mlflow.set_tracking_uri``, active runs) is
touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from transferkit._optional import require
from transferkit._validation import TransferKitInputError
from transferkit.experiments.observers import register_observer

__all__ = ["MlflowObserver", "default_tracking_uri"]

#: Name of the local MLflow database written into the run's output folder by default.
DEFAULT_DB = "mlflow.db"
#: Folder of the artifacts of the default store, in the run's output folder.
DEFAULT_ARTIFACTS = "mlartifacts"
_OPTIONS = ("tracking_uri", "experiment_name", "log_artifacts")
_MAX_PARAM = 6000  # MLflow's limit on the length of a parameter value


def default_tracking_uri(output_dir: str | os.PathLike[str]) -> str:
    """``sqlite:///<output_dir>/mlflow.db``: a local store in one file, no server.

    MLflow 3 keeps its plain-folder store (``./mlruns``) in maintenance mode and refuses
    to open it unless ``MLFLOW_ALLOW_FILE_STORE=true``; its recommended local store is a
    SQLite file, which ``mlflow ui --backend-store-uri sqlite:///...`` reads.

    Examples
    --------
    >>> default_tracking_uri("/tmp/run")
    'sqlite:////tmp/run/mlflow.db'
    """
    return "sqlite:///" + str(Path(output_dir).resolve() / DEFAULT_DB)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)
    return text if len(text) <= _MAX_PARAM else text[: _MAX_PARAM - 1] + "…"


def _flat(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = _text(value)


class MlflowObserver:
    """Log every finished cell of a run as one MLflow run: params, metrics, artifacts.

    Each MLflow run is named ``"<method> <task> seed <seed>"`` and holds

    * **params**: the cell's hyper-parameters (``params.<name>``, as fitted, the
      selected ones included) and its identity (``cell.<key>``: data, task, method,
      select, seed, grid, ...), values as text (JSON for lists and dicts);
    * **metrics**: what the runner measured (``accuracy`` in %, ``fit_seconds``,
      ``predict_seconds``, ``failed`` = 0 or 1);
    * **artifacts**: the cell's files (its JSON results file);
    * **tags**: ``transferkit.cell_id``, ``transferkit.method``, ``transferkit.task``,
      ``transferkit.seed``, and ``transferkit.status`` (``ok`` or ``error``).

    Parameters
    ----------
    output_dir : path
        The run's output folder (the default store lives there).
    config : dict, optional
        The validated config as JSON (its ``name`` is the default experiment name).
    tracking_uri : str, optional
        Where to log; default :func:`default_tracking_uri` (``sqlite:///OUTPUT/mlflow.db``,
        artifacts in ``OUTPUT/mlartifacts``). Any MLflow URI works: another SQLite file,
        ``http://host:5000`` for a tracking server, or ``file:/path`` for the plain-folder
        store when ``MLFLOW_ALLOW_FILE_STORE=true`` is set.
    experiment_name : str, optional
        MLflow experiment (created if needed); default the config's ``name``, else
        ``"transferkit"``.
    log_artifacts : bool, default=True
        Upload the cell's files as artifacts.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> obs = MlflowObserver(folder, tracking_uri="sqlite:///" + folder + "/m.db")  # doctest: +SKIP
    """

    def __init__(
        self,
        output_dir: str | os.PathLike[str],
        config: dict[str, Any] | None = None,
        *,
        tracking_uri: str | None = None,
        experiment_name: str | None = None,
        log_artifacts: bool = True,
    ) -> None:
        require("mlflow", extra="tracking", purpose="MLflow tracking of transferkit run")
        if tracking_uri is not None and not isinstance(tracking_uri, str):
            raise TransferKitInputError(
                f"tracking.options.tracking_uri must be a string such as "
                f"'sqlite:///mlflow.db'; got {tracking_uri!r}."
            )
        name = experiment_name or (config or {}).get("name") or "transferkit"
        if not isinstance(name, str):
            raise TransferKitInputError(
                f"tracking.options.experiment_name must be a string; got {name!r}."
            )
        self.output_dir = Path(output_dir)
        self.tracking_uri = tracking_uri or default_tracking_uri(self.output_dir)
        self.experiment_name = name
        self.log_artifacts = bool(log_artifacts)
        self._check_store()
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        self.experiment_id = self._experiment()
        self.run_ids: list[str] = []

    def _check_store(self) -> None:
        scheme = self.tracking_uri.split(":", 1)[0] if ":" in self.tracking_uri else ""
        if scheme in ("", "file") and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() not in (
            "1",
            "true",
        ):
            raise TransferKitInputError(
                f"tracking.options.tracking_uri={self.tracking_uri!r} is MLflow's plain-folder "
                "store, which MLflow 3 opens only with MLFLOW_ALLOW_FILE_STORE=true; set that "
                "variable, or leave tracking_uri out for a local SQLite store in the output "
                "folder (or give 'sqlite:///PATH.db')."
            )
        if scheme == "sqlite":
            self.output_dir.mkdir(parents=True, exist_ok=True)

    def _experiment(self) -> str:
        found = self.client.get_experiment_by_name(self.experiment_name)
        if found is not None:
            return found.experiment_id
        location = None
        if self.tracking_uri == default_tracking_uri(self.output_dir):
            location = (self.output_dir.resolve() / DEFAULT_ARTIFACTS).as_uri()
        return self.client.create_experiment(self.experiment_name, artifact_location=location)

    def on_cell_done(
        self,
        cell_key: dict[str, Any],
        params: dict[str, Any],
        metrics: dict[str, float],
        artifacts: list[Path],
    ) -> None:
        """Create one finished MLflow run for the cell."""
        from mlflow.entities import Metric, Param

        method, task, seed = (cell_key.get(k, "?") for k in ("method", "task", "seed"))
        failed = float(metrics.get("failed", 0.0)) > 0
        tags = {
            "mlflow.runName": f"{method} {task} seed {seed}",
            "transferkit.method": str(method),
            "transferkit.task": str(task),
            "transferkit.seed": str(seed),
            "transferkit.status": "error" if failed else "ok",
        }
        if "cell_id" in cell_key:
            tags["transferkit.cell_id"] = str(cell_key["cell_id"])
        run = self.client.create_run(self.experiment_id, tags=tags)
        run_id = run.info.run_id
        flat: dict[str, str] = {}
        _flat("params", dict(params), flat)
        _flat("cell", {k: v for k, v in cell_key.items() if k != "params"}, flat)
        flat = {k: v for k, v in flat.items() if k not in ("params", "cell")}
        timestamp = run.info.start_time
        values = [Metric(k, float(v), timestamp, 0) for k, v in metrics.items()]
        names = sorted(flat)
        for start in range(0, max(len(names), 1), 100):  # MLflow takes 100 params a batch
            chunk = [Param(k, flat[k]) for k in names[start : start + 100]]
            self.client.log_batch(
                run_id, metrics=values if start == 0 else [], params=chunk, tags=[]
            )
        if self.log_artifacts:
            for path in artifacts:
                if Path(path).is_file():
                    self.client.log_artifact(run_id, str(path))
        self.client.set_terminated(run_id, status="FAILED" if failed else "FINISHED")
        self.run_ids.append(run_id)

    def close(self) -> None:
        """Nothing is buffered: every run was finished as its cell was logged."""


def _factory(*, output_dir: Path, config: dict[str, Any], **options: Any) -> MlflowObserver:
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise TransferKitInputError(
            f"tracking.options: unknown option {unknown[0]!r} for mlflow; allowed options: "
            f"{', '.join(_OPTIONS)}."
        )
    return MlflowObserver(output_dir, config, **options)


register_observer("mlflow", _factory)
