import numpy as np
import pytest
from scipy.linalg import sqrtm

from transferkit import CORAL


def test_coral_matches_the_paper_closed_form(rng):
    Xs = rng.normal(size=(80, 4)) @ rng.normal(size=(4, 4))
    Xt = rng.normal(size=(60, 4)) @ rng.normal(size=(4, 4)) + 3
    lam = 1.0
    cs = np.cov(Xs, rowvar=False) + lam * np.eye(4)
    ct = np.cov(Xt, rowvar=False) + lam * np.eye(4)
    expected = Xs @ np.linalg.inv(sqrtm(cs)).real @ sqrtm(ct).real
    coral = CORAL(lambda_=lam).fit(Xs, X_target=Xt)
    np.testing.assert_allclose(coral.transform(Xs, domain="source"), expected, atol=1e-10)
    np.testing.assert_array_equal(coral.transform(Xt, domain="target"), Xt)


def test_coral_aligns_second_order_statistics(rng):
    Xs = rng.normal(size=(2000, 3))
    Xt = rng.normal(size=(2000, 3)) @ np.array([[2.0, 0.5, 0], [0, 1.0, 0], [0, 0, 0.2]])
    Zs = CORAL(lambda_=0.0).fit(Xs, X_target=Xt).transform(Xs, domain="source")
    np.testing.assert_allclose(np.cov(Zs, rowvar=False), np.cov(Xt, rowvar=False), atol=1e-8)


def test_coral_rejects_negative_lambda(rng):
    with pytest.raises(
        ValueError, match=r"'lambda_' parameter of CORAL must be a float in the range \[0.0, inf\)"
    ):
        CORAL(lambda_=-1).fit(rng.normal(size=(5, 2)), X_target=rng.normal(size=(5, 2)))


@pytest.mark.parametrize("lam", [1e-3, 1.0, 10.0])
def test_sample_space_coral_equals_the_feature_space_map(lam, rng):
    """n << d: the low-rank route gives the d x d computation's map to 1e-8."""
    from transferkit.mapping._eigen import symmetric_power

    Xs = 3.0 * rng.normal(size=(9, 40)) + 1.0
    Xt = rng.normal(size=(12, 40)) @ rng.normal(size=(40, 40))
    wide = CORAL(lambda_=lam).fit(Xs, X_target=Xt)
    assert wide.space_ == "samples"
    dense = CORAL(lambda_=lam)
    dense._space = "features"
    dense.fit(Xs, X_target=Xt)
    assert dense.space_ == "features"
    # the paper's formula, written out
    cs = np.cov(Xs.T) + lam * np.eye(40)
    ct = np.cov(Xt.T) + lam * np.eye(40)
    A = symmetric_power(cs, -0.5) @ symmetric_power(ct, 0.5)
    X_new = rng.normal(size=(5, 40))
    for est in (wide, dense):
        np.testing.assert_allclose(est.transform(X_new, "source"), X_new @ A, atol=1e-8, rtol=0)
        np.testing.assert_allclose(est.transform_matrix_, A, atol=1e-8, rtol=0)
        np.testing.assert_allclose(est.covariance_source_, cs, atol=1e-8, rtol=0)
        np.testing.assert_allclose(est.covariance_target_, ct, atol=1e-8, rtol=0)
        np.testing.assert_array_equal(est.transform(X_new, "target"), X_new)


def test_sample_space_coral_is_used_only_when_it_is_exact(rng):
    Xs, Xt = rng.normal(size=(9, 40)), rng.normal(size=(50, 40))
    assert CORAL().fit(Xs, X_target=Xt).space_ == "features"  # target is not wide
    assert CORAL(lambda_=0.0).fit(Xs, X_target=Xt[:9]).space_ == "features"  # no ridge
    assert CORAL().fit(Xs, X_target=Xt[:9]).space_ == "samples"
