import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
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


_SEEN_WEIGHTS: list[np.ndarray] = []


class _BestColumn(ClassifierMixin, BaseEstimator):
    """Predicts the binary feature with the smallest weighted error; records its weights."""

    def fit(self, X, y, sample_weight=None):
        _SEEN_WEIGHTS.append(np.asarray(sample_weight, dtype=float).copy())
        self.classes_ = np.unique(y)
        errors = [np.sum(sample_weight * (X[:, j] != y)) for j in range(X.shape[1])]
        self.column_ = int(np.argmin(errors))
        return self

    def predict(self, X):
        return X[:, self.column_].astype(int)


def test_three_rounds_by_hand_follow_dai_et_al_algorithm_1():
    # Two candidate rules: column a (0) is right on the source, wrong on target 1;
    # column b (1) is wrong on source 0 and on target 3.
    ys = np.array([1, 1, 0, 0])
    Xs = np.column_stack([ys, [0, 1, 0, 0]])
    yt = np.array([1, 0, 1, 1])
    Xt = np.column_stack([[1, 1, 1, 1], [1, 0, 1, 0]])
    _SEEN_WEIGHTS.clear()
    model = TrAdaBoost(_BestColumn(), n_estimators=3).fit(Xs, ys, X_target=Xt, y_target=yt)
    # round 1, p uniform: a errs 1/8, b 2/8 -> h1 = a, eps1 = 1/4 on the TARGET only
    # round 2, w = [1,1,1,1 | 1,3,1,1]: a errs 3, b errs 2 -> h2 = b, eps2 = 1/6
    # round 3, w = [B,1,1,1 | 1,3,1,5]: a errs 3, b errs B+5 -> h3 = a, eps3 = 3/10
    B = 1 / (1 + np.sqrt(2 * np.log(4) / 3))  # the paper's fixed source factor
    assert [h.column_ for h in model.estimators_] == [0, 1, 0]
    np.testing.assert_allclose(model.errors_, [1 / 4, 1 / 6, 3 / 10])
    np.testing.assert_allclose(model.betas_, [1 / 3, 1 / 5, 3 / 7])
    # each learner is trained on the normalised distribution p^t
    expected_p = [
        np.ones(8) / 8,
        np.array([1, 1, 1, 1, 1, 3, 1, 1]) / 10,
        np.array([B, 1, 1, 1, 1, 3, 1, 5]) / (13 + B),
    ]
    assert len(_SEEN_WEIGHTS) == 3
    for seen, p in zip(_SEEN_WEIGHTS, expected_p, strict=True):
        np.testing.assert_allclose(seen / seen.sum(), p)
    w = np.array([B, 1, 1, 1, 1, 7, 1, 5]) / (17 + B)
    np.testing.assert_allclose(model.source_weights_, w[:4])
    np.testing.assert_allclose(model.target_weights_, w[4:])
    # only rounds ceil(3/2)..3 vote: b (ln 5) outweighs a (ln 7/3); a vote over all
    # rounds would side with a (ln 3 + ln 7/3 = ln 7 > ln 5)
    np.testing.assert_array_equal(model.predict(np.array([[1, 0], [0, 1]])), [0, 1])


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
