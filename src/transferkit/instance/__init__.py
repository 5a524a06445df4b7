"""Instance-based transfer: re-weight source samples by the density ratio p_t(x)/p_s(x)."""

from transferkit.instance.density_ratio import DiscriminativeDensityRatio
from transferkit.instance.synthetic import GaussianShift, make_gaussian_shift, normalised_mse

__all__ = [
    "DiscriminativeDensityRatio",
    "GaussianShift",
    "make_gaussian_shift",
    "normalised_mse",
]
