"""Classifiers of the CORAL paper's protocol and the weight convention of the instance
benchmark, checked against direct computations."""

import numpy as np
import pytest
from scipy import linalg
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from transferkit import make_transfer_pipeline
from transferkit.bench.protocols import (
    C_GRID,
    CORALReleasedKernelSVM,
    LinearKernelSVC,
    MeanOneWeights,
    linear_svm_cv,
    rbf_svm_cv,
)
from transferkit.bench.suites import get_suite
from transferkit.instance import KMM


@pytest.fixture
def three_classes(rng):
    y = np.repeat([0, 1, 2], 30)
    X = rng.normal(size=(90, 6)) + 1.5 * np.eye(6)[y]
    Xt = 1.7 * (rng.normal(size=(60, 6)) + 1.5 * np.eye(6)[np.repeat([0, 1, 2], 20)]) + 0.3
    return X, y, Xt


def test_linear_kernel_svc_equals_libsvm_linear(three_classes):
    X, y, Xt = three_classes
    ours = LinearKernelSVC(C=0.5).fit(X, y)
    ref = SVC(kernel="linear", C=0.5).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(Xt), ref.decision_function(Xt), atol=1e-6)
    assert np.array_equal(ours.predict(Xt), ref.predict(Xt))


def test_cv_picks_c_from_the_released_grid(three_classes):
    X, y, _ = three_classes
    assert linear_svm_cv(0).param_grid["C"] == list(C_GRID)
    small = (0.01, 1.0)  # large C is slow on overlapping synthetic classes
    assert linear_svm_cv(0, C_grid=small).fit(X, y).best_params_["C"] in small
    rbf = rbf_svm_cv(0, C_grid=small).fit(X, y)
    assert rbf.best_params_["C"] in small and rbf.best_estimator_.gamma == "auto"
    assert rbf_svm_cv().param_grid["C"] == list(C_GRID[:6])


def test_released_kernel_matches_a_direct_computation(three_classes):
    X, y, Xt = three_classes
    model = CORALReleasedKernelSVM(C_grid=(0.01, 1.0), random_state=0).fit(X, y, X_target=Xt)
    eye = np.eye(X.shape[1])
    A = linalg.inv(linalg.sqrtm(np.cov(X.T) + eye)) @ linalg.sqrtm(np.cov(Xt.T) + eye)
    np.testing.assert_allclose(model.transform_matrix_, A.real, atol=1e-8)
    svc = SVC(kernel="precomputed", C=model.best_C_).fit(X @ A.real @ X.T, y)
    expected = svc.predict(Xt @ A.real.T @ X.T)
    assert np.array_equal(model.predict(Xt), expected)
    with pytest.raises(AttributeError, match="predict_proba"):
        model.predict_proba(Xt)


@pytest.mark.parametrize(("task", "published"), [("W->D", 86.6)])
def test_released_protocol_reproduces_coral_table_3(data_home, task, published):
    suite = get_suite("office_caltech_surf")
    Xs, ys, Xt, yt = suite.load(suite.task(task))
    model = CORALReleasedKernelSVM(random_state=0).fit(Xs, ys, X_target=Xt)
    assert round(100 * np.mean(model.predict(Xt) == yt), 1) == published


def test_mean_one_weights_rescale_the_inner_weights_and_train_the_classifier(three_classes):
    X, y, Xt = three_classes
    inner = KMM(solver="pgd").fit(X, X_target=Xt)
    assert abs(inner.weights_.mean() - 1.0) > 1e-3  # KMM's mean is 1 +- epsilon, not 1
    wrapped = MeanOneWeights(KMM(solver="pgd")).fit(X, X_target=Xt)
    np.testing.assert_array_equal(wrapped.weights_, inner.weights_ / inner.weights_.mean())
    assert wrapped.mean_weight_ == inner.weights_.mean()
    np.testing.assert_allclose(
        wrapped.compute_weights(Xt), inner.compute_weights(Xt) / inner.weights_.mean()
    )
    # as benchmarks/instance_amazon_weighting.py: the classifier gets w / mean(w)
    pipe = make_transfer_pipeline(MeanOneWeights(KMM(solver="pgd")), LogisticRegression(C=0.01))
    pipe.fit(X, y, X_target=Xt)
    direct = LogisticRegression(C=0.01).fit(X, y, sample_weight=wrapped.weights_)
    np.testing.assert_array_equal(pipe.estimator_.coef_, direct.coef_)
    plain = make_transfer_pipeline(KMM(solver="pgd"), LogisticRegression(C=0.01))
    assert not np.array_equal(plain.fit(X, y, X_target=Xt).estimator_.coef_, direct.coef_)


def test_mean_one_weights_refuse_what_is_not_a_weighter(three_classes):
    X, _, Xt = three_classes
    with pytest.raises(TypeError, match=r"implementing 'fit' and 'compute_weights'"):
        MeanOneWeights(LogisticRegression()).fit(X, X_target=Xt)

    class NotAWeighter:
        def fit(self, X, y=None, X_target=None):
            return self

        def compute_weights(self, X):
            return np.ones(len(X))

    with pytest.raises(TypeError, match="weighter must be a transferkit weighter"):
        MeanOneWeights(NotAWeighter()).fit(X, X_target=Xt)
