import pytest

from transferkit.instance.synthetic import make_gaussian_shift


@pytest.fixture(scope="session")
def shift2d():
    """Source N(0, I), target N(e_1, I) in 2-D: uniform weights have NMSE ~0.6."""
    return make_gaussian_shift(500, 500, 2, shift=1.0, random_state=0)
