import numpy as np
import pytest

from transferkit._validation import (
    DomainMismatchError,
    TransferKitInputError,
    WeightCollapseWarning,
)
from transferkit.instance import KLIEP, KMM, ULSIF, DiscriminativeDensityRatio, RuLSIF

WEIGHTERS = [
    KMM(),
    KLIEP(cv=2),
    ULSIF(),
    RuLSIF(),
    DiscriminativeDensityRatio(cv=2),
]
IDS = ["kmm", "kliep", "ulsif", "rulsif", "discriminative"]


def test_disjoint_domains_give_all_zero_weights_and_a_clear_error():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 100.0
    with pytest.raises(TransferKitInputError, match="All weights_ are zero"):
        ULSIF(sigma=0.5).fit(Xs, X_target=Xt)


def test_weights_that_blow_up_report_the_effective_sample_size():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(300, 2))
    Xt = rng.normal(size=(300, 2)) * 0.3 + 2.5  # target in the source's tail
    with pytest.warns(WeightCollapseWarning, match="effective sample size"):
        est = ULSIF().fit(Xs, X_target=Xt)
    assert est.effective_sample_size_ < 30


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=IDS)
def test_common_input_errors(weighter):
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    with pytest.raises(DomainMismatchError, match="features"):
        weighter.fit(Xs, X_target=Xt[:, :2])
    bad = Xs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TransferKitInputError, match="NaN"):
        weighter.fit(bad, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        weighter.fit(Xs)
    Xs0, Xt0 = Xs.copy(), Xt.copy()
    est = weighter.fit(Xs, X_target=Xt)
    np.testing.assert_array_equal(Xs, Xs0)  # inputs are never modified
    np.testing.assert_array_equal(Xt, Xt0)
    assert est.weights_.shape == (30,)
    assert est.compute_weights(Xt[:4]).shape == (4,)
