import json
from typing import ClassVar

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly
from transferkit._validation import TransferKitInputError
from transferkit.bench import load_results, register_method, unregister_method
from transferkit.bench.suites import Task
from transferkit.experiments import parse_config, register_observer, run_experiment
from transferkit.experiments.observers import OBSERVERS


def _config(**overrides):
    data = {
        "name": "tiny_run",
        "data": [{"suite": "tiny"}],
        "methods": ["tiny_1nn"],
        "seeds": 2,
        "memory": "none",
    }
    data.update(overrides)
    return parse_config(data)


def _run(tmp_path, config, **kw):
    kw.setdefault("verbose", False)
    return run_experiment(config, output_dir=tmp_path / "out", **kw)


def test_writes_one_file_per_cell_a_table_and_the_config(tmp_path, counting_method, tiny_loader):
    summary = _run(tmp_path, _config())
    out = tmp_path / "out"
    assert summary.n_cells == 6 and summary.n_run == 6 and summary.n_failed == 0
    files = sorted((out / "cells").glob("*.json"))
    assert len(files) == 6 and counting_method.calls == 6
    for path in files:  # the benchmark results format: load_results reads it
        data = load_results(path)
        (cell,) = data["cells"]
        assert data["suite"] == "tiny" and cell["status"] == "ok" and len(cell["cell_id"]) == 16
        assert cell["key"]["seed"] == cell["seed"] and cell["key"]["task"] == cell["task"]
    Xs, ys, Xt, yt = tiny_loader(Task("0->3", "0", "3"))
    expected = 100 * np.mean(KNeighborsClassifier(1).fit(Xs, ys).predict(Xt) == yt)
    rows = {r["task"]: r for r in summary.rows}
    assert rows["0->3"]["accuracy_mean"] == pytest.approx(expected)
    assert rows["0->3"]["accuracy_std"] == 0.0 and rows["0->3"]["n_ok"] == 2
    table = json.loads((out / "table.json").read_text())
    assert table["rows"] == summary.rows and table["complete"] and len(table["cells"]) == 6
    csv = (out / "table.csv").read_text().splitlines()
    assert csv[0].startswith(
        "data,task,method,setting,grid,select,target_fraction,target_per_class,"
        "uses_target_labels,n_seeds"
    )
    assert ",accuracy_mean,accuracy_std,macro_f1_mean,macro_f1_std," in csv[0]
    assert len(csv) == 4
    assert "tiny_1nn" in (out / "config.yaml").read_text()


def test_rerun_resumes_and_a_changed_setting_runs_new_cells(tmp_path, counting_method):
    _run(tmp_path, _config())
    assert counting_method.calls == 6
    summary = _run(tmp_path, _config())
    assert counting_method.calls == 6 and summary.n_resumed == 6 and summary.n_run == 0
    summary = _run(tmp_path, _config(seeds=3))  # only seed 2 is new
    assert counting_method.calls == 9 and summary.n_run == 3
    # a fixed parameter changes the key of every cell
    summary = _run(
        tmp_path, _config(methods=[{"name": "tiny_1nn", "params": {"estimator__n_neighbors": 3}}])
    )
    # (one more build checks the parameter names before any cell runs)
    assert summary.n_run == 6 and counting_method.calls == 9 + 1 + 6
    summary = _run(tmp_path, _config(memory="rss"))  # so does the memory mode
    assert summary.n_run == 6
    summary = _run(tmp_path, _config(), resume=False)
    assert summary.n_run == 6 and summary.n_resumed == 0


def test_selection_rule_chooses_inside_each_cell_and_oracle_is_a_bound(tmp_path, counting_method):
    config = _config(
        methods=[{"name": "tiny_1nn", "grid": {"estimator__n_neighbors": [1, 15]}}],
        selection=["oracle", "entropy"],
        seeds=1,
    )
    summary = _run(tmp_path, config)
    assert summary.n_cells == 6
    for row in summary.rows:
        assert row["uses_target_labels"] is (row["select"] == "oracle")
        (chosen,) = row["chosen_params"].values()
        assert chosen["estimator__n_neighbors"] in (1, 15)
    cells = json.loads((tmp_path / "out" / "table.json").read_text())["cells"]
    oracle = [c for c in cells if c["select"] == "oracle"]
    for cell in oracle:
        path = next((tmp_path / "out" / "cells").glob(f"*{cell['cell_id']}.json"))
        stored = load_results(path)["cells"][0]
        best = max(stored["selection"]["info"]["target_accuracy_of_candidates"])
        assert stored["accuracy"] == pytest.approx(100 * best)


def test_a_sweep_runs_every_value_as_its_own_cell(tmp_path, counting_method):
    config = _config(
        methods=[{"name": "tiny_1nn", "sweep": {"estimator__n_neighbors": [1, 3]}}], seeds=1
    )
    summary = _run(tmp_path, config)
    assert summary.n_cells == 6
    assert {r["setting"] for r in summary.rows} == {
        '{"estimator__n_neighbors": 1}',
        '{"estimator__n_neighbors": 3}',
    }


def test_an_entry_runs_on_its_suites_with_its_own_seeds(tmp_path, counting_method):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    np.savez(
        tmp_path / "blobs.npz",
        X_source=rng.normal(size=(20, 2)) + 3 * y[:, None],
        y_source=y,
        X_target=rng.normal(size=(20, 2)) + 3 * y[:, None] + 0.5,
        y_target=y,
    )
    narrow = {
        "name": "tiny_1nn",
        "suites": ["tiny"],
        "seeds": [5, 7],
        "params": {"estimator__n_neighbors": 3},
    }
    config = parse_config(
        {
            "data": [{"suite": "tiny"}, {"arrays": "blobs.npz"}],
            "methods": ["tiny_1nn", narrow],
            "memory": "none",
        },
        base_dir=tmp_path,
    )
    summary = _run(tmp_path, config)
    # the plain entry: 3 tiny tasks + the file, seed 0; the narrow one: 3 tiny tasks x 2 seeds
    assert summary.n_cells == 4 + 6 and summary.n_failed == 0
    narrow_rows = [r for r in summary.rows if r["setting"] == '{"estimator__n_neighbors": 3}']
    assert {r["data"] for r in narrow_rows} == {"tiny"} and len(narrow_rows) == 3
    assert all(r["n_seeds"] == 2 and set(r["chosen_params"]) == {"5", "7"} for r in narrow_rows)
    plain = [r for r in summary.rows if r["setting"] == "{}"]
    assert len(plain) == 4 and all(r["n_seeds"] == 1 for r in plain)
    with pytest.raises(TransferKitInputError, match=r"with suites \['digits'\] runs on no task"):
        _run(tmp_path, _config(methods=[{"name": "tiny_1nn", "suites": ["digits"]}]))


def test_a_failed_cell_is_recorded_and_the_others_finish(tmp_path, counting_method):
    class Broken:
        def fit(self, X, y, X_target=None):
            raise ArithmeticError("broken on purpose")

    register_method("broken_run", lambda rs: Broken(), description="fails", replace=True)
    try:
        summary = _run(tmp_path, _config(methods=["broken_run", "tiny_1nn"], seeds=1))
    finally:
        unregister_method("broken_run")
    assert summary.n_failed == 3 and summary.n_cells == 6
    assert {c["error_type"] for c in summary.failed} == {"ArithmeticError"}
    assert "broken on purpose" in summary.failed[0]["error"]
    rows = {r["method"]: r for r in summary.rows}
    assert rows["broken_run"]["n_failed"] == 1 and rows["broken_run"]["accuracy_mean"] is None
    assert rows["tiny_1nn"]["n_ok"] == 1


def test_a_method_registered_later_runs_without_changes_to_the_runner(tmp_path, fake_suite):
    register_method(
        "throwaway_runner",
        lambda rs: SourceOnly(KNeighborsClassifier(n_neighbors=3)),
        description="a method the runner never heard of",
        param_grid={"estimator__n_neighbors": [3, 5]},
        replace=True,
    )
    try:
        summary = _run(
            tmp_path, _config(methods=["throwaway_runner", "throwaway_runner+guard"], seeds=1)
        )
    finally:
        unregister_method("throwaway_runner")
    assert summary.n_failed == 0 and {r["method"] for r in summary.rows} == {
        "throwaway_runner",
        "throwaway_runner+guard",
    }


def test_unknown_parameters_and_suite_mismatch_are_refused_before_running(
    tmp_path, counting_method
):
    with pytest.raises(
        TransferKitInputError,
        match=r"methods\[0\].sweep: 'n_neigbors' is not a parameter of tiny_1nn; its "
        r"parameters: .*estimator__n_neighbors",
    ):
        _run(tmp_path, _config(methods=[{"name": "tiny_1nn", "sweep": {"n_neigbors": [1]}}]))
    register_method(
        "digits_only_run", lambda rs: None, description="x", suites=["digits"], replace=True
    )
    try:
        with pytest.raises(TransferKitInputError, match="not 'tiny'"):
            _run(tmp_path, _config(methods=["digits_only_run"]))
    finally:
        unregister_method("digits_only_run")
    assert counting_method.calls == 1  # the build that checked the names; no cell ran


def test_an_npz_file_is_a_task(tmp_path, fake_suite):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    np.savez(
        tmp_path / "blobs.npz",
        X_source=rng.normal(size=(20, 2)) + 3 * y[:, None],
        y_source=y,
        X_target=rng.normal(size=(20, 2)) + 3 * y[:, None] + 0.5,
        y_target=y,
    )
    summary = _run(
        tmp_path,
        parse_config(
            {"data": [{"arrays": "blobs.npz"}], "methods": ["source_only"], "memory": "none"},
            base_dir=tmp_path,
        ),
    )
    (row,) = summary.rows
    assert row["data"] == "arrays:blobs" and row["task"] == "blobs" and row["n_ok"] == 1
    bad = {
        "X_source": np.array([[np.nan, 1.0], [0, 0]]),
        "y_source": [0, 1],
        "X_target": np.ones((2, 2)),
        "y_target": [0, 1],
    }
    np.savez(tmp_path / "nan.npz", **bad)
    config = parse_config(
        {"data": [{"arrays": "nan.npz"}], "methods": ["source_only"]}, base_dir=tmp_path
    )
    with pytest.raises(
        TransferKitInputError,
        match=r"X_source in .*nan.npz.* holds 1 NaN or infinite value\(s\) "
        r"\(first at row 0, column 0\)",
    ):
        _run(tmp_path, config)


class _Recorder:
    instances: ClassVar[list] = []

    def __init__(self, output_dir, config, tag="x"):
        self.output_dir, self.config, self.tag = output_dir, config, tag
        self.calls, self.closed = [], False
        _Recorder.instances.append(self)

    def on_cell_done(self, cell_key, params, metrics, artifacts):
        self.calls.append((cell_key, params, metrics, artifacts))

    def close(self):
        self.closed = True


def test_the_tracking_observer_sees_every_cell_that_ran(tmp_path, counting_method):
    from transferkit.experiments import CellObserver

    register_observer("recorder", _Recorder, replace=True)
    try:
        config = _config(tracking={"name": "recorder", "options": {"tag": "t"}}, seeds=1)
        _run(tmp_path, config)
        (observer,) = _Recorder.instances[-1:]
        assert isinstance(observer, CellObserver) and observer.closed and observer.tag == "t"
        assert observer.config["tracking"]["name"] == "recorder"
        assert len(observer.calls) == 3
        key, _, metrics, artifacts = observer.calls[0]
        assert key["method"] == "tiny_1nn" and key["seed"] == 0 and "data_fingerprint" in key
        assert metrics["failed"] == 0.0 and 0 <= metrics["accuracy"] <= 100
        assert artifacts[0].is_file() and artifacts[0].parent.name == "cells"
        _run(tmp_path, config)  # resumed cells are not reported again
        assert _Recorder.instances[-1].calls == [] and _Recorder.instances[-1].closed
    finally:
        OBSERVERS.unregister("recorder")
    with pytest.raises(TransferKitInputError, match="unknown cell observer 'recorder'"):
        _config(tracking={"name": "recorder"})


class _StopAfter:
    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, random_state):
        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt
        return SourceOnly(KNeighborsClassifier(1))


def test_an_interrupted_run_keeps_its_cells_and_the_rerun_finishes(tmp_path, fake_suite):
    factory = _StopAfter(2)
    register_method("stops", factory, description="stops after two cells", replace=True)
    try:
        config = _config(methods=["stops"], seeds=1)
        with pytest.raises(KeyboardInterrupt):
            _run(tmp_path, config)
        table = json.loads((tmp_path / "out" / "table.json").read_text())
        assert not table["complete"] and len(table["cells"]) == 2  # written on the way out
        assert len(list((tmp_path / "out" / "cells").glob("*.json"))) == 2
        factory.n = 10
        summary = _run(tmp_path, config)
        assert summary.n_resumed == 2 and summary.n_run == 1 and summary.n_failed == 0
    finally:
        unregister_method("stops")


def test_an_address_means_ray_and_backend_overrides_the_config(counting_method):
    from transferkit.experiments.runner import _with_overrides

    config = _config()
    assert _with_overrides(config, None, "ray://head:10001").execution.backend == "ray"
    assert _with_overrides(config, None, "ray://head:10001").execution.address == (
        "ray://head:10001"
    )
    ray_config = _config(execution={"backend": "ray", "address": "auto"})
    assert _with_overrides(ray_config, "sequential", None).execution.address is None
    with pytest.raises(TransferKitInputError, match="address is only used with backend: ray"):
        _config(execution={"address": "auto"})
