import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeRegressor

from transferkit import SourceOnly, TargetOnly
from transferkit._validation import LabelError, TransferKitInputError
from transferkit.instance import TrAdaBoost, TrAdaBoostR2


def _mixed_concepts(seed):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(400, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    other = np.arange(400) < 150
    ys[other] = (Xs[other, 1] > 0).astype(int)
    Xt = rng.normal(size=(500, 2))
    yt = (Xt[:, 0] > 0).astype(int)
    ytp = np.where(np.arange(500) < 20, yt, -1)
    return Xs, ys, Xt, yt, ytp, other


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beats_source_and_target_only_and_forgets_misleading_source(seed):
    Xs, ys, Xt, yt, ytp, other = _mixed_concepts(seed)
    lr = LogisticRegression()
    model = TrAdaBoost(lr, random_state=0).fit(Xs, ys, X_target=Xt, y_target=ytp)
    acc = model.score(Xt[20:], yt[20:])
    src = SourceOnly(lr).fit(Xs, ys).score(Xt[20:], yt[20:])
    tgt = TargetOnly(lr).fit(Xs, ys, X_target=Xt, y_target=ytp).score(Xt[20:], yt[20:])
    assert acc > src + 0.05
    assert acc > tgt
    w = model.source_weights_
    assert w[other].mean() < 0.7 * w[~other].mean()


@pytest.mark.parametrize("dynamic", [False, True])
def test_one_round_follows_the_update_rule(dynamic):
    Xs, ys, Xt, _, ytp, _ = _mixed_concepts(0)
    model = TrAdaBoost(LogisticRegression(), n_estimators=1, dynamic=dynamic)
    model.fit(Xs, ys, X_target=Xt, y_target=ytp)
    h = model.estimators_[0]
    lab = ytp != -1
    wrong_s = h.predict(Xs) != ys
    wrong_t = h.predict(Xt[lab]) != ytp[lab]
    eps = wrong_t.mean()
    assert model.errors_[0] == pytest.approx(eps)
    beta = 1 / (1 + np.sqrt(2 * np.log(400) / 1))
    factor = 2 * (1 - eps) if dynamic else 1.0
    w = np.concatenate([factor * beta**wrong_s, (eps / (1 - eps)) ** (-wrong_t.astype(float))])
    w /= w.sum()
    np.testing.assert_allclose(model.source_weights_, w[:400])
    np.testing.assert_allclose(model.target_weights_, w[400:])


def test_multiclass_probabilities():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(150, 2)) + np.repeat([[0, 0], [3, 0], [0, 3]], 50, axis=0)
    ys = np.repeat([0, 1, 2], 50)
    Xt = Xs + 0.3
    yt = np.where(np.arange(150) % 10 == 0, ys, -1)
    model = TrAdaBoost(n_estimators=5).fit(Xs, ys, X_target=Xt, y_target=yt)
    proba = model.predict_proba(Xt)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert model.score(Xt, ys) > 0.8


def test_needs_labelled_target_and_sample_weight():
    Xs, ys, Xt, _, ytp, _ = _mixed_concepts(0)
    with pytest.raises(LabelError, match="labelled target"):
        TrAdaBoost().fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="sample_weight"):
        TrAdaBoost(KNeighborsClassifier()).fit(Xs, ys, X_target=Xt, y_target=ytp)
    TrAdaBoost(LinearSVC(), n_estimators=2).fit(Xs, ys, X_target=Xt, y_target=ytp)


def _regression(seed):
    rng = np.random.default_rng(seed)
    Xs = rng.uniform(-3, 3, size=(300, 1))
    ys = np.sin(Xs[:, 0]) + 1.0 * (Xs[:, 0] > 0)  # source is wrong on half the line
    Xt = rng.uniform(-3, 3, size=(300, 1))
    yt = np.sin(Xt[:, 0])
    ytp = np.where(np.arange(300) < 30, yt, np.nan)
    return Xs, ys, Xt, yt, ytp


@pytest.mark.parametrize("seed", [0, 1])
def test_tradaboost_r2_forgets_the_wrong_half_of_the_source(seed):
    Xs, ys, Xt, yt, ytp = _regression(seed)
    tree = DecisionTreeRegressor(max_depth=4, random_state=0)
    model = TrAdaBoostR2(tree, n_estimators=50, random_state=0)
    model.fit(Xs, ys, X_target=Xt, y_target=ytp)
    mse = np.mean((model.predict(Xt[30:]) - yt[30:]) ** 2)
    src = np.mean((tree.fit(Xs, ys).predict(Xt[30:]) - yt[30:]) ** 2)
    # the source is off by +1 on x > 0; boosting must learn the target's values there
    assert mse < 0.2 * src
    assert model.score(Xt[30:], yt[30:]) > 0.9
    # late rounds fit the target far better than the first one
    assert model.errors_[-1] < 0.5 * model.errors_[0]


def test_regression_targets_are_validated():
    Xs, ys, Xt, _, ytp = _regression(0)
    with pytest.raises(LabelError, match=r"labelled target.*NaN"):
        TrAdaBoostR2().fit(Xs, ys, X_target=Xt, y_target=np.full(300, np.nan))
    bad = ys.copy()
    bad[0] = np.inf
    with pytest.raises(LabelError, match="non-finite"):
        TrAdaBoostR2().fit(Xs, bad, X_target=Xt, y_target=ytp)
    with pytest.raises(LabelError, match="10 values"):
        TrAdaBoostR2().fit(Xs, ys[:10], X_target=Xt, y_target=ytp)
