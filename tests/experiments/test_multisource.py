"""Multi-source suites and methods in the experiment runner.

Multi-source entries (``multi_source=True``) are fitted with ``sample_domain`` and are
refused on single-source data before any cell runs; single-source entries are fitted on
the pooled sources of a multi-source task.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from transferkit import SourceOnly
from transferkit._validation import TransferKitInputError
from transferkit.bench import get_method, get_suite, list_methods
from transferkit.experiments import parse_config, run_experiment
from transferkit.experiments.plan import make_plan
from transferkit.multisource import WeightedSourceEnsemble

MULTI = [
    "best_single_source_logreg",
    "select_sources_logreg",
    "weighted_ensemble_logreg",
    "best_single_source_coral_logreg",
    "select_sources_coral_logreg",
    "weighted_ensemble_coral_logreg",
    "m3sda_mlp",
]


def _three_sources(path, *, with_ids=True):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    y = np.repeat([0, 1, 2], 20)
    parts = [centres[y] + rng.normal(size=(60, 2)) + shift for shift in (0.2, 3.0, 0.6)]
    arrays = {
        "X_source": np.vstack(parts),
        "y_source": np.tile(y, 3),
        "X_target": centres[y] + rng.normal(size=(60, 2)),
        "y_target": y,
    }
    if with_ids:
        arrays["sample_domain"] = np.repeat([1, 2, 3], 60)
    np.savez(path, **arrays)
    return arrays


def _config(data, methods, **extra):
    return parse_config({"data": data, "methods": methods, "memory": "none", **extra})


def test_multi_source_entries_are_registered_and_listed_only_for_multi_source_suites():
    for name in MULTI:
        assert get_method(name).multi_source, name
    assert not get_method("source_only_logreg").multi_source
    for suite in ("office_caltech_surf_multi", "amazon_multi", "amazon_multi_standard"):
        assert set(MULTI) <= {m.name for m in list_methods(suite)}
    for suite in ("office_caltech_surf", "amazon", "digits"):
        assert not set(MULTI) & {m.name for m in list_methods(suite)}
    assert get_method("weighted_ensemble_logreg+guard").multi_source


def test_multi_source_suites_have_the_four_three_to_one_tasks():
    surf = get_suite("office_caltech_surf_multi")
    assert surf.multi_source and not get_suite("office_caltech_surf").multi_source
    assert [t.name for t in surf.tasks] == ["C+D+W->A", "A+D+W->C", "A+C+W->D", "A+C+D->W"]
    assert surf.task("A+C+W->D").source == "amazon+caltech+webcam"
    amazon = get_suite("amazon_multi_standard")
    assert [t.name for t in amazon.tasks] == ["D+E+K->B", "B+E+K->D", "B+D+K->E", "B+D+E->K"]
    assert "z-scored" in amazon.protocol and "raw features" in get_suite("amazon_multi").protocol


def test_multi_source_suite_loads_the_stacked_sources_with_ids(data_home):
    from transferkit.datasets import load_domain

    suite = get_suite("office_caltech_surf_multi")
    Xs, ys, Xt, yt, ids = suite.load(suite.task("A+C+W->D"))
    parts = [load_domain("office_caltech10_surf", d) for d in ("amazon", "caltech", "webcam")]
    np.testing.assert_array_equal(Xs, np.vstack([X for X, _ in parts]))
    np.testing.assert_array_equal(ys, np.concatenate([y for _, y in parts]))
    np.testing.assert_array_equal(Xt, load_domain("office_caltech10_surf", "dslr")[0])
    assert np.bincount(ids).tolist() == [0, 958, 1123, 295] and yt.shape == (157,)


def test_multi_source_method_on_a_single_source_suite_is_refused_before_any_cell():
    config = _config([{"suite": "office_caltech_surf", "tasks": ["C->A"]}], MULTI[:1])
    with pytest.raises(TransferKitInputError, match="combines several source domains") as err:
        make_plan(config)
    message = str(err.value)
    assert "'C->A'" in message and "office_caltech_surf_multi" in message
    assert "best_single_source_logreg" in message


def test_a_methods_entry_naming_multi_source_suites_runs_beside_single_source_data():
    config = _config(
        [{"suite": "digits", "tasks": ["U->M"]}, {"suite": "amazon_multi", "tasks": ["D+E+K->B"]}],
        [
            "source_only",
            {"name": "weighted_ensemble_logreg", "suites": ["amazon_multi"]},
        ],
    )
    plan = make_plan(config)
    cells = {(c.source.task, c.method.name) for c in plan.cells}
    assert cells == {
        ("U->M", "source_only"),
        ("D+E+K->B", "source_only"),
        ("D+E+K->B", "weighted_ensemble_logreg"),
    }


def test_multi_source_method_on_arrays_without_ids_is_refused(tmp_path):
    _three_sources(tmp_path / "one.npz", with_ids=False)
    config = _config([{"arrays": str(tmp_path / "one.npz")}], ["weighted_ensemble_logreg"])
    with pytest.raises(TransferKitInputError, match="has one source domain"):
        make_plan(config)


def test_multi_source_method_on_a_suite_not_declared_multi_source_is_refused(tmp_path, fake_suite):
    config = _config([{"suite": "tiny", "tasks": ["0->1"]}], ["weighted_ensemble_logreg"])
    with pytest.raises(TransferKitInputError, match="multi_source=True"):
        make_plan(config)
    from transferkit.bench import run_benchmark

    with pytest.raises(TransferKitInputError, match="combines several source domains"):
        run_benchmark("tiny", ["weighted_ensemble_logreg"], output_dir=tmp_path)


def test_a_multi_source_cell_given_one_source_fails_with_a_clear_error(tiny_loader):
    from transferkit.bench import Task
    from transferkit.experiments.cell import run_cell

    data = tiny_loader(Task("0->1", "0", "1"))
    result = run_cell("0->1", data, get_method("weighted_ensemble_logreg"), 0, "none", "none")
    assert result.status == "error" and result.error_type == "TransferKitInputError"
    assert "is a multi-source method" in result.error


def test_arrays_with_ids_run_multi_source_and_pooled_single_source_methods(tmp_path):
    arrays = _three_sources(tmp_path / "three.npz")
    config = _config(
        [{"arrays": str(tmp_path / "three.npz")}],
        ["source_only_logreg", "coral_logreg", "weighted_ensemble_logreg"],
    )
    summary = run_experiment(config, output_dir=tmp_path / "out", verbose=False)
    assert summary.n_failed == 0, summary.failed
    acc = {r["method"]: r["accuracy_mean"] for r in summary.rows}
    Xs, ys, Xt, yt = (arrays[k] for k in ("X_source", "y_source", "X_target", "y_target"))
    # single-source entries see the three sources pooled as one (no sample_domain)
    pooled = SourceOnly(LogisticRegression(C=0.1, max_iter=2000)).fit(Xs, ys, X_target=Xt)
    assert acc["source_only_logreg"] == 100 * np.mean(pooled.predict(Xt) == yt)
    # the multi-source entry is fitted with the ids: the same as fitting it by hand
    ensemble = WeightedSourceEnsemble(
        SourceOnly(LogisticRegression(C=0.1, max_iter=2000)), random_state=0
    ).fit(Xs, ys, X_target=Xt, sample_domain=arrays["sample_domain"])
    assert acc["weighted_ensemble_logreg"] == 100 * np.mean(ensemble.predict(Xt) == yt)
    assert ensemble.weights_[1] < ensemble.weights_[0]  # the far source weighs least


def test_oracle_over_the_sources_is_the_best_single_source(tmp_path):
    arrays = _three_sources(tmp_path / "three.npz")
    config = _config(
        [{"arrays": str(tmp_path / "three.npz")}],
        ["best_single_source_logreg"],
        selection=["none", "oracle"],
    )
    summary = run_experiment(config, output_dir=tmp_path / "out", verbose=False)
    rows = {r["select"]: r for r in summary.rows}
    assert rows["oracle"]["uses_target_labels"] and not rows["none"]["uses_target_labels"]
    Xs, ys, Xt, yt = (arrays[k] for k in ("X_source", "y_source", "X_target", "y_target"))
    ids = arrays["sample_domain"]
    single = [
        100
        * np.mean(
            SourceOnly(LogisticRegression(C=0.1, max_iter=2000))
            .fit(Xs[ids == k], ys[ids == k], X_target=Xt)
            .predict(Xt)
            == yt
        )
        for k in (1, 2, 3)
    ]
    assert rows["oracle"]["accuracy_mean"] == max(single)
    assert rows["none"]["accuracy_mean"] <= max(single)
