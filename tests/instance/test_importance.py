import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import make_transfer_pipeline
from transferkit._validation import TransferKitInputError
from transferkit.instance import ULSIF, DiscriminativeDensityRatio, ImportanceWeighted
from transferkit.instance.synthetic import make_gaussian_shift


def test_weighted_regression_corrects_covariate_shift():
    prob = make_gaussian_shift(500, 500, 1, shift=1.5, scale=0.5, random_state=0)

    def f(X):
        return X[:, 0] ** 2

    yt = f(prob.X_target)
    plain = LinearRegression().fit(prob.X_source, f(prob.X_source))
    model = ImportanceWeighted(LinearRegression(), ULSIF())
    model.fit(prob.X_source, f(prob.X_source), X_target=prob.X_target)
    # the exact importance-weighted fit, for reference
    oracle = LinearRegression().fit(
        prob.X_source, f(prob.X_source), sample_weight=prob.true_ratio(prob.X_source)
    )
    assert model.score(prob.X_target, yt) > plain.score(prob.X_target, yt) + 0.3
    assert abs(model.estimator_.coef_[0] - oracle.coef_[0]) < 0.3 * abs(
        plain.coef_[0] - oracle.coef_[0]
    )


def test_classifier_matches_manual_sample_weight(shift2d):
    est = ImportanceWeighted(LogisticRegression(), DiscriminativeDensityRatio(random_state=0))
    est.fit(shift2d.X_source, shift2d.y_source, X_target=shift2d.X_target)
    manual = LogisticRegression().fit(
        shift2d.X_source, shift2d.y_source, sample_weight=est.weights_
    )
    np.testing.assert_allclose(
        est.predict_proba(shift2d.X_target), manual.predict_proba(shift2d.X_target)
    )
    assert list(est.classes_) == [0, 1]
    assert clone(est).get_params()["weighter__random_state"] == 0
    # the same weighter inside the generic transfer pipeline gives the same model
    pipe = make_transfer_pipeline(DiscriminativeDensityRatio(random_state=0), LogisticRegression())
    pipe.fit(shift2d.X_source, shift2d.y_source, X_target=shift2d.X_target)
    np.testing.assert_allclose(
        pipe.predict_proba(shift2d.X_target), manual.predict_proba(shift2d.X_target)
    )


def test_bad_estimator_or_weighter(shift2d):
    with pytest.raises(TransferKitInputError, match="sample_weight"):
        ImportanceWeighted(KNeighborsClassifier(), ULSIF()).fit(
            shift2d.X_source, shift2d.y_source, X_target=shift2d.X_target
        )
    with pytest.raises(TypeError, match="weighter"):
        ImportanceWeighted(LogisticRegression(), LogisticRegression()).fit(
            shift2d.X_source, shift2d.y_source, X_target=shift2d.X_target
        )
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        ImportanceWeighted(LogisticRegression(), ULSIF()).fit(shift2d.X_source, shift2d.y_source)


def test_one_weight_convention_same_predictions_as_the_pipeline(shift2d):
    """ImportanceWeighted is the pipeline: the weighter's weights_, unchanged."""
    Xs, ys, Xt = shift2d.X_source, shift2d.y_source, shift2d.X_target
    est = ImportanceWeighted(LogisticRegression(), ULSIF()).fit(Xs, ys, X_target=Xt)
    pipe = make_transfer_pipeline(ULSIF(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_array_equal(est.weights_, pipe.steps_[0][1].weights_)
    assert abs(est.weights_.mean() - 1.0) > 1e-6  # uLSIF's own scale, not rescaled
    np.testing.assert_array_equal(est.predict_proba(Xt), pipe.predict_proba(Xt))
    np.testing.assert_array_equal(est.decision_function(Xt), pipe.decision_function(Xt))
    # target labels are validated but not trained on: the pipeline with use_target_labels=False
    yp = np.where(np.arange(len(Xt)) % 5 == 0, shift2d.y_target, -1)
    est.fit(Xs, ys, X_target=Xt, y_target=yp)
    pipe = make_transfer_pipeline(ULSIF(), LogisticRegression(), use_target_labels=False)
    pipe.fit(Xs, ys, X_target=Xt, y_target=yp)
    np.testing.assert_array_equal(est.predict(Xt), pipe.predict(Xt))


def test_target_labels_are_validated(shift2d):
    from transferkit import LabelError

    Xs, ys, Xt = shift2d.X_source, shift2d.y_source, shift2d.X_target
    est = ImportanceWeighted(LogisticRegression(), ULSIF())
    with pytest.raises(LabelError, match="y_target has 3 labels"):
        est.fit(Xs, ys, X_target=Xt, y_target=[0, 1, 0])
    with pytest.raises(LabelError, match=r"class\(es\) \[7\]"):
        est.fit(Xs, ys, X_target=Xt, y_target=np.full(len(Xt), 7))


def test_use_before_fit_raises_not_fitted(shift2d):
    from sklearn.exceptions import NotFittedError

    est = ImportanceWeighted(LogisticRegression(), ULSIF())
    for method in (est.predict, est.predict_proba, est.decision_function):
        with pytest.raises(NotFittedError):
            method(shift2d.X_target)
    with pytest.raises(NotFittedError):
        est.score(shift2d.X_target, shift2d.y_target)
