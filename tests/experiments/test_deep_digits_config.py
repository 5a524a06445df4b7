"""``benchmarks/configs/deep_digits.yaml`` and ``benchmarks/deep_digits.py`` are one
computation.

A full cell trains a LeNet for 10 epochs on 2,000 images (about 15 s on one idle
thread), so the code path is tested at a reduced setting: the config's cells on every
10th image of each domain (all ten classes; the files are sorted by class) for 2 epochs,
against the script's own ``run_one`` on the same images, every selection column to the
last digit. One full cell is checked against the committed
``benchmarks/results/deep_digits.json``; the other committed runs were checked by hand
(docs/experiments.md).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from transferkit.bench import get_suite, register_suite
from transferkit.experiments import load_config, parse_config, run_experiment

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "benchmarks" / "configs" / "deep_digits.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "deep_digits.json"
#: the config's `selection` sweep -> the script's column
COLUMNS = {None: "last", "dev": "dev", "iwcv": "iwcv", "snd": "snd", "entropy": "entropy"}
#: the reduced setting keeps every STRIDE-th image (200 MNIST, 180 USPS images)
STRIDE = 10


@pytest.fixture(scope="module")
def script():
    """benchmarks/deep_digits.py as a module (its folder on the path for its helpers)."""
    folder = str(ROOT / "benchmarks")
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(
            "deep_digits_benchmark", ROOT / "benchmarks" / "deep_digits.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the script and the committed runs
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def reduced_suite(data_home):
    """``digits_pixels`` replaced by every ``STRIDE``-th image of each domain (test only)."""
    original = get_suite("digits_pixels")

    def every_nth(task):
        return tuple(a[::STRIDE] for a in original.load(task))

    reduced = dataclasses.replace(
        original, loader=every_nth, protocol=f"{original.protocol} Every {STRIDE}th image."
    )
    register_suite(reduced, replace=True)
    try:
        yield
    finally:
        register_suite(original, replace=True)


def _config(**changes):
    data = load_config(CONFIG).to_jsonable()
    return {**data, **changes}


def _cells(summary):
    """``(task, method, selection, seed) -> accuracy`` of every cell of a run."""
    out = {}
    for cell in json.loads(summary.table_json.read_text())["cells"]:
        selection = json.loads(cell["setting"])["selection"]
        out[cell["task"], cell["method"], selection, cell["seed"]] = cell["accuracy"]
    return out


def test_the_config_holds_the_scripts_rows_and_columns(script):
    config = load_config(CONFIG)
    assert [m.name for m in config.methods] == list(script.METHODS.values())
    for method in config.methods:
        assert method.sweep == {"selection": list(COLUMNS)}
        assert not method.params and method.suites is None
    assert [d.suite for d in config.data] == ["digits_pixels"]
    assert set(script.TASKS.values()) == {t.name for t in get_suite("digits_pixels").tasks}
    committed = json.loads(RESULTS.read_text())
    assert (committed["epochs"], committed["lr"]) == (10, 0.05)
    assert config.seeds == len({r["seed"] for r in committed["runs"]}) == 3


def test_config_cells_equal_the_script_runs_at_a_reduced_setting(
    script, reduced_suite, one_thread, tmp_path
):
    """Every row and every selection column: the config's cell (``transferkit run``) and
    the script's ``run_one`` on every 10th image, 2 epochs, seed 1."""
    epochs = 2
    data = _config(
        data=[{"suite": "digits_pixels", "tasks": ["M->U"]}],
        seeds=[1],
    )
    for method in data["methods"]:
        method["params"] = {"epochs": epochs}
    summary = run_experiment(parse_config(data), output_dir=tmp_path, verbose=False)
    assert summary.n_cells == 6 * 5 and summary.n_failed == 0, summary.failed
    cells = _cells(summary)
    ((Xs, ys, Xt, yt),) = script.load_tasks(["mnist->usps"]).values()
    assert (len(Xs), len(Xt), len(set(ys))) == (200, 180, 10)
    chose = set()
    for row, entry in script.METHODS.items():
        run = script.run_one(row, Xs, ys, Xt, yt, 1, epochs, 0.05)
        for selection, column in COLUMNS.items():
            assert cells["M->U", entry, selection, 1] == 100 * run[column], (row, column)
            chose.add(run.get(f"{column}_epoch", epochs - 1))
    assert chose == {0, 1}  # the criteria keep different epochs: the columns differ


def test_a_config_cell_reproduces_the_committed_run(one_thread, tmp_path, data_home):
    """One full committed cell: DANN, mnist->usps (M->U), seed 0, the epoch DEV keeps
    (the 9th of 10, not the last), all images (about 15 s on one idle thread)."""
    (run,) = [
        r
        for r in json.loads(RESULTS.read_text())["runs"]
        if (r["task"], r["method"], r["seed"]) == ("mnist->usps", "DANN", 0)
    ]
    data = _config(
        data=[{"suite": "digits_pixels", "tasks": ["M->U"]}],
        methods=[{"name": "dann_lenet_digits", "params": {"selection": "dev"}}],
        seeds=[0],
    )
    summary = run_experiment(parse_config(data), output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    (row,) = summary.rows
    assert run["dev_epoch"] == 8 and run["dev"] != run["last"]
    assert row["accuracy_mean"] == 100 * run["dev"]
