"""Multi-source schemes: which source, which weights, and the predictions they imply."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import CORAL, SourceOnly, TransferKitInputError, make_transfer_pipeline
from transferkit.multisource import (
    BestSingleSource,
    SourceSelection,
    WeightedSourceEnsemble,
    source_distances,
)


def _domain(rng, shift: float, n: int = 120):
    X = rng.normal(size=(n, 3)) + shift
    return X, (X[:, 0] + X[:, 1] > 2 * shift).astype(int)


@pytest.fixture
def three_sources():
    rng = np.random.default_rng(0)
    parts = [_domain(rng, s) for s in (3.0, 0.2, 1.0)]
    Xt, yt = _domain(rng, 0.0)
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    ids = np.repeat([1, 2, 3], 120)
    return X, y, ids, Xt, yt, parts


def test_best_single_source_is_the_closest_and_fits_on_it_alone(three_sources):
    X, y, ids, Xt, _, parts = three_sources
    method = make_transfer_pipeline(CORAL(), LogisticRegression())
    model = BestSingleSource(method, random_state=0).fit(X, y, X_target=Xt, sample_domain=ids)
    assert model.chosen_source_ == 2
    assert np.argmin(model.source_distances_) == 1
    alone = clone(method).fit(*parts[1], X_target=Xt)
    np.testing.assert_array_equal(model.predict(Xt), alone.predict(Xt))


def test_a_fixed_source_is_fitted_alone_and_a_wrong_id_is_named(three_sources):
    X, y, ids, Xt, _, parts = three_sources
    method = SourceOnly(LogisticRegression())
    model = BestSingleSource(method, source=3, random_state=0)
    model.fit(X, y, X_target=Xt, sample_domain=ids)
    assert model.chosen_source_ == 3 and model.source_distances_.shape == (3,)
    alone = clone(method).fit(*parts[2], X_target=Xt)
    np.testing.assert_array_equal(model.predict_proba(Xt), alone.predict_proba(Xt))
    with pytest.raises(TransferKitInputError, match=r"source=7 is not a source id.*\[1, 2, 3\]"):
        BestSingleSource(method, source=7).fit(X, y, X_target=Xt, sample_domain=ids)


def test_source_distances_order_the_shifts_and_accept_a_callable(three_sources):
    _, _, _, Xt, _, parts = three_sources
    d = source_distances([p[0] for p in parts], Xt, random_state=0)
    assert d[1] < d[2] < d[0]
    means = source_distances(
        [p[0] for p in parts], Xt, distance=lambda a, b: float(np.abs(a.mean() - b.mean()))
    )
    assert means[0] == pytest.approx(abs(parts[0][0].mean() - Xt.mean()))
    proxy = source_distances([p[0] for p in parts], Xt, distance="proxy_a", random_state=0)
    assert proxy[1] < proxy[0]


def test_selecting_every_source_is_pooling(three_sources):
    X, y, ids, Xt, _, _ = three_sources
    knn = SourceOnly(KNeighborsClassifier(1))
    selected = SourceSelection(knn, n_selected=3, random_state=0)
    selected.fit(X, y, X_target=Xt, sample_domain=ids)
    pooled = clone(knn).fit(X, y, X_target=Xt)
    np.testing.assert_array_equal(selected.predict(Xt), pooled.predict(Xt))
    two = SourceSelection(knn, n_selected=2, random_state=0)
    assert two.fit(X, y, X_target=Xt, sample_domain=ids).selected_sources_ == [2, 3]


def test_ensemble_is_the_weighted_average_of_the_per_source_models(three_sources):
    X, y, ids, Xt, _, parts = three_sources
    method = SourceOnly(LogisticRegression())
    model = WeightedSourceEnsemble(method, random_state=0)
    model.fit(X, y, X_target=Xt, sample_domain=ids)
    d = model.source_distances_
    tau = np.std(d)
    expected_w = np.exp(-(d - d.min()) / tau) / np.exp(-(d - d.min()) / tau).sum()
    np.testing.assert_allclose(model.weights_, expected_w)
    by_hand = sum(
        w * clone(method).fit(*p, X_target=Xt).predict_proba(Xt)
        for w, p in zip(expected_w, parts, strict=True)
    )
    np.testing.assert_allclose(model.predict_proba(Xt), by_hand, atol=1e-12)
    assert model.weights_[1] == model.weights_.max()
    uniform = WeightedSourceEnsemble(method, weighting="uniform").fit(
        X, y, X_target=Xt, sample_domain=ids
    )
    np.testing.assert_allclose(uniform.weights_, 1 / 3)


def test_a_single_source_is_accepted(three_sources):
    _, _, _, Xt, _, parts = three_sources
    model = BestSingleSource(SourceOnly(LogisticRegression())).fit(*parts[0], X_target=Xt)
    assert model.chosen_source_ == 1


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (SourceSelection(SourceOnly(LogisticRegression()), n_selected=4), "only 3 source"),
        (SourceSelection(SourceOnly(LogisticRegression()), n_selected=0), "n_selected"),
        (WeightedSourceEnsemble(SourceOnly(LogisticRegression()), temperature=-1), "temperature"),
        (WeightedSourceEnsemble(SourceOnly(LogisticRegression()), weighting="best"), "weighting"),
        (BestSingleSource(SourceOnly(LogisticRegression()), distance="cosine"), "distance"),
    ],
)
def test_bad_settings_are_named(three_sources, model, message):
    X, y, ids, Xt, _, _ = three_sources
    with pytest.raises(TransferKitInputError, match=message):
        model.fit(X, y, X_target=Xt, sample_domain=ids)
