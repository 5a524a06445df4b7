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
    with pytest.raises(ValueError, match="lambda_ must be >= 0"):
        CORAL(lambda_=-1).fit(rng.normal(size=(5, 2)), X_target=rng.normal(size=(5, 2)))
