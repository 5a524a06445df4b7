"""TransferPipeline: any number of steps, named parameters, weights, regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR, LinearSVC
from sklearn.tree import DecisionTreeRegressor

from transferkit import (
    CORAL,
    TCA,
    JointPCA,
    TargetDomain,
    TransferKitInputError,
    TransferPipeline,
    make_transfer_pipeline,
    source_domain_scorer,
)
from transferkit.instance import KLIEP, KMM, ULSIF, TrAdaBoostR2
from transferkit.instance.synthetic import make_gaussian_shift


def _partial(yt, every=4):
    y = np.full_like(yt, -1)
    y[::every] = yt[::every]
    return y


# ---------------------------------------------------------------- single step, unchanged
def test_adapter_step_is_bit_identical_to_the_two_step_algorithm(shifted_blobs):
    """The single-adapter path computes exactly what the former two-step class did."""
    Xs, ys, Xt, yt = shifted_blobs
    yp = _partial(yt)
    pipe = make_transfer_pipeline(CORAL(lambda_=0.5), LinearSVC(random_state=0))
    pipe.fit(Xs, ys, X_target=Xt, y_target=yp)
    coral = CORAL(lambda_=0.5).fit(Xs, ys, X_target=Xt, y_target=yp)
    mask = yp != -1
    X_train = np.vstack([coral.transform(Xs, "source"), coral.transform(Xt[mask], "target")])
    clf = LinearSVC(random_state=0).fit(X_train, np.concatenate([ys, yp[mask]]))
    expected = clf.decision_function(coral.transform(Xt, "target"))
    np.testing.assert_array_equal(pipe.decision_function(Xt), expected)
    assert pipe.transfer_.transform_matrix_.shape == (3, 3)


def test_weighter_step_is_bit_identical_to_the_two_step_algorithm(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    yp = _partial(yt)
    pipe = make_transfer_pipeline(ULSIF(), LogisticRegression(max_iter=500))
    pipe.fit(Xs, ys, X_target=Xt, y_target=yp)
    w = ULSIF().fit(Xs, ys, X_target=Xt, y_target=yp).weights_
    mask = yp != -1
    weights = np.concatenate([w, np.full(int(mask.sum()), w.mean())])
    clf = LogisticRegression(max_iter=500).fit(
        np.vstack([Xs, Xt[mask]]), np.concatenate([ys, yp[mask]]), sample_weight=weights
    )
    np.testing.assert_array_equal(pipe.predict_proba(Xt), clf.predict_proba(Xt))


# ---------------------------------------------------------------- several steps
def test_adapters_run_in_order_and_each_sees_the_mapped_domains(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(
        CORAL(lambda_=0.1), TCA(n_components=2, kernel="linear"), LogisticRegression()
    )
    assert [name for name, _ in pipe.steps] == ["coral", "tca", "logisticregression"]
    pipe.fit(Xs, ys, X_target=Xt)
    coral = CORAL(lambda_=0.1).fit(Xs, ys, X_target=Xt)
    Zs, Zt = coral.transform(Xs, "source"), coral.transform(Xt, "target")
    tca = TCA(n_components=2, kernel="linear").fit(Zs, ys, X_target=Zt)
    clf = LogisticRegression().fit(tca.transform(Zs, "source"), ys)
    expected = clf.predict_proba(tca.transform(Zt, "target"))
    np.testing.assert_allclose(pipe.predict_proba(Xt), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pipe.transform_features(Xt), tca.transform(Zt, "target"))
    assert [type(s).__name__ for _, s in pipe.steps_] == ["CORAL", "TCA", "LogisticRegression"]
    with pytest.raises(AttributeError, match="two-step"):
        _ = pipe.transfer_


def test_weighter_after_an_adapter_weighs_in_the_adapted_space(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(JointPCA(n_components=2), ULSIF(), LogisticRegression())
    pipe.fit(Xs, ys, X_target=Xt)
    pca = JointPCA(n_components=2).fit(Xs, ys, X_target=Xt)
    Zs, Zt = pca.transform(Xs, "source"), pca.transform(Xt, "target")
    w = ULSIF().fit(Zs, X_target=Zt).weights_
    np.testing.assert_array_equal(pipe.named_steps_.ulsif.weights_, w)
    raw = ULSIF().fit(Xs, X_target=Xt).weights_
    assert not np.allclose(w, raw)  # the weights really are computed after the mapping
    clf = LogisticRegression().fit(Zs, ys, sample_weight=w)
    np.testing.assert_array_equal(pipe.predict(Xt), clf.predict(Zt))


def test_named_parameters_nested_clone_and_grid_search(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    pipe = TransferPipeline(
        [("coral", CORAL()), ("pca", JointPCA(n_components=2)), ("clf", LogisticRegression())]
    )
    params = pipe.get_params()
    assert params["coral__lambda_"] == 1.0 and params["pca__n_components"] == 2
    assert params["estimator__C"] == 1.0  # the final step also answers to "estimator"
    assert "transfer" not in params  # no single transfer step to alias
    pipe.set_params(coral__lambda_=0.1, clf__C=10.0)
    twin = clone(pipe)
    assert twin.get_params()["coral__lambda_"] == 0.1 and twin.named_steps.clf.C == 10.0
    assert twin.named_steps.coral is not pipe.named_steps.coral
    with pytest.raises(ValueError, match="several transfer steps"):
        pipe.set_params(transfer__lambda_=1.0)
    with pytest.raises(ValueError, match="Invalid parameter 'nope'"):
        pipe.set_params(nope=1)
    pipe.set_params(pca=JointPCA(n_components=1))
    assert pipe.named_steps.pca.n_components == 1
    search = GridSearchCV(
        pipe,
        {"coral__lambda_": [0.1, 10.0], "pca__n_components": [1, 2]},
        cv=3,
        scoring=source_domain_scorer,
    )
    search.fit(Xs, ys, X_target=TargetDomain(Xt))
    assert set(search.best_params_) == {"coral__lambda_", "pca__n_components"}
    best = search.best_estimator_
    assert best.named_steps_.coral.lambda_ == search.best_params_["coral__lambda_"]


def test_two_step_legacy_names_keep_working(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(CORAL(), LogisticRegression())
    pipe.set_params(transfer__lambda_=0.3, estimator__C=2.0)
    assert pipe.get_params()["coral__lambda_"] == 0.3
    assert pipe.get_params()["transfer__lambda_"] == 0.3
    assert pipe.named_steps.logisticregression.C == 2.0
    search = GridSearchCV(pipe, {"transfer__lambda_": [0.1, 1.0]}, cv=2)
    search.fit(Xs, ys, X_target=Xt)
    assert search.best_estimator_.transfer_.lambda_ in (0.1, 1.0)


@pytest.mark.parametrize(
    ("steps", "error", "match"),
    [
        (CORAL(), TypeError, "make_transfer_pipeline"),
        ([("s", StandardScaler()), ("c", LogisticRegression())], TypeError, "scikit-learn"),
        ([("a", ULSIF()), ("b", KMM()), ("c", LogisticRegression())], TransferKitInputError, "one"),
        ([("a", CORAL()), ("a", LogisticRegression())], TransferKitInputError, "unique"),
        ([("a__b", CORAL()), ("c", LogisticRegression())], TransferKitInputError, "__"),
        ([("a", LogisticRegression()), ("c", CORAL())], TypeError, "must be a transferkit"),
        ([("a", ULSIF()), ("c", CORAL())], TypeError, "last step"),
        ([("a", ULSIF()), ("c", 3)], TypeError, "last step"),
    ],
)
def test_malformed_steps_are_refused_before_any_work(shifted_blobs, steps, error, match):
    Xs, ys, Xt, _ = shifted_blobs
    with pytest.raises(error, match=match):
        TransferPipeline(steps).fit(Xs, ys, X_target=Xt)


# ---------------------------------------------------------------- sample_weight routing
def test_weights_reach_the_last_step_of_a_sklearn_pipeline(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    inner = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())])
    pipe = make_transfer_pipeline(ULSIF(), inner).fit(Xs, ys, X_target=Xt)
    w = pipe.steps_[0][1].weights_
    manual = clone(inner).fit(Xs, ys, lr__sample_weight=w)
    np.testing.assert_array_equal(pipe.predict_proba(Xt), manual.predict_proba(Xt))
    unweighted = clone(inner).fit(Xs, ys)
    assert not np.allclose(pipe.estimator_[-1].coef_, unweighted[-1].coef_)
    from sklearn.neighbors import KNeighborsClassifier

    no_weights = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])
    with pytest.raises(TransferKitInputError, match="last step KNeighborsClassifier"):
        make_transfer_pipeline(ULSIF(), no_weights).fit(Xs, ys, X_target=Xt)


# ---------------------------------------------------------------- regression
def _quadratic_shift(seed=0, n=400):
    """y = x^2 + noise, x_s ~ N(0, 1), x_t ~ N(1, 0.5^2): a line is misspecified.

    The best line under the target, argmin E_t[(y - a - b x)^2], is known in closed form
    for x ~ N(mu, s^2): b = Cov(x, x^2) / Var(x) = 2 mu, a = E[x^2] - b mu = s^2 - mu^2,
    i.e. slope 2, intercept -0.75 on the target; the source line is slope 0, intercept 1.
    """
    prob = make_gaussian_shift(n, n, 1, shift=1.0, scale=0.5, random_state=seed)
    rng = np.random.default_rng(seed)
    ys = prob.X_source[:, 0] ** 2 + 0.1 * rng.normal(size=n)
    return prob, ys


def _weighted_line(X, y, w):
    """Closed-form weighted least squares of y on [1, x]."""
    A = np.column_stack([np.ones(len(X)), X[:, 0]])
    return np.linalg.solve(A.T @ (w[:, None] * A), A.T @ (w * y))


@pytest.mark.parametrize("weighter", [KMM(random_state=0), KLIEP(random_state=0)])
def test_importance_weighting_moves_a_regression_to_the_target_optimal_line(weighter):
    prob, ys = _quadratic_shift()
    target_line = np.array([0.5**2 - 1.0**2, 2.0 * 1.0])
    oracle = _weighted_line(prob.X_source, ys, prob.true_ratio(prob.X_source))
    plain = _weighted_line(prob.X_source, ys, np.ones(len(ys)))
    assert np.abs(oracle - target_line).max() < 0.35  # the known answer, from the true ratio
    assert np.abs(plain - target_line).max() > 1.5
    pipe = make_transfer_pipeline(weighter, Ridge(alpha=1e-8))
    assert is_regressor(pipe) and not is_classifier(pipe)
    pipe.fit(prob.X_source, ys, X_target=prob.X_target)
    fitted = np.array([pipe.estimator_.intercept_, pipe.estimator_.coef_[0]])
    w = pipe.steps_[0][1].weights_
    np.testing.assert_allclose(fitted, _weighted_line(prob.X_source, ys, w), atol=1e-6)
    # the estimated weights take the fit most of the way from the source to the target line
    assert np.abs(fitted - oracle).max() < 0.3 * np.abs(plain - oracle).max()
    yt = prob.X_target[:, 0] ** 2
    source_only = LinearRegression().fit(prob.X_source, ys)
    assert pipe.score(prob.X_target, yt) > source_only.score(prob.X_target, yt) + 0.5


def _scaled_target(seed=0, n=300):
    """The target is the source stretched by S = diag(3, 0.5), labels follow the stretch."""
    rng = np.random.default_rng(seed)
    S = np.array([3.0, 0.5])

    def concept(X):  # the shared concept, in source coordinates
        return np.sin(X[:, 0]) + 0.5 * X[:, 1]

    Xs = rng.normal(size=(n, 2))
    Xt = rng.normal(size=(n, 2)) * S
    return Xs, concept(Xs), Xt, concept(Xt / S)


def test_coral_then_svr_recovers_the_stretched_target_concept():
    Xs, ys, Xt, yt = _scaled_target()
    pipe = make_transfer_pipeline(CORAL(lambda_=1e-3), SVR(C=10.0))
    pipe.fit(Xs, ys, X_target=Xt)
    mse = np.mean((pipe.predict(Xt) - yt) ** 2)
    source_only = np.mean((SVR(C=10.0).fit(Xs, ys).predict(Xt) - yt) ** 2)
    target_oracle = np.mean((SVR(C=10.0).fit(Xt, yt).predict(Xt) - yt) ** 2)
    assert mse < 0.2 * source_only
    assert mse < target_oracle + 0.05
    # a regressor in GridSearchCV: KFold and R^2 by default
    search = GridSearchCV(pipe, {"coral__lambda_": [1e-3, 1.0]}, cv=KFold(3))
    search.fit(Xs, ys, X_target=TargetDomain(Xt))
    assert is_regressor(search.best_estimator_)


def test_tradaboost_r2_as_the_final_step_gets_the_mapped_target():
    rng = np.random.default_rng(0)
    Xs = rng.uniform(-3, 3, size=(200, 1))
    ys = np.sin(Xs[:, 0]) + 1.0 * (Xs[:, 0] > 0)
    Xt = 2.0 * rng.uniform(-3, 3, size=(120, 1))
    yt = np.sin(Xt[:, 0] / 2.0)
    yp = np.where(np.arange(120) < 30, yt, np.nan)
    booster = TrAdaBoostR2(DecisionTreeRegressor(max_depth=4), n_estimators=10, random_state=0)
    pipe = make_transfer_pipeline(CORAL(lambda_=1e-6), booster)
    pipe.fit(Xs, ys, X_target=Xt, y_target=yp)
    coral = CORAL(lambda_=1e-6).fit(Xs, X_target=Xt)
    manual = clone(booster).fit(
        coral.transform(Xs, "source"), ys, X_target=coral.transform(Xt, "target"), y_target=yp
    )
    np.testing.assert_array_equal(pipe.predict(Xt), manual.predict(coral.transform(Xt, "target")))
    assert is_regressor(pipe)
    r2 = 1 - np.sum((pipe.predict(Xt) - yt) ** 2) / np.sum((yt - yt.mean()) ** 2)
    assert pipe.score(Xt, yt) == pytest.approx(r2)
    with pytest.raises(TransferKitInputError, match="needs class labels"):
        from transferkit import JDA

        make_transfer_pipeline(JDA(n_components=1), Ridge()).fit(Xs, ys, X_target=Xt)


# ---------------------------------------------------------------- several domains
class _Recorder(CORAL):
    """CORAL that records the domains it is fitted on (ids, intermediates, target)."""

    _max_sources = None

    def _fit(self, data):
        super()._fit(data)
        self.seen_ = (
            data.sample_domain.copy(),
            [(d.id, d.X.copy()) for d in data.intermediates],
            data.X_target.copy(),
        )


def test_every_step_receives_the_domains_unchanged_and_mapped(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    X_mid = 0.5 * (Xs[:20] + Xt[:20])  # an unlabelled intermediate domain, id -3
    X = np.vstack([Xs, X_mid])
    y = np.r_[ys, np.full(20, -1)]
    ids = np.r_[np.where(np.arange(len(Xs)) % 2 == 0, 1, 4), np.full(20, -3)]
    pipe = TransferPipeline(
        [("first", _Recorder()), ("second", _Recorder()), ("clf", LogisticRegression())]
    )
    pipe.fit(X, y, X_target=Xt, sample_domain=ids)
    first, second = pipe.named_steps_.first, pipe.named_steps_.second
    for step in (first, second):
        np.testing.assert_array_equal(step.seen_[0], ids[: len(Xs)])
        assert [i for i, _ in step.seen_[1]] == [-3]
    np.testing.assert_array_equal(first.seen_[1][0][1], X_mid)
    np.testing.assert_allclose(second.seen_[1][0][1], first.transform(X_mid, "target"))
    np.testing.assert_allclose(second.seen_[2], first.transform(Xt, "target"))
    # the skada stacked form with one source gives the two-domain pipeline's model
    stacked = make_transfer_pipeline(CORAL(), JointPCA(n_components=2), LogisticRegression())
    plain = clone(stacked).fit(Xs, ys, X_target=Xt)
    stacked.fit(
        np.vstack([Xs, Xt]),
        np.r_[ys, np.full(len(Xt), -1)],
        sample_domain=np.r_[np.full(len(Xs), 1), np.full(len(Xt), -2)],
    )
    np.testing.assert_allclose(stacked.predict_proba(Xt), plain.predict_proba(Xt), atol=1e-12)
    with pytest.raises(TransferKitInputError, match="2 sources"):
        make_transfer_pipeline(CORAL(), LogisticRegression()).fit(
            X, y, X_target=Xt, sample_domain=ids
        )
