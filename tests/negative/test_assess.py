"""assess_transfer: paired gain estimates, their intervals and verdicts."""

from __future__ import annotations

import numpy as np
import pytest
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
from transferkit.negative import assess_transfer


def _rule_data(seed: int, source_rule: int):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(200, 2))
    ys = (Xs[:, source_rule] > 0).astype(int)
    Xt = rng.normal(size=(200, 2)) + 0.3
    yt_true = (Xt[:, 0] > 0).astype(int)
    yt = np.where(np.arange(200) < 30, yt_true, -1)
    return Xs, ys, Xt, yt


def test_target_cv_gain_is_the_difference_of_the_paired_accuracies():
    Xs, ys, Xt, yt = _rule_data(0, source_rule=1)
    lr = LogisticRegression()
    a = assess_transfer(
        SourceOnly(lr), TargetOnly(lr), Xs, ys, X_target=Xt, y_target=yt, random_state=0
    )
    assert a.evidence == "target_cv"
    assert a.n_evaluated == 30
    d = a.details
    assert a.gain == pytest.approx(d["method_accuracy"] - d["baseline_accuracy"])
    assert a.interval[0] <= a.gain <= a.interval[1]
    assert a.verdict == "hurts"  # the source labels follow an unrelated rule


def test_target_cv_sees_a_helpful_source():
    """In 20 dimensions, 200 source samples of the right rule beat 12 target labels."""
    rng = np.random.default_rng(1)
    Xs = rng.normal(size=(200, 20))
    ys = (Xs[:, 0] > 0).astype(int)
    Xt = rng.normal(size=(200, 20))
    yt = np.where(np.arange(200) < 24, Xt[:, 0] > 0, -1)
    lr = LogisticRegression()
    a = assess_transfer(
        SourceOnly(lr),
        TargetOnly(lr),
        Xs,
        ys,
        X_target=Xt,
        y_target=yt.astype(int),
        n_splits=2,
        random_state=0,
    )
    assert a.verdict == "helps", a


def test_identical_models_have_zero_gain_and_no_verdict():
    Xs, ys, Xt, _ = _rule_data(2, source_rule=0)
    model = SourceOnly(LogisticRegression())
    for label_free in ("reverse", "iwcv"):
        a = assess_transfer(
            model, model, Xs, ys, X_target=Xt, label_free=label_free, random_state=0
        )
        assert a.gain == 0.0 and a.interval == (0.0, 0.0)
        assert a.verdict == "uncertain" and a.agreement == 1.0


def test_reverse_validation_gets_the_sign_right_on_rescanned_digits():
    """Real digits: joint PCA (k=20) + LR loses 2.1 points, CORAL + LR gains 23.7."""
    Xs, ys, Xt, yt = rescanned_digits(random_state=0)
    lr = LogisticRegression(max_iter=2000)
    base = SourceOnly(lr)
    pca = make_transfer_pipeline(JointPCA(n_components=20), lr)
    coral = make_transfer_pipeline(CORAL(lambda_=1.0), lr)
    base_acc = base.fit(Xs, ys).score(Xt, yt)
    for model, sign in ((pca, -1), (coral, +1)):
        true_gain = model.fit(Xs, ys, X_target=Xt).score(Xt, yt) - base_acc
        assert np.sign(true_gain) == sign
        a = assess_transfer(model, base, Xs, ys, X_target=Xt, n_splits=3, random_state=0)
        assert a.evidence == "reverse"
        assert a.verdict == ("helps" if sign > 0 else "hurts"), a
        # the agreement bound holds for the true gain
        assert abs(true_gain) <= 1 - a.agreement + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_splits": 1}, "n_splits"),
        ({"n_splits": 2.5}, "n_splits"),
        ({"confidence": 1.5}, "confidence"),
        ({"label_free": "bogus"}, "label_free"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    Xs, ys, Xt, _ = _rule_data(3, source_rule=0)
    model = SourceOnly(LogisticRegression())
    with pytest.raises(TransferKitInputError, match=message):
        assess_transfer(model, model, Xs, ys, X_target=Xt, **kwargs)


def test_bad_models_and_data_are_named():
    Xs, ys, Xt, _ = _rule_data(4, source_rule=0)
    model = SourceOnly(LogisticRegression())
    with pytest.raises(TransferKitInputError, match="method must be an estimator"):
        assess_transfer("nope", model, Xs, ys, X_target=Xt)
    bad = Xt.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TransferKitInputError, match="NaN"):
        assess_transfer(model, model, Xs, ys, X_target=bad)
    yt = np.full(200, -1)
    yt[0] = 1  # one labelled sample: too few for target cross-validation
    with pytest.raises(TransferKitInputError, match="at least 2 labelled target samples"):
        assess_transfer(model, model, Xs, ys, X_target=Xt, y_target=yt)


def test_inputs_are_not_modified():
    Xs, ys, Xt, yt = _rule_data(5, source_rule=0)
    copies = [a.copy() for a in (Xs, ys, Xt, yt)]
    model = SourceOnly(LogisticRegression())
    assess_transfer(model, TargetOnly(LogisticRegression()), Xs, ys, X_target=Xt, y_target=yt)
    for before, after in zip(copies, (Xs, ys, Xt, yt), strict=True):
        np.testing.assert_array_equal(before, after)
