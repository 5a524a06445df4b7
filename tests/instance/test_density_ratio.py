import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.svm import LinearSVC

from transferkit._validation import TransferKitInputError, WeightCollapseWarning
from transferkit.instance import DiscriminativeDensityRatio
from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse


@pytest.fixture(scope="module")
def linear_shift():
    return make_gaussian_shift(1000, 1000, 2, shift=1.0, random_state=0)


def test_recovers_true_ratio_of_shifted_gaussians(linear_shift):
    prob = linear_shift
    truth = prob.true_ratio(prob.X_source)
    uniform = normalised_mse(np.ones_like(truth), truth)
    dr = DiscriminativeDensityRatio(random_state=0).fit(prob.X_source, X_target=prob.X_target)
    nmse = normalised_mse(dr.weights_, truth)
    assert uniform > 0.5  # the shift is real
    assert nmse < 0.02
    assert dr.weights_.mean() == pytest.approx(1.0)
    # weights of new samples follow the same estimate and the same normalisation
    np.testing.assert_allclose(dr.compute_weights(prob.X_source), dr.weights_)


def test_weights_are_the_odds_times_the_prior_ratio():
    prob = make_gaussian_shift(300, 150, 2, shift=1.0, random_state=1)
    dr = DiscriminativeDensityRatio(calibration="none", clip=1e-6)
    dr.fit(prob.X_source, X_target=prob.X_target)
    p = dr.classifier_.predict_proba(prob.X_source)[:, 1]
    raw = (300 / 150) * p / (1 - p)
    np.testing.assert_allclose(dr.weights_, raw / raw.mean())


def test_nonlinear_classifier_handles_a_scale_change():
    prob = make_gaussian_shift(1500, 1500, 2, shift=1.0, scale=0.7, random_state=2)
    truth = prob.true_ratio(prob.X_source)
    linear = DiscriminativeDensityRatio(random_state=0).fit(prob.X_source, X_target=prob.X_target)
    quad = DiscriminativeDensityRatio(
        make_pipeline(PolynomialFeatures(2), LogisticRegression(max_iter=2000)), random_state=0
    ).fit(prob.X_source, X_target=prob.X_target)
    # a quadratic log-ratio needs quadratic features; the linear model cannot fit it
    assert normalised_mse(quad.weights_, truth) < 0.15
    assert normalised_mse(linear.weights_, truth) > 0.5


def test_clip_bounds_the_weights():
    prob = make_gaussian_shift(200, 200, 2, shift=4.0, random_state=3)
    with pytest.warns(WeightCollapseWarning):
        dr = DiscriminativeDensityRatio(calibration="none", clip=0.1)
        dr.fit(prob.X_source, X_target=prob.X_target)
    raw_max = 1.0 * 0.9 / 0.1
    assert dr.weights_.max() <= raw_max * dr.scale_ + 1e-9
    assert dr.effective_sample_size_ < 0.1 * 200


def test_sklearn_contract_and_reproducibility(linear_shift):
    prob = linear_shift
    dr = DiscriminativeDensityRatio(cv=3, random_state=5)
    assert clone(dr).get_params() == dr.get_params()
    Xs, Xt = prob.X_source.copy(), prob.X_target.copy()
    w1 = dr.fit(Xs, X_target=Xt).weights_
    w2 = clone(dr).fit(Xs, X_target=Xt).weights_
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(Xs, prob.X_source)  # inputs untouched
    np.testing.assert_array_equal(Xt, prob.X_target)


def test_target_too_small_for_calibration_folds():
    rng = np.random.default_rng(0)
    with pytest.raises(TransferKitInputError, match=r"X_target has 3 samples.*cv=5"):
        DiscriminativeDensityRatio().fit(rng.normal(size=(50, 2)), X_target=rng.normal(size=(3, 2)))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"clip": 0.5}, "clip"),
        ({"clip": 0.0}, "clip"),
        ({"calibration": "platt"}, "calibration"),
        (
            {"cv": 1},
            r"'cv' parameter of DiscriminativeDensityRatio must be an int in the range \[2, inf\)",
        ),
    ],
)
def test_bad_parameters(params, match):
    rng = np.random.default_rng(0)
    with pytest.raises(TransferKitInputError, match=match):
        DiscriminativeDensityRatio(**params).fit(
            rng.normal(size=(40, 2)), X_target=rng.normal(size=(40, 2))
        )


def test_classifier_without_probabilities_needs_calibration():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 1
    with pytest.raises(TypeError, match="predict_proba"):
        DiscriminativeDensityRatio(LinearSVC(), calibration="none").fit(Xs, X_target=Xt)
    w = DiscriminativeDensityRatio(LinearSVC(), cv=3, random_state=0).fit(Xs, X_target=Xt)
    assert np.all(w.weights_ > 0)


def test_missing_target_and_wrong_width():
    rng = np.random.default_rng(0)
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        DiscriminativeDensityRatio().fit(rng.normal(size=(40, 2)))
    dr = DiscriminativeDensityRatio(cv=2).fit(
        rng.normal(size=(40, 2)), X_target=rng.normal(size=(40, 2))
    )
    with pytest.raises(TransferKitInputError, match="features"):
        dr.compute_weights(rng.normal(size=(5, 3)))
