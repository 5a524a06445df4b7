"""skada interoperability and the ADAPT-style call (no skada needed: its convention is
written out here; ``to_skada``/``from_skada`` were also checked against skada 0.6's own
``source_target_split``/``check_X_y_domain``/``DomainAwareDataset.pack``)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from transferkit import CORAL, SourceOnly, TransferKitInputError, make_transfer_pipeline
from transferkit.compat import (
    TargetBound,
    adapt_fit,
    from_skada,
    pool_sources,
    split_sample_domain,
    to_skada,
)


def test_round_trip_two_domains(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    X, y, sd = to_skada(Xs, ys, X_target=Xt)
    # skada's layout: source id 1, target id -2, y = -1 on unlabelled target rows
    assert X.shape == (len(Xs) + len(Xt), 3)
    assert sd.tolist() == [1] * len(Xs) + [-2] * len(Xt)
    assert y[len(Xs) :].tolist() == [-1] * len(Xt)
    back = from_skada(X, y, sd)
    assert set(back) == {"X", "y", "X_target", "y_target"}
    np.testing.assert_array_equal(back["X"], Xs)
    np.testing.assert_array_equal(back["y"], ys)
    np.testing.assert_array_equal(back["X_target"], Xt)
    assert back["y_target"] is None
    # partly labelled target labels survive the trip
    y_partial = np.where(np.arange(len(yt)) < 5, yt, -1)
    back = from_skada(*to_skada(Xs, ys, X_target=Xt, y_target=y_partial))
    np.testing.assert_array_equal(back["y_target"], y_partial)


def test_round_trip_several_sources_and_an_intermediate(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    ids = np.where(np.arange(len(Xs)) < 20, 1, 4)
    X_in = np.vstack([Xs, Xt[:10] - 1.0])
    y_in = np.r_[ys, np.full(10, -1)]
    sd_in = np.r_[ids, np.full(10, -2)]  # -2 is an intermediate: the target is X_target
    X, y, sd = to_skada(X_in, y_in, X_target=Xt, sample_domain=sd_in)
    assert sorted(set(sd.tolist())) == [-3, -2, 1, 4]  # -2 taken, so the target gets -3
    with pytest.raises(TransferKitInputError, match="ambiguous"):
        from_skada(X, y, sd)
    back = from_skada(X, y, sd, target_domain=-3)
    np.testing.assert_array_equal(back["X_target"], Xt)
    np.testing.assert_array_equal(back["X"], X_in)
    np.testing.assert_array_equal(back["sample_domain"], sd_in)
    np.testing.assert_array_equal(back["y"], y_in)
    with pytest.raises(TransferKitInputError, match="does not occur"):
        from_skada(X, y, sd, target_domain=-7)
    with pytest.raises(TransferKitInputError, match="negative"):
        from_skada(X, y, sd, target_domain=1)


def test_from_skada_output_fits_like_the_two_domain_call(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    X, y, sd = to_skada(Xs, ys, X_target=Xt)
    a = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(**from_skada(X, y, sd))
    b = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_allclose(a.predict_proba(Xt), b.predict_proba(Xt))


def test_regression_targets_use_nan(rng):
    Xs, Xt = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    ys = rng.normal(size=6)
    X, y, sd = to_skada(Xs, ys, X_target=Xt)
    assert np.isnan(y[6:]).all() and sd.tolist() == [1] * 6 + [-2] * 4
    back = from_skada(X, y, sd)
    np.testing.assert_array_equal(back["y"], ys)
    assert back["y_target"] is None


def test_split_sample_domain_pools_every_source():
    X = np.arange(10.0).reshape(5, 2)
    Xs, ys, _, yt = split_sample_domain(X, [0, 1, 1, -1, -1], [0, 2, 2, -1, -1])
    assert Xs.shape == (3, 2) and ys.tolist() == [0, 1, 1] and yt.tolist() == [-1, -1]
    with pytest.raises(TransferKitInputError, match="target"):
        split_sample_domain(X, [0, 1, 1, 0, 1], [1, 1, 2, 2, 2])


def test_pool_sources(shifted_blobs):
    assert pool_sources(np.array([3, 1, -2, 0])).tolist() == [1, 1, -2, 1]
    assert pool_sources([2, -1], source_id=5).tolist() == [5, -1]
    with pytest.raises(TransferKitInputError, match="source_id"):
        pool_sources([1], source_id=-1)


def test_adapt_style_call(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    a = adapt_fit(make_transfer_pipeline(CORAL(), LogisticRegression()), Xs, ys, Xt)
    b = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_allclose(a.predict_proba(Xt), b.predict_proba(Xt))


def test_target_bound_binds_the_target(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    model = TargetBound(make_transfer_pipeline(CORAL(), LogisticRegression()), Xt)
    direct = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_allclose(model.fit(Xs, ys).predict_proba(Xt), direct.predict_proba(Xt))
    assert model.score(Xt, yt) == direct.score(Xt, yt)
    assert model.classes_.tolist() == [0, 1, 2]
    # plain scikit-learn tools: fit(X, y) only
    assert cross_val_score(model, Xs, ys, cv=3).shape == (3,)
    # a callable computes the target from the training X (for checks on random data)
    adapter = TargetBound(CORAL(), lambda X: 2.0 * X + 1.0).fit(Xs)
    np.testing.assert_allclose(
        adapter.transform(Xt), CORAL().fit(Xs, X_target=2.0 * Xs + 1.0).transform(Xt)
    )
    assert not hasattr(TargetBound(SourceOnly(LogisticRegression())), "transform")
    with pytest.raises(TransferKitInputError, match="X_target"):
        TargetBound(CORAL()).fit(Xs)
