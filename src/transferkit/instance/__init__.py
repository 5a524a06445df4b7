"""Instance-based transfer: re-weight source samples by the density ratio p_t(x)/p_s(x).

Weighters (:class:`KMM`, :class:`KLIEP`, :class:`ULSIF`, :class:`RuLSIF`,
:class:`DiscriminativeDensityRatio`) estimate :math:`w(x) = p_t(x)/p_s(x)` for the source
samples; :class:`ImportanceWeighted` trains any scikit-learn estimator with them;
:class:`TrAdaBoost` / :class:`TrAdaBoostR2` use a few labelled target samples.
"""

from transferkit.instance.density_ratio import DiscriminativeDensityRatio
from transferkit.instance.importance import ImportanceWeighted
from transferkit.instance.kliep import KLIEP
from transferkit.instance.kmm import KMM
from transferkit.instance.synthetic import GaussianShift, make_gaussian_shift, normalised_mse
from transferkit.instance.tradaboost import TrAdaBoost, TrAdaBoostR2
from transferkit.instance.ulsif import ULSIF, RuLSIF

__all__ = [
    "KLIEP",
    "KMM",
    "ULSIF",
    "DiscriminativeDensityRatio",
    "GaussianShift",
    "ImportanceWeighted",
    "RuLSIF",
    "TrAdaBoost",
    "TrAdaBoostR2",
    "make_gaussian_shift",
    "normalised_mse",
]
