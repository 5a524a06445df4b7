"""MLflow tracking of ``transferkit run``: runs, params, metrics and artifacts per cell."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from transferkit._optional import MissingExtraError
from transferkit._validation import TransferKitInputError
from transferkit.bench import load_results
from transferkit.experiments import parse_config, run_experiment

mlflow = pytest.importorskip("mlflow")


def _config(tmp_path, **tracking):
    rng = np.random.default_rng(0)
    ys = np.repeat([0, 1, 2], 10)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    np.savez(
        tmp_path / "task.npz",
        X_source=centres[ys] + rng.normal(size=(30, 2)),
        y_source=ys,
        X_target=centres[ys] + rng.normal(size=(30, 2)) + 1.0,
        y_target=ys,
    )
    return parse_config(
        {
            "name": "tracked",
            "data": [{"arrays": str(tmp_path / "task.npz")}],
            "methods": ["source_only", "coral"],
            "seeds": 2,
            "memory": "none",
            "tracking": {"name": "mlflow", "options": tracking},
        }
    )


def test_every_cell_is_an_mlflow_run_in_the_local_store(tmp_path):
    out = tmp_path / "out"
    run_experiment(_config(tmp_path), output_dir=out, verbose=False)
    assert (out / "mlflow.db").is_file()
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{out / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("tracked")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert len(runs) == 4
    cells = {}
    for path in (out / "cells").glob("*.json"):
        (cell,) = load_results(path)["cells"]
        cells[(cell["method"], cell["seed"])] = (cell, path)
    for run in runs:
        tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
        cell, path = cells[(tags["transferkit.method"], int(tags["transferkit.seed"]))]
        assert run.info.status == "FINISHED" and tags["transferkit.status"] == "ok"
        assert tags["mlflow.runName"] == f"{cell['method']} {cell['task']} seed {cell['seed']}"
        assert metrics["accuracy"] == pytest.approx(cell["accuracy"])
        assert metrics["macro_f1"] == pytest.approx(cell["macro_f1"])
        assert metrics["failed"] == 0.0 and metrics["fit_seconds"] == pytest.approx(
            cell["fit_seconds"]
        )
        assert params["cell.method"] == cell["method"] and params["cell.seed"] == str(cell["seed"])
        for name, value in cell["key"]["data_fingerprint"].items():  # nested keys: dotted
            assert params[f"cell.data_fingerprint.{name}"] == value
        (artifact,) = client.list_artifacts(run.info.run_id)
        assert artifact.path == path.name
        local = client.download_artifacts(run.info.run_id, artifact.path, str(tmp_path))
        assert open(local).read() == path.read_text()
    assert (out / "mlartifacts").is_dir()  # artifacts stay in the output folder


def test_store_and_option_errors_are_clear(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    config = _config(tmp_path, tracking_uri=f"file://{tmp_path / 'mlruns'}")
    with pytest.raises(TransferKitInputError, match="MLFLOW_ALLOW_FILE_STORE=true"):
        run_experiment(config, output_dir=tmp_path / "a", verbose=False)
    config = _config(tmp_path, uri="x")
    with pytest.raises(TransferKitInputError, match="unknown option 'uri' for mlflow; allowed"):
        run_experiment(config, output_dir=tmp_path / "b", verbose=False)


def test_missing_mlflow_names_the_extra(tmp_path, monkeypatch):
    from transferkit.experiments.observers_mlflow import MlflowObserver

    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(MissingExtraError, match=r"transferkit\[tracking\]"):
        MlflowObserver(tmp_path)
