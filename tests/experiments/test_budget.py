"""Labelled target budgets: the per-class draw (``target_labels: {per_class: K}``), budget
axes (a list of values), and the macro-F1 score every cell records."""

import csv
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly, TargetOnly
from transferkit._validation import TransferKitInputError
from transferkit.bench import register_method, unregister_method
from transferkit.bench.suites import Task
from transferkit.experiments import (
    draw_labelled_per_class,
    draw_target_labels,
    macro_f1,
    parse_config,
    run_experiment,
)
from transferkit.experiments.plan import make_plan
from transferkit.experiments.table import TABLE_COLUMNS


def _script_draw(yt, k, seed):
    """benchmarks/nilm_cross_country.py's ``run_cell`` draw, verbatim."""
    rng = np.random.RandomState(seed)
    partial = np.full(len(yt), -1)
    for c in np.unique(yt):
        if k:
            partial[rng.choice(np.flatnonzero(yt == c), k, replace=False)] = c
    lab, test = partial >= 0, partial < 0
    return np.flatnonzero(lab), np.flatnonzero(test)


def test_the_per_class_draw_is_the_nilm_scripts_draw_on_the_real_target(data_home):
    from transferkit.nilm import load_cross_country

    cc = load_cross_country()
    yt = np.searchsorted(np.array(cc.classes), cc.y_target)  # as the script encodes it
    for k in (0, 1, 5):
        for seed in (0, 1, 2):
            labelled, held_out = draw_labelled_per_class(yt, k, seed)
            expected_lab, expected_test = _script_draw(yt, k, seed)
            np.testing.assert_array_equal(labelled, expected_lab)
            np.testing.assert_array_equal(held_out, expected_test)
            assert np.bincount(yt[labelled], minlength=4).tolist() == [k] * 4
    # string labels draw the same samples (np.unique orders them the same way)
    np.testing.assert_array_equal(
        draw_labelled_per_class(np.asarray(cc.y_target), 5, 1)[0], _script_draw(yt, 5, 1)[0]
    )


def test_the_per_class_draw_is_sorted_disjoint_and_covers_the_target():
    y = np.repeat([2, 0, 1], [4, 6, 5])
    labelled, held_out = draw_labelled_per_class(y, 3, seed=4)
    assert labelled.tolist() == sorted(labelled.tolist())
    assert held_out.tolist() == sorted(held_out.tolist())
    assert sorted(labelled.tolist() + held_out.tolist()) == list(range(15))
    assert np.bincount(y[labelled]).tolist() == [3, 3, 3]
    assert not np.array_equal(labelled, draw_labelled_per_class(y, 3, seed=5)[0])
    labelled, held_out = draw_labelled_per_class(y, 0, seed=4)
    assert labelled.size == 0 and held_out.tolist() == list(range(15))


@pytest.mark.parametrize(
    "y, per_class, message",
    [
        (np.repeat([0, 1], [5, 3]), 3, r"target class 1 has 3 samples.*needs 4.*per_class <= 2"),
        (np.array(["a", "a", "b"]), 1, r"target class 'b' has 1 sample,.*per_class <= 0"),
        (np.repeat([0, 1], 5), -1, r"per_class=-1 is not a number of samples; give an integer"),
        (np.repeat([0, 1], 5), True, r"per_class=True is not a number of samples"),
        (np.repeat([0, 1], 5), 1.5, r"per_class=1.5 is not a number of samples"),
        (np.array([0.0, np.nan, 1.0]), 0, "NaN or infinite"),
        (np.zeros((4, 2)), 1, r"1-D array .* got shape \(4, 2\)"),
        (np.array([]), 1, "non-empty 1-D"),
    ],
)
def test_a_per_class_draw_that_cannot_be_made_is_refused_clearly(y, per_class, message):
    with pytest.raises(TransferKitInputError, match=message):
        draw_labelled_per_class(y, per_class, seed=0)


def test_the_fraction_draw_is_exported_too():
    y = np.repeat([0, 1], 10)
    labelled, held_out = draw_target_labels(y, 0.2, 0)
    assert len(labelled) == 4 and len(held_out) == 16


def test_macro_f1_is_sklearns_in_percent():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    assert macro_f1(y, p) == 100 * f1_score(y, p, average="macro")
    # a class never predicted counts 0, without a warning
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")
        assert macro_f1(np.array([0, 1, 2]), np.array([0, 1, 1])) == pytest.approx(100 * 5 / 9)


@pytest.fixture
def budget_methods(fake_suite):
    register_method(
        "budget_source_1nn",
        lambda rs: SourceOnly(KNeighborsClassifier(n_neighbors=1)),
        description="source-only 1NN",
        replace=True,
    )
    register_method(
        "budget_target_1nn",
        lambda rs: TargetOnly(KNeighborsClassifier(n_neighbors=1)),
        description="1NN on the labelled target samples",
        uses_target_labels=True,
        replace=True,
    )
    yield
    unregister_method("budget_source_1nn")
    unregister_method("budget_target_1nn")


def _config(**overrides):
    data = {
        "name": "budget_axis",
        "data": [{"suite": "tiny", "tasks": ["0->1"]}],
        "methods": ["budget_source_1nn", "budget_target_1nn"],
        "seeds": [0, 3],
        "memory": "none",
        "target_labels": {"per_class": [0, 2, 4]},
    }
    data.update(overrides)
    return parse_config(data)


def test_a_per_class_axis_makes_its_own_cells_rows_and_columns(
    tmp_path, budget_methods, tiny_loader
):
    summary = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    # the label-free method at K = 0, 2, 4; the label learner at 2 and 4 only
    assert summary.n_cells == 2 * 3 + 2 * 2
    budgets = [(r["method"], r["target_per_class"]) for r in summary.rows]
    assert budgets == [
        ("budget_source_1nn", 0),
        ("budget_source_1nn", 2),
        ("budget_source_1nn", 4),
        ("budget_target_1nn", 2),
        ("budget_target_1nn", 4),
    ]
    assert all(r["target_fraction"] is None for r in summary.rows)
    Xs, ys, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    for row in summary.rows:
        k = row["target_per_class"]
        accuracies, f1s = [], []
        for seed in (0, 3):
            lab, test = _script_draw(yt, k, seed)
            if row["method"] == "budget_source_1nn":
                knn = KNeighborsClassifier(n_neighbors=1).fit(Xs, ys)
            else:
                knn = KNeighborsClassifier(n_neighbors=1).fit(Xt[lab], yt[lab])
            predicted = knn.predict(Xt[test])
            accuracies.append(100 * np.mean(predicted == yt[test]))
            f1s.append(100 * f1_score(yt[test], predicted, average="macro"))
            if k == 0:  # nothing held out for labels: every target sample is scored
                assert len(test) == 30
        assert row["accuracy_mean"] == pytest.approx(np.mean(accuracies), abs=1e-12)
        assert row["macro_f1_mean"] == pytest.approx(np.mean(f1s), abs=1e-12)
        assert row["macro_f1_std"] == pytest.approx(np.std(f1s), abs=1e-12)
    table = json.loads(summary.table_json.read_text())
    assert table["target_labels"] == {"per_class": [0, 2, 4]}
    assert {c["target_per_class"] for c in table["cells"]} == {0, 2, 4}
    with summary.table_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == TABLE_COLUMNS
    assert [r["target_per_class"] for r in rows] == ["0", "2", "4", "2", "4"]
    assert all(r["target_fraction"] == "" and r["macro_f1_mean"] for r in rows)
    # each value is its own cell identity; a rerun resumes them all
    ids = {c.cell_id for c in make_plan(_config()).cells}
    assert len(ids) == 10
    again = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert (again.n_run, again.n_resumed) == (0, 10)


def test_a_cell_records_the_labelled_count_and_macro_f1(tmp_path, budget_methods):
    summary = run_experiment(
        _config(target_labels={"per_class": 2}, seeds=[0]), output_dir=tmp_path, verbose=False
    )
    for path in (tmp_path / "cells").glob("*.json"):
        (cell,) = json.loads(path.read_text())["cells"]
        assert cell["selection"]["target_labelled"] == 6
        assert cell["key"]["target_labels"] == {"per_class": 2}
        assert 0 < cell["macro_f1"] <= 100
    assert summary.n_cells == 2


def test_fraction_cells_keep_their_identity_and_a_fraction_axis_splits_them(budget_methods):
    # ids computed before budgets could be per-class or lists: finished runs still resume
    one = _config(methods=["budget_source_1nn"], seeds=[0], target_labels={"fraction": 0.2})
    assert [c.cell_id for c in make_plan(one).cells] == ["712d443e57edcce5"]
    none = _config(methods=["budget_source_1nn"], seeds=[0], target_labels=None)
    assert [c.cell_id for c in make_plan(none).cells] == ["31acb5c85ec6465c"]
    axis = _config(methods=["budget_source_1nn"], seeds=[0], target_labels={"fraction": [0.2, 0.3]})
    cells = make_plan(axis).cells
    assert [c.key["target_labels"] for c in cells] == [{"fraction": 0.2}, {"fraction": 0.3}]
    assert cells[0].cell_id == "712d443e57edcce5"


def test_a_label_learner_needs_a_positive_per_class_budget(budget_methods):
    with pytest.raises(TransferKitInputError, match=r"per_class is 0 \(no target label\)"):
        make_plan(_config(target_labels={"per_class": 0}))
    with pytest.raises(TransferKitInputError, match=r"target_labels: \{fraction: 0.05\} or"):
        make_plan(_config(target_labels=None))


def test_a_per_class_budget_too_large_fails_the_cell_naming_the_class(tmp_path, budget_methods):
    summary = run_experiment(
        _config(target_labels={"per_class": 10}, seeds=[0]), output_dir=tmp_path, verbose=False
    )
    assert summary.n_failed == 2
    for cell in summary.failed:
        assert cell["error_type"] == "TransferKitInputError"
        assert "target_labels.per_class=10: target class 0 has 10 samples" in cell["error"]


def test_cell_files_without_macro_f1_still_resume_and_tabulate(tmp_path, budget_methods):
    config = _config(methods=["budget_source_1nn"], target_labels=None)
    first = run_experiment(config, output_dir=tmp_path, verbose=False)
    for path in (tmp_path / "cells").glob("*.json"):
        document = json.loads(path.read_text())
        del document["cells"][0]["macro_f1"]  # a file written before macro-F1 was recorded
        path.write_text(json.dumps(document))
    again = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert (again.n_run, again.n_resumed) == (0, 2)
    (row,) = again.rows
    assert row["accuracy_mean"] == first.rows[0]["accuracy_mean"]
    assert row["macro_f1_mean"] is None and row["macro_f1_std"] is None
    assert row["target_fraction"] is None and row["target_per_class"] is None
    with again.table_csv.open() as handle:
        (csv_row,) = list(csv.DictReader(handle))
    assert csv_row["macro_f1_mean"] == "" and csv_row["accuracy_mean"]
