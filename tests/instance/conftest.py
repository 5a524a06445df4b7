import pytest

from transferkit.instance.synthetic import make_gaussian_shift


@pytest.fixture(scope="session")
def shift2d():
    """Source N(0, I), target N(e_1, I) in 2-D: uniform weights have NMSE ~0.6."""
    return make_gaussian_shift(500, 500, 2, shift=1.0, random_state=0)


@pytest.fixture(scope="session")
def kliep_fit(shift2d):
    """KLIEP(cv=3) fitted once on ``shift2d`` (its LCV is the slowest fit of the suite)."""
    from transferkit.instance import KLIEP

    return KLIEP(cv=3).fit(shift2d.X_source, X_target=shift2d.X_target)
