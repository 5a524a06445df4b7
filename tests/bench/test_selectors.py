"""The selector factory used by the benchmark runner."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from selection._helpers import FunctionWeighter, make_knn_shift, true_ratio
from transferkit import CORAL, make_transfer_pipeline
from transferkit.bench.selection import SELECTOR_CRITERIA, make_selector
from transferkit.selection import DEV, score_candidates


def _problem(Xs, ys, Xt, candidates, factory):
    def build(params):
        return factory().set_params(**params)

    return SimpleNamespace(
        candidates=candidates, X=Xs, y=ys, X_target=Xt, random_state=0, build=build
    )


def test_selector_returns_a_candidate_and_the_scores():
    Xs, ys, Xt, _ = make_knn_shift(seed=0)
    candidates = [{"n_neighbors": 75}, {"n_neighbors": 25}, {"n_neighbors": 1}]
    problem = _problem(Xs, ys, Xt, candidates, KNeighborsClassifier)
    params, info = make_selector("iwcv", weighter=FunctionWeighter(true_ratio))(problem)
    assert params == {"n_neighbors": 1}
    assert info["criterion"] == "iwcv"
    assert len(info["criterion_scores"]) == 3
    assert int(np.argmax(info["criterion_scores"])) == 2


def test_selector_without_a_grid_returns_the_defaults(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    problem = _problem(Xs, ys, Xt, [{}], LogisticRegression)
    params, info = make_selector("snd")(problem)
    assert params == {}
    assert len(info["criterion_scores"]) == 1


def test_every_registered_criterion_name_is_known():
    from transferkit.selection import get_criterion

    for name, (criterion, description) in SELECTOR_CRITERIA.items():
        assert get_criterion(criterion).name == criterion
        assert description, name


def test_dev_shares_density_ratio_fits_across_classifier_only_grids(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    calls = []

    def ratio(X):
        calls.append(X.shape[0])
        return np.ones(X.shape[0])

    score_candidates(
        make_transfer_pipeline(CORAL(), LogisticRegression()),
        {"estimator__C": [0.1, 1.0, 10.0]},
        Xs,
        ys,
        Xt,
        criteria=[DEV(weighter=FunctionWeighter(ratio))],
        cv=3,
    )
    # one weighter fit + one held-out evaluation per fold, not per candidate
    assert len(calls) == 3 * 2


@pytest.mark.parametrize("name", ["entropy", "reverse", "source_cv"])
def test_other_selectors_run(shifted_blobs, name):
    Xs, ys, Xt, _ = shifted_blobs
    problem = _problem(Xs, ys, Xt, [{"C": 0.01}, {"C": 1.0}], LogisticRegression)
    params, _ = make_selector(name)(problem)
    assert params in problem.candidates
