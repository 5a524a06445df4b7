"""Methods that learn from labelled target samples when given some and run without them
(``register_method(..., uses_target_labels=True, target_labels_optional=True)``)."""

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from transferkit.baselines import LabelledTargetAsSource
from transferkit.bench import register_method, unregister_method
from transferkit.bench.suites import Task
from transferkit.experiments import draw_labelled_per_class, parse_config, run_experiment
from transferkit.experiments.plan import make_plan


@pytest.fixture
def optional_method(fake_suite):
    register_method(
        "joined_1nn",
        lambda rs: LabelledTargetAsSource(KNeighborsClassifier(n_neighbors=1)),
        description="1NN on the source and the labelled target samples",
        param_grid={"estimator__n_neighbors": [1, 3]},
        uses_target_labels=True,
        target_labels_optional=True,
        replace=True,
    )
    yield
    unregister_method("joined_1nn")


def _config(**overrides):
    data = {
        "data": [{"suite": "tiny", "tasks": ["0->1"]}],
        "methods": ["joined_1nn"],
        "seeds": [0, 2],
        "memory": "none",
        "target_labels": {"per_class": [0, 2]},
    }
    return parse_config({**data, **overrides})


def test_an_optional_label_learner_runs_at_zero_labels_and_learns_from_some(
    tmp_path, optional_method, tiny_loader
):
    summary = run_experiment(_config(), output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0 and summary.n_cells == 4
    Xs, ys, Xt, yt = tiny_loader(Task("0->1", "0", "1"))
    for row in summary.rows:
        k = row["target_per_class"]
        accuracies = []
        for seed in (0, 2):
            lab, test = draw_labelled_per_class(yt, k, seed)
            knn = KNeighborsClassifier(n_neighbors=1).fit(
                np.vstack([Xs, Xt[lab]]), np.r_[ys, yt[lab]]
            )
            accuracies.append(100 * np.mean(knn.predict(Xt[test]) == yt[test]))
        assert row["accuracy_mean"] == pytest.approx(np.mean(accuracies), abs=1e-12), k
    assert [r["target_per_class"] for r in summary.rows] == [0, 2]
    # without any budget it runs too (fitted without y_target)
    assert len(make_plan(_config(target_labels=None)).cells) == 2


def test_a_label_free_rule_or_the_oracle_may_choose_among_its_candidates(optional_method):
    cells = make_plan(_config(selection=["entropy"])).cells
    assert {c.key["grid"]["estimator__n_neighbors"] == [1, 3] for c in cells} == {True}
    # the oracle fits its candidates with the labelled budget, as the cell does
    assert {c.select for c in make_plan(_config(selection=["oracle"])).cells} == {"oracle"}


def test_the_flag_needs_uses_target_labels(fake_suite):
    spec = register_method(
        "plain_1nn",
        lambda rs: LabelledTargetAsSource(KNeighborsClassifier(n_neighbors=1)),
        description="x",
        target_labels_optional=True,
        replace=True,
    )
    try:
        assert not spec.uses_target_labels and not spec.target_labels_optional
    finally:
        unregister_method("plain_1nn")
