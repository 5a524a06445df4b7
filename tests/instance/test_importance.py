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
