"""A labelled target budget (``target_labels``): drawn per seed, given to the methods that
learn from target labels, every method scored on the held-out target samples."""

import json
from typing import ClassVar

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly, TargetOnly
from transferkit._validation import TransferKitInputError
from transferkit.bench import register_method, unregister_method
from transferkit.bench.suites import Task
from transferkit.experiments import parse_config, run_experiment
from transferkit.experiments.cell import draw_target_labels
from transferkit.experiments.config import ConfigError
from transferkit.experiments.plan import make_plan


class SeenTargetLabels(SourceOnly):
    """Source-only 1NN that records the ``y_target`` its fit received."""

    seen: ClassVar[list] = []

    def _fit(self, data):
        SeenTargetLabels.seen.append(None if data.y_target is None else data.y_target.copy())
        super()._fit(data)


@pytest.fixture
def label_methods(fake_suite):
    SeenTargetLabels.seen = []
    register_method(
        "tiny_target_1nn",
        lambda rs: TargetOnly(KNeighborsClassifier(n_neighbors=1)),
        description="1NN on the labelled target samples",
        uses_target_labels=True,
        replace=True,
    )
    register_method(
        "tiny_spy_1nn",
        lambda rs: SeenTargetLabels(KNeighborsClassifier(n_neighbors=1)),
        description="source-only 1NN that records its y_target",
        param_grid={"estimator__n_neighbors": [1, 3]},
        replace=True,
    )
    yield
    unregister_method("tiny_target_1nn")
    unregister_method("tiny_spy_1nn")


def _config(**overrides):
    data = {
        "name": "tiny_labels",
        "data": [{"suite": "tiny", "tasks": ["0->1"]}],
        "methods": ["tiny_spy_1nn", "tiny_target_1nn"],
        "seeds": [0, 3],
        "memory": "none",
        "target_labels": {"fraction": 0.2},
    }
    data.update(overrides)
    return parse_config(data)


def _accuracy(summary, method, select="none"):
    (row,) = [r for r in summary.rows if (r["method"], r["select"]) == (method, select)]
    return row


def test_the_draw_is_the_stratified_split_of_the_seed():
    y = np.repeat([0, 1, 2], [10, 20, 30])
    for seed in (0, 7):
        labelled, held_out = draw_target_labels(y, 0.1, seed)
        lab, test = train_test_split(np.arange(60), train_size=0.1, stratify=y, random_state=seed)
        np.testing.assert_array_equal(labelled, lab)
        np.testing.assert_array_equal(held_out, test)
        assert np.bincount(y[labelled]).tolist() == [1, 2, 3]
    assert not np.array_equal(draw_target_labels(y, 0.1, 0)[0], draw_target_labels(y, 0.1, 1)[0])


def test_methods_are_scored_on_the_held_out_target_and_only_label_users_see_labels(
    tmp_path, label_methods, tiny_loader
):
    summary = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    Xs, ys, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    expected_source, expected_target = [], []
    for seed in (0, 3):
        lab, test = train_test_split(np.arange(30), train_size=0.2, stratify=yt, random_state=seed)
        knn = KNeighborsClassifier(n_neighbors=1)
        expected_source.append(100 * np.mean(knn.fit(Xs, ys).predict(Xt[test]) == yt[test]))
        expected_target.append(
            100 * np.mean(knn.fit(Xt[lab], yt[lab]).predict(Xt[test]) == yt[test])
        )
    assert _accuracy(summary, "tiny_spy_1nn")["accuracy_mean"] == np.mean(expected_source)
    assert _accuracy(summary, "tiny_target_1nn")["accuracy_mean"] == np.mean(expected_target)
    # the label-free method is fitted without target labels
    assert SeenTargetLabels.seen == [None, None]
    # the table's meta says the budget
    table = json.loads(summary.table_json.read_text())
    assert table["target_labels"] == {"fraction": 0.2}


def test_the_budget_is_part_of_the_cell_identity(tmp_path, label_methods):
    first = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert first.n_run == 4
    again = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert (again.n_run, again.n_resumed) == (0, 4)
    other = run_experiment(
        _config(target_labels={"fraction": 0.3}), output_dir=tmp_path, verbose=False
    )
    assert (other.n_run, other.n_resumed) == (4, 0)
    plan = make_plan(_config())
    assert {c.key["target_labels"]["fraction"] for c in plan.cells} == {0.2}
    # without a budget, the key is as it always was (finished cells keep their ids)
    plain = make_plan(_config(methods=["tiny_spy_1nn"], target_labels=None))
    assert all("target_labels" not in c.key for c in plain.cells)


def test_selection_keeps_working_and_the_oracle_cell_is_scored_on_the_held_out(
    tmp_path, label_methods, tiny_loader
):
    config = _config(methods=["tiny_spy_1nn"], selection=["entropy", "oracle"], seeds=[0])
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    Xs, ys, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    _, test = train_test_split(np.arange(30), train_size=0.2, stratify=yt, random_state=0)
    for select in ("entropy", "oracle"):
        row = _accuracy(summary, "tiny_spy_1nn", select)
        k = row["chosen_params"]["0"]["estimator__n_neighbors"]
        knn = KNeighborsClassifier(n_neighbors=k).fit(Xs, ys)
        assert row["accuracy_mean"] == 100 * np.mean(knn.predict(Xt[test]) == yt[test])


def test_a_method_that_learns_from_target_labels_needs_a_budget(label_methods):
    with pytest.raises(TransferKitInputError, match=r"target_labels: \{fraction: 0.05\}"):
        make_plan(_config(target_labels=None))
    grid = {"name": "tiny_target_1nn", "grid": {"estimator__n_neighbors": [1, 3]}}
    with pytest.raises(TransferKitInputError, match="selection 'entropy' does not pass"):
        make_plan(_config(methods=[grid], selection=["entropy"]))


def test_the_oracle_fits_candidates_with_the_budget_and_scores_the_held_out(
    tmp_path, label_methods, tiny_loader
):
    """Under a budget the oracle bounds the cell it chooses for: each candidate is fitted
    with the labelled target samples (as the cell fits the method) and scored on the
    samples the cell is scored on."""
    grid = {"name": "tiny_target_1nn", "grid": {"estimator__n_neighbors": [1, 3, 5]}}
    config = _config(methods=[grid], selection=["oracle"], seeds=[0, 3])
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    _, _, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    best = []
    for seed in (0, 3):
        lab, test = train_test_split(np.arange(30), train_size=0.2, stratify=yt, random_state=seed)
        scores = [
            100
            * np.mean(
                KNeighborsClassifier(n_neighbors=k).fit(Xt[lab], yt[lab]).predict(Xt[test])
                == yt[test]
            )
            for k in (1, 3, 5)
        ]
        best.append(max(scores))
    row = _accuracy(summary, "tiny_target_1nn", "oracle")
    assert row["accuracy_mean"] == pytest.approx(np.mean(best), abs=1e-12)
    files = [json.loads(p.read_text()) for p in (tmp_path / "cells").rglob("*.json")]
    cells = [cell for data in files for cell in data["cells"]]
    assert len(cells) == 2
    scores = [c["selection"]["info"]["target_accuracy_of_candidates"] for c in cells]
    # candidates scored on the held-out samples only (24 of 30): multiples of 1/24
    assert all(abs(s * 24 - round(s * 24)) < 1e-9 for row in scores for s in row)


@pytest.mark.parametrize(
    "value, message",
    [
        ({"fraction": 0}, "target_labels.fraction: Input should be greater than 0"),
        ({"fraction": 1.0}, "target_labels.fraction: Input should be less than 1"),
        ({"fraction": "many"}, "target_labels.fraction: Input should be a valid number"),
        ({}, "target_labels: give exactly one of the keys fraction .* or per_class .*got neither"),
        ({"fraction": 0.1, "per_class": 3}, "target_labels: give exactly one of .*got both"),
        ({"fractions": 0.1}, "unknown key 'fractions'; allowed keys: fraction, per_class"),
        ({"fraction": [0.1, 1.5]}, r"target_labels.fraction\[1\]: Input should be less than 1"),
        ({"fraction": []}, "target_labels.fraction: the list of fraction values is empty"),
        ({"per_class": -1}, "target_labels.per_class: Input should be greater than or equal to 0"),
        ({"per_class": [1, -2]}, r"target_labels.per_class\[1\]: Input should be greater than or"),
        ({"per_class": 2.5}, "target_labels.per_class: Input should be a valid integer"),
        ({"per_class": True}, "target_labels.per_class: Input should be a valid integer"),
        ({"per_class": []}, "target_labels.per_class: the list of per_class values is empty"),
        (0.05, "target_labels: Input should be a valid dictionary"),
    ],
)
def test_a_bad_budget_is_refused_naming_the_key(value, message, fake_suite):
    with pytest.raises(ConfigError, match=message):
        _config(methods=["source_only"], target_labels=value)


def test_a_budget_too_small_for_a_stratified_draw_fails_the_cell_clearly(tmp_path, label_methods):
    # 5% of 30 samples is one labelled sample for three classes
    config = _config(target_labels={"fraction": 0.05}, seeds=[0])
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 2
    for cell in summary.failed:
        assert cell["error_type"] == "TransferKitInputError"
        assert "target_labels.fraction=0.05" in cell["error"]
        assert "class counts" in cell["error"]


# -- selection: target_cv (chooses on the labelled target samples only) -------------------


def test_target_cv_needs_a_labelled_budget_naming_the_key(label_methods):
    for budget, have in ((None, "gives none"), ({"per_class": 0}, "per_class: 0 only")):
        with pytest.raises(ConfigError, match=rf"selection: target_cv chooses on .*{have}"):
            _config(methods=["tiny_spy_1nn"], selection=["target_cv"], target_labels=budget)
    entry = {"name": "tiny_spy_1nn", "selection": ["target_cv"]}
    with pytest.raises(ConfigError, match=r"methods\[0\].selection: target_cv chooses on"):
        _config(methods=[entry], target_labels=None)
    with pytest.raises(ConfigError, match=r"methods\[0\].selection: unknown selector 'psychic'"):
        _config(methods=[{"name": "tiny_spy_1nn", "selection": "psychic"}])


def test_a_label_learner_with_a_grid_is_chosen_by_target_cv(tmp_path, label_methods, tiny_loader):
    from transferkit.experiments.budget import draw_labelled_per_class
    from transferkit.selection import choose_by_target_cv

    grid = {"estimator__n_neighbors": [1, 3, 5]}
    entry = {"name": "tiny_target_1nn", "grid": grid, "selection": ["target_cv"]}
    # a grid with a rule that does not pass the labelled samples is still refused
    with pytest.raises(TransferKitInputError, match="selection 'entropy' does not pass"):
        make_plan(_config(methods=[{**entry, "selection": ["target_cv", "entropy"]}]))
    config = _config(methods=[entry], target_labels={"per_class": 5}, seeds=[0, 3])
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    (row,) = summary.rows
    assert row["select"] == "target_cv" and not row["uses_target_labels"]  # no upper bound
    Xs, ys, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    accuracies = []
    for seed in (0, 3):
        labelled, held_out = draw_labelled_per_class(yt, 5, seed)
        partial = np.full(30, -1)
        partial[labelled] = yt[labelled]
        chosen = choose_by_target_cv(
            TargetOnly(KNeighborsClassifier()),
            grid,
            Xs,
            ys,
            X_target=Xt,
            y_target=partial,
            n_splits=5,
            random_state=seed,
        )
        assert row["chosen_params"][str(seed)] == chosen.best_params
        predicted = chosen.best_estimator.predict(Xt[held_out])
        accuracies.append(100 * np.mean(predicted == yt[held_out]))
    assert row["accuracy_mean"] == np.mean(accuracies)


def test_an_entry_selection_replaces_the_top_level_one(label_methods):
    entry = {"name": "tiny_spy_1nn", "selection": ["target_cv"]}
    config = _config(
        methods=["tiny_spy_1nn", entry],
        selection=["none", "oracle"],
        target_labels={"per_class": [0, 3]},
        seeds=[0],
    )
    cells = {(c.select, c.key["target_labels"]["per_class"]) for c in make_plan(config).cells}
    # target_cv has nothing to choose on at per_class 0
    assert cells == {("none", 0), ("oracle", 0), ("none", 3), ("oracle", 3), ("target_cv", 3)}
