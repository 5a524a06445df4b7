"""Cells on Ray give the sequential run's results; failures and resume work the same.

Ray starts once for this module (a few seconds; two CPUs, a small object store), after
the first test, which checks that a run starting its own Ray leaves no trace.
Multi-node clusters (``address=``) are in ``test_ray_cluster.py``.
"""

import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from transferkit._validation import TransferKitInputError
from transferkit.bench import register_method, unregister_method
from transferkit.experiments import parse_config, run_experiment
from transferkit.experiments.engine import _start_ray, ray_is_running


class Broken:
    def fit(self, X, y, X_target=None):
        raise ArithmeticError("broken on purpose")


def _broken(random_state):
    return Broken()


class KillsItsWorker:
    """Ends the Ray worker process that fits it (as a segfault would), counting tries."""

    def __init__(self, tries):
        self.tries = tries

    def fit(self, X, y, X_target=None):
        (Path(self.tries) / f"try.{os.getpid()}").touch()
        os._exit(3)


def _process_state():
    return (
        dict(os.environ),
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        list(sys.path),
    )


def test_a_ray_started_by_the_run_is_shut_down_and_the_process_left_as_it_was(
    tmp_path, counting_method
):
    config = parse_config(
        {
            "data": [{"suite": "tiny", "tasks": ["0->1"]}],
            "methods": ["tiny_1nn"],
            "memory": "none",
            "execution": {"backend": "ray", "num_cpus": 1, "object_store_mb": 80},
        }
    )
    import ray  # importing Ray sets RAY_CLIENT_MODE=0 in os.environ: not the run's doing

    assert not ray.is_initialized()
    before = _process_state()
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0
    assert not ray_is_running()
    # ray.init sets PYTHONBREAKPOINT and a SIGTERM handler; both are put back
    after = _process_state()
    assert {k: v for k, v in after[0].items() if before[0].get(k) != v} == {}
    assert {k: v for k, v in before[0].items() if after[0].get(k) != v} == {}
    assert after == before


@pytest.fixture(scope="module")
def local_ray():
    import ray

    stop = _start_ray(None, 2, 80)
    assert ray_is_running()
    yield ray
    if stop is not None:
        stop()


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
        # the caller's Ray (this module's) was used, and is still connected
        assert ray_is_running()
    finally:
        unregister_method("broken_ray")


def test_an_address_other_than_the_connected_cluster_is_refused(
    tmp_path, counting_method, local_ray
):
    connected = local_ray.get_runtime_context().gcs_address
    port = int(connected.rsplit(":", 1)[1])
    other = f"127.0.0.1:{port + 1 if port < 65535 else port - 1}"
    config = parse_config({**CONFIG, "methods": ["tiny_1nn"]})
    with pytest.raises(TransferKitInputError, match=r"address='127\.0\.0\.1:\d+'.*already"):
        run_experiment(config, output_dir=tmp_path / "other", address=other, verbose=False)
    # the connected cluster's own address, also by loopback, is accepted
    same = f"127.0.0.1:{port}"
    summary = run_experiment(config, output_dir=tmp_path / "same", address=same, verbose=False)
    assert summary.n_failed == 0
    assert local_ray.get_runtime_context().gcs_address == connected


def test_a_cell_that_kills_its_worker_is_retried_once_then_recorded(
    tmp_path, counting_method, local_ray
):
    tries = tmp_path / "tries"
    tries.mkdir()
    register_method(
        "kills_worker", lambda random_state: KillsItsWorker(str(tries)), description="exits"
    )
    try:
        config = parse_config(
            {
                **CONFIG,
                "data": [{"suite": "tiny", "tasks": ["0->1"]}],
                "methods": ["tiny_1nn", "kills_worker"],
                "selection": ["none"],
            }
        )
        summary = run_experiment(config, output_dir=tmp_path / "out", backend="ray", verbose=False)
        assert summary.n_cells == 2 and summary.n_failed == 1
        (failed,) = summary.failed
        assert failed["error_type"] == "WorkerCrashedError"
        assert failed["error"].startswith("WorkerCrashedError: ")
        assert len(list(tries.iterdir())) == 2  # the first run and one retry
        assert [r["n_ok"] for r in summary.rows] == [1, 0]
    finally:
        unregister_method("kills_worker")


def test_a_module_the_nodes_cannot_import_is_named_in_the_cell_error(
    tmp_path, counting_method, local_ray, monkeypatch
):
    # a method registered from a module that only this process can import (Ray's
    # workers got this process's sys.path when Ray started, without this folder)
    (tmp_path / "tk_driver_only.py").write_text(
        "from sklearn.neighbors import KNeighborsClassifier\n"
        "from transferkit import SourceOnly\n\n\n"
        "def make(random_state):\n"
        "    return SourceOnly(KNeighborsClassifier(n_neighbors=1))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import tk_driver_only

    register_method("driver_only", tk_driver_only.make, description="driver-only module")
    try:
        config = parse_config(
            {
                **CONFIG,
                "data": [{"suite": "tiny", "tasks": ["0->1"]}],
                "methods": ["tiny_1nn", "driver_only"],
                "selection": ["none"],
            }
        )
        summary = run_experiment(config, output_dir=tmp_path / "out", backend="ray", verbose=False)
        (failed,) = summary.failed
        assert failed["method"] == "driver_only"
        assert failed["error_type"] == "RaySystemError"
        assert re.fullmatch(
            r"RaySystemError: the Ray node at [0-9.]+ cannot import 'tk_driver_only', which "
            r"this cell needs\. Install the same transferkit, and the packages and modules "
            r"of the methods \(a module that registers a method too\), on every node of the "
            r"cluster; rerun to retry the failed cells\.",
            failed["error"],
        )
        assert [r["n_ok"] for r in summary.rows] == [1, 0]
    finally:
        unregister_method("driver_only")
        sys.modules.pop("tk_driver_only", None)
