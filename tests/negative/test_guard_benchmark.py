"""The instance-weighting cells of ``benchmarks/negative_guard.py`` measure what they claim.

The 1-NN classifier of the mapping cells ignores sample weights; the weighting cells must
train a classifier whose fit changes with the weights, or every weighter would be scored
as "no transfer". These tests run the benchmark's own functions on a small covariate-shift
problem (its ``load_task`` replaced), so they fail if the cells ever lose the weights.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier

from transferkit import TransferKitInputError, make_transfer_pipeline
from transferkit.instance import KMM

ROOT = Path(__file__).resolve().parents[2]
# KMM's weights concentrate on this small shifted problem; the warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore::transferkit.WeightCollapseWarning")


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module (its folder on the path for ``_paths``)."""
    folder = str(ROOT / "benchmarks")
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(
            "negative_guard_benchmark", ROOT / "benchmarks" / "negative_guard.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def _shift_problem(seed: int = 0):
    """Source around 0, target shifted along x0; the label depends on x0 non-linearly, so a
    linear model fitted where the target lies differs from one fitted on the whole source."""
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(240, 3))
    Xt = rng.normal(size=(200, 3)) * [0.7, 1.0, 1.0] + [1.0, 0.0, 0.0]

    def label(X):
        return ((X[:, 0] - 1.2) ** 2 + 0.4 * X[:, 1] > 0.6).astype(int)

    return Xs, label(Xs), Xt, label(Xt)


def test_every_weighter_cell_trains_the_classifier_with_the_weights(bench):
    Xs, ys, Xt, _ = _shift_problem()
    unweighted = bench.weighted_classifier(1.0).fit(Xs, ys).coef_
    for name, weighter in bench.weighters().items():
        pipe = make_transfer_pipeline(weighter, bench.weighted_classifier(1.0))
        pipe.fit(Xs, ys, X_target=Xt)
        weights = pipe.steps_[0][1].weights_
        assert np.std(weights) > 0.05, name  # the problem really calls for weights
        by_hand = bench.weighted_classifier(1.0).fit(Xs, ys, sample_weight=weights).coef_
        coef = pipe.steps_[-1][1].coef_
        np.testing.assert_allclose(coef, by_hand, rtol=1e-6, atol=1e-8, err_msg=name)
        assert np.abs(coef - unweighted).max() > 0.05, name


def test_a_weight_blind_classifier_is_refused(bench):
    weighter = next(iter(bench.weighters().values()))
    with pytest.raises(TransferKitInputError, match="sample_weight"):
        make_transfer_pipeline(weighter, KNeighborsClassifier(1)).fit(
            *_shift_problem()[:2], X_target=_shift_problem()[2]
        )


def test_reused_weights_are_the_bare_weighters_weights(bench):
    Xs, _, Xt, _ = _shift_problem()
    bare = KMM(max_iter=300, random_state=0).fit(Xs, X_target=Xt).weights_
    reused = bench.ReusedWeights(KMM(max_iter=300, random_state=0))
    first = clone(reused).fit(Xs, X_target=Xt).weights_
    again = clone(reused).fit(Xs, X_target=Xt).weights_
    np.testing.assert_array_equal(first, bare)
    np.testing.assert_array_equal(again, bare)
    other = clone(reused).fit(Xs[:200], X_target=Xt).weights_  # other samples: recomputed
    np.testing.assert_array_equal(
        other, KMM(max_iter=300, random_state=0).fit(Xs[:200], X_target=Xt).weights_
    )


def test_instance_cells_score_weighted_transfer_against_source_only(bench, monkeypatch):
    Xs, ys, Xt, yt = _shift_problem()
    monkeypatch.setattr(bench, "load_task", lambda *args: (Xs, ys, Xt, yt))
    rows = bench.instance_cells({"toy": ("toy", ["S->T"], "1nn")}, None, 0, quick=True)
    assert [r["method"] for r in rows] == ["kmm", "density_ratio"]
    plain = bench.weighted_classifier(rows[0]["C"]).fit(Xs, ys).score(Xt, yt)
    for r in rows:
        assert r["baseline_acc"] == pytest.approx(plain)
        assert r["true_gain"] == pytest.approx(r["method_acc"] - r["baseline_acc"])
        assert r["guard_acc"] == pytest.approx(
            r["method_acc"] if r["guard_keeps"] else r["baseline_acc"]
        )
        low, high = r["reverse_interval"]
        assert low <= r["reverse_gain"] <= high
        assert 0 < r["ess_ratio"] < 1
    # a weight-blind classifier would give a true gain of exactly 0 in every cell
    assert any(abs(r["true_gain"]) > 0.01 for r in rows)


def test_unrelated_cells_use_the_mapping_runs_labelled_samples(bench, monkeypatch):
    """Part 2 of both families draws the same labelled samples and relabelling."""
    Xs, ys, Xt, yt = _shift_problem()
    rng = np.random.default_rng(0)
    # the draws as the committed mapping run made them (inline code before the refactor)
    classes = np.unique(ys)
    labelled = np.concatenate(
        [rng.choice(np.flatnonzero(yt == c), 3, replace=False) for c in classes]
    )
    shift = rng.permutation(classes)
    while np.any(shift == classes):
        shift = rng.permutation(classes)
    y_partial, unlabelled, relabel = bench._partial_target_labels(
        np.random.default_rng(0), ys, yt, 3
    )
    np.testing.assert_array_equal(np.flatnonzero(y_partial != -1), np.sort(labelled))
    np.testing.assert_array_equal(unlabelled, np.setdiff1d(np.arange(yt.size), labelled))
    assert relabel == dict(zip(classes, shift, strict=True))

    monkeypatch.setattr(bench, "load_task", lambda *args: (Xs, ys, Xt, yt))
    rows = bench.instance_unrelated_cells(1, 3, 0, quick=True)
    assert {(r["source"], r["method"]) for r in rows} == {
        (s, m) for s in ("unrelated", "real") for m in ("kmm", "density_ratio")
    }
    unrelated = [r for r in rows if r["source"] == "unrelated"]
    assert all(r["true_gain"] < 0 and not r["guard_keeps"] for r in unrelated)


def test_summary_pools_the_families(bench):
    def row(base, method, keeps, source=None):
        r = {
            "baseline_acc": base,
            "method_acc": method,
            "true_gain": method - base,
            "guard_keeps": keeps,
            "guard_acc": method if keeps else base,
            "reverse_gain": 0.01 if keeps else -0.01,  # the sign the guard acted on
        }
        return {**r, "source": source} if source else r

    mapping = {
        "label_free": [row(0.5, 0.6, True), row(0.5, 0.4, True)],
        "unrelated": [row(0.3, 0.1, False, "unrelated"), row(0.3, 0.4, True, "real")],
    }
    instance = {
        "label_free": [row(0.7, 0.6, False), row(0.7, 0.7, True)],
        "unrelated": [row(0.4, 0.2, True, "unrelated")],
    }
    table = bench.summary(mapping, instance)
    both = table["label-free | both"]
    assert (both["cells"], both["hurting"], both["caught"], both["helping"], both["kept"]) == (
        4,
        2,
        1,
        1,
        1,
    )
    assert both["never"] == pytest.approx(60.0)
    assert both["always"] == pytest.approx(57.5)
    assert both["guarded"] == pytest.approx(100 * (0.6 + 0.4 + 0.7 + 0.7) / 4)
    assert both["oracle"] == pytest.approx(100 * (0.6 + 0.5 + 0.7 + 0.7) / 4)
    assert (both["missed"], both["dropped"], both["big_hurting"], both["big_caught"]) == (
        1,
        0,
        2,
        1,
    )
    assert both["cost_missed"] == pytest.approx(10 / 4)  # the kept 0.5 -> 0.4 cell
    assert (both["sign_agrees"], both["changed"]) == (2, 3)
    assert both["guarded"] == pytest.approx(both["oracle"] - both["cost_missed"])
    # no row says "helps": rule="confident" would have refused every method
    assert (both["confident_caught"], both["confident_kept"]) == (2, 0)
    assert both["confident_acc"] == pytest.approx(both["never"])
    unrelated = table["3 labels/class, unrelated source | both"]
    assert (unrelated["hurting"], unrelated["caught"]) == (2, 1)
    assert table["3 labels/class, real source | instance weighting"]["cells"] == 0
    assert "both" in bench.summary_report(table, quick=False)


def test_a_checkpointed_run_resumes_without_recomputing(bench, monkeypatch, tmp_path):
    Xs, ys, Xt, yt = _shift_problem()
    monkeypatch.setattr(bench, "load_task", lambda *args: (Xs, ys, Xt, yt))
    path = tmp_path / "checkpoint.json"
    suites = {"toy": ("toy", ["S->T"], "1nn")}
    first = bench.instance_cells(suites, None, 0, quick=True, checkpoint=path)
    unrelated = bench.instance_unrelated_cells(1, 3, 0, quick=True, checkpoint=path)

    def refuse(*args):
        raise AssertionError("a saved task was run again")

    monkeypatch.setattr(bench, "source_cv_c", refuse)  # every task fit starts with it
    again = bench.instance_cells(suites, None, 0, quick=True, checkpoint=path)
    assert [r["method_acc"] for r in again] == [r["method_acc"] for r in first]
    resumed = bench.instance_unrelated_cells(1, 3, 0, quick=True, checkpoint=path)
    assert [r["guard_acc"] for r in resumed] == [r["guard_acc"] for r in unrelated]
