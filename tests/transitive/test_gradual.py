"""Gradual self-training and the transitive estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC, LinearSVC

from transferkit import TransferKitInputError
from transferkit.datasets import coil20_views, rotated_mnist_domains
from transferkit.transitive import GradualSelfTraining, TransitiveTransfer, self_train_along


def _bars(rng, angle, n=200):
    y = rng.integers(0, 2, n)
    X = np.column_stack([rng.normal(size=n), (2 * y - 1) * 1.5 + rng.normal(0, 0.3, n)])
    c, s = np.cos(angle), np.sin(angle)
    return X @ np.array([[c, s], [-s, c]]), y


def _stack(Xs, ys, mids):
    X = np.vstack([Xs, *mids])
    y = np.concatenate([ys, np.full(sum(len(m) for m in mids), -1)])
    ids = np.concatenate(
        [np.ones(len(Xs), int)] + [np.full(len(m), -(k + 2)) for k, m in enumerate(mids)]
    )
    return X, y, ids


def test_estimator_follows_the_function_hop_by_hop():
    rng = np.random.default_rng(0)
    (Xs, ys), (Xt, yt) = _bars(rng, 0.0), _bars(rng, 1.5)
    mids = [_bars(rng, a)[0] for a in (0.3, 0.6, 0.9, 1.2)]
    model = GradualSelfTraining(LogisticRegression()).fit(
        *_stack(Xs, ys, mids)[:2], X_target=Xt, sample_domain=_stack(Xs, ys, mids)[2]
    )
    ref, labels = self_train_along(LogisticRegression(), Xs, ys, [*mids, Xt])
    np.testing.assert_array_equal(model.predict(Xt), ref.predict(Xt))
    assert len(model.pseudo_labels_) == len(labels) == 5
    assert model.score(Xt, yt) > 0.95
    direct = LogisticRegression().fit(Xs, ys).score(Xt, yt)
    assert direct < 0.7  # the target alone is too far for one hop


def test_no_intermediate_domain_is_plain_self_training_on_the_target():
    rng = np.random.default_rng(1)
    (Xs, ys), (Xt, _) = _bars(rng, 0.0), _bars(rng, 0.4)
    model = GradualSelfTraining(LogisticRegression(), drop_fraction=0.0).fit(Xs, ys, X_target=Xt)
    ref, _ = self_train_along(LogisticRegression(), Xs, ys, [Xt], drop_fraction=0.0)
    np.testing.assert_allclose(model.estimator_.coef_, ref.coef_)


def test_classifiers_without_probabilities_use_their_decision_values():
    rng = np.random.default_rng(2)
    (Xs, ys), (Xt, yt) = _bars(rng, 0.0), _bars(rng, 1.5)
    mids = [_bars(rng, a)[0] for a in (0.3, 0.6, 0.9, 1.2)]
    model, _ = self_train_along(LinearSVC(), Xs, ys, [*mids, Xt])
    assert model.score(Xt, yt) > 0.95


def test_transitive_transfer_skips_the_distractor_and_records_the_chain():
    rng = np.random.default_rng(3)
    (Xs, ys), (Xt, yt) = _bars(rng, 0.0), _bars(rng, 1.5)
    cands = [_bars(rng, a)[0] for a in (0.6, -1.0, 0.3, 1.2, 0.9)]
    X, y, ids = _stack(Xs, ys, cands)
    model = TransitiveTransfer(LogisticRegression(), random_state=0)
    model.fit(X, y, X_target=Xt, sample_domain=ids)
    assert -3 not in model.chain_  # the -1.0 rad distractor
    assert model.distances_.shape == (7, 7)
    assert model.score(Xt, yt) > 0.95


def test_rotated_digits_gain_from_the_chain():
    """Real digits: upright MNIST to 60 degrees through 15/30/45-degree domains (RBF SVM)."""
    angles, sizes = [0, 15, 30, 45, 60], [800, 300, 300, 300, 300]
    parts = rotated_mnist_domains(angles, sizes, random_state=0)
    (Xs, ys), (Xt, yt) = parts[0], parts[-1]
    X, y, ids = _stack(Xs, ys, [p[0] for p in parts[1:-1]])
    svm = SVC(C=10.0, gamma="scale")
    direct = svm.fit(Xs, ys).score(Xt, yt)
    model = GradualSelfTraining(svm, drop_fraction=0.2).fit(X, y, X_target=Xt, sample_domain=ids)
    assert model.score(Xt, yt) > direct + 0.05


def test_coil_views_are_ordered_by_angle():
    """Neighbouring views of one object are closer than views 90 degrees apart."""
    [(near_a, ya), (near_b, yb), (far, yf)] = coil20_views([(0, 5), (5, 10), (90, 95)])
    assert np.array_equal(ya, yb) and np.array_equal(ya, yf)
    assert np.mean(np.linalg.norm(near_a - near_b, axis=1)) < np.mean(
        np.linalg.norm(near_a - far, axis=1)
    )


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (GradualSelfTraining(drop_fraction=1.0), "drop_fraction"),
        (TransitiveTransfer(cost="cheap"), "cost"),
        (TransitiveTransfer(distance="cosine"), "distance"),
    ],
)
def test_bad_settings_are_named(model, message):
    rng = np.random.default_rng(4)
    (Xs, ys), (Xt, _) = _bars(rng, 0.0), _bars(rng, 0.5)
    with pytest.raises(TransferKitInputError, match=message):
        model.fit(Xs, ys, X_target=Xt)
