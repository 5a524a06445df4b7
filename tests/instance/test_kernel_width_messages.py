"""The kernel weighters name their own width parameter (``sigma``) for constant data."""

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.instance import KLIEP, KMM, ULSIF, RuLSIF
from transferkit.metrics import median_heuristic


@pytest.mark.parametrize("weighter", [KMM(), KLIEP(cv=2), ULSIF(), RuLSIF()])
def test_constant_data_error_names_sigma(weighter):
    X = np.ones((20, 3))
    with pytest.raises(TransferKitInputError, match="pass sigma= explicitly") as info:
        weighter.fit(X, X_target=X)
    assert "bandwidth" not in str(info.value)
    assert "sigma" in type(weighter)().get_params()


def test_the_mmd_functions_keep_naming_bandwidth():
    with pytest.raises(TransferKitInputError, match="pass bandwidth= explicitly"):
        median_heuristic(np.ones((5, 2)))
