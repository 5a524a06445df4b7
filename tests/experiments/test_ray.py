"""Cells on Ray give the sequential run's results; failures and resume work the same.

Ray starts once for this module (a few seconds; two CPUs, a small object store).
"""

import json

import pytest

from transferkit.bench import register_method, unregister_method
from transferkit.experiments import parse_config, run_experiment
from transferkit.experiments.engine import _start_ray, ray_is_running


class Broken:
    def fit(self, X, y, X_target=None):
        raise ArithmeticError("broken on purpose")


def _broken(random_state):
    return Broken()


@pytest.fixture(scope="module")
def local_ray():
    import ray

    started = _start_ray(None, 2, 80)
    assert ray_is_running()
    yield ray
    if started:
        ray.shutdown()


CONFIG = {
    "name": "ray_tiny",
    "data": [{"suite": "tiny", "tasks": ["0->1", "0->3"]}],
    "methods": [
        "tiny_1nn",
        {"name": "tiny_1nn", "grid": {"estimator__n_neighbors": [1, 15]}},
        {"name": "tiny_1nn", "sweep": {"estimator__n_neighbors": [5]}},
        "broken_ray",
    ],
    "selection": ["none", "oracle"],
    "seeds": 1,
    "memory": "none",
}


def _cells(folder):
    return {c["cell_id"]: c for c in json.loads((folder / "table.json").read_text())["cells"]}


def test_ray_gives_the_sequential_tables_records_failures_and_resumes(
    tmp_path, counting_method, local_ray
):
    register_method("broken_ray", _broken, description="always fails", replace=True)
    try:
        config = parse_config(CONFIG)
        seq = run_experiment(config, output_dir=tmp_path / "seq", verbose=False)
        on_ray = run_experiment(config, output_dir=tmp_path / "ray", backend="ray", verbose=False)
        # 2 tasks x 4 settings x 2 rules; the two grids of tiny_1nn are one cell under none
        assert seq.n_cells == on_ray.n_cells == 2 * 4 * 2 - 2
        assert on_ray.rows == seq.rows
        assert (tmp_path / "ray" / "table.csv").read_text() == (
            tmp_path / "seq" / "table.csv"
        ).read_text()
        assert _cells(tmp_path / "ray") == _cells(tmp_path / "seq")
        # the failing method is recorded, and every other cell finished
        assert on_ray.n_failed == seq.n_failed == 2 * 2
        assert {c["error_type"] for c in on_ray.failed} == {"ArithmeticError"}
        assert all(r["n_ok"] == 1 for r in on_ray.rows if r["method"] == "tiny_1nn")
        # a rerun on Ray resumes the finished cells and retries only the failed ones
        again = run_experiment(config, output_dir=tmp_path / "ray", backend="ray", verbose=False)
        assert again.n_resumed == on_ray.n_cells - on_ray.n_failed
        assert again.n_run == on_ray.n_failed and again.rows == seq.rows
    finally:
        unregister_method("broken_ray")
