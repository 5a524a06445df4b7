"""NegativeTransferGuard keeps a method only when it is estimated to help."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from transferkit import (
    CORAL,
    JointPCA,
    SourceOnly,
    TargetOnly,
    TransferKitInputError,
    make_transfer_pipeline,
)
from transferkit.datasets import rescanned_digits
from transferkit.negative import NegativeTransferGuard


@pytest.fixture(scope="module")
def digits():
    return rescanned_digits(random_state=0)


def test_guard_keeps_a_helpful_method_and_predicts_with_it(digits):
    Xs, ys, Xt, _ = digits
    lr = LogisticRegression(max_iter=2000)
    coral = make_transfer_pipeline(CORAL(lambda_=1.0), lr)
    guard = NegativeTransferGuard(coral, SourceOnly(lr), n_splits=3, random_state=0)
    guard.fit(Xs, ys, X_target=Xt)
    assert guard.use_method_ and guard.report_.verdict == "helps"
    expected = clone(coral).fit(Xs, ys, X_target=Xt).predict(Xt)
    np.testing.assert_array_equal(guard.predict(Xt), expected)
    assert guard.predict_proba(Xt).shape == (Xt.shape[0], 10)


def test_guard_falls_back_to_the_baseline_when_transfer_hurts(digits):
    Xs, ys, Xt, yt = digits
    lr = LogisticRegression(max_iter=2000)
    pca = make_transfer_pipeline(JointPCA(n_components=20), lr)
    guard = NegativeTransferGuard(pca, SourceOnly(lr), n_splits=3, random_state=0)
    guard.fit(Xs, ys, X_target=Xt)
    assert not guard.use_method_
    baseline_acc = SourceOnly(lr).fit(Xs, ys).score(Xt, yt)
    assert guard.score(Xt, yt) == pytest.approx(baseline_acc)
    assert guard.score(Xt, yt) > clone(pca).fit(Xs, ys, X_target=Xt).score(Xt, yt)


def test_confident_rule_needs_the_whole_interval_above_zero():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(120, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    Xt = rng.normal(size=(120, 2))
    yt = np.where(np.arange(120) < 6, Xt[:, 0] > 0, -1)
    model = SourceOnly(LogisticRegression())
    guard = NegativeTransferGuard(
        model, TargetOnly(LogisticRegression()), rule="confident", n_splits=2, random_state=0
    )
    guard.fit(Xs, ys, X_target=Xt, y_target=yt.astype(int))
    assert guard.use_method_ == (guard.report_.interval[0] > 0)


def test_unknown_rule_is_named():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(60, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    guard = NegativeTransferGuard(
        SourceOnly(LogisticRegression()), SourceOnly(LogisticRegression()), rule="maybe"
    )
    with pytest.raises(TransferKitInputError, match="rule"):
        guard.fit(Xs, ys, X_target=Xs + 1)
