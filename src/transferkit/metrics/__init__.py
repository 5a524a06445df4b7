"""Domain similarity and transferability.

Distances between two samples (MMD, KL, proxy A-distance, CORAL, Wasserstein, Sinkhorn,
energy) tell how different a source and a target domain are before anything is trained;
transferability scores (LogME, LEEP, NCE, H-score) tell how well a source model or
feature extractor will serve a labelled target task. Every function accepts numpy arrays
or torch tensors.
"""

from transferkit.metrics._common import DistanceResult
from transferkit.metrics.distances import coral_distance, energy_distance, energy_test
from transferkit.metrics.domain_measure import comparable_distance
from transferkit.metrics.kl import gaussian_kl, kl_divergence_knn
from transferkit.metrics.mmd import MMDTestResult, median_heuristic, mmd2, mmd_test
from transferkit.metrics.proxy_a import proxy_a_distance, svm_training_a_distance
from transferkit.metrics.ranking import rank_candidates
from transferkit.metrics.report import DISTANCE_NAMES, bootstrap_interval, domain_distances
from transferkit.metrics.transferability import h_score, leep, logme, logme_evidence, nce
from transferkit.metrics.transport import sinkhorn_distance, wasserstein_distance

__all__ = [
    "DISTANCE_NAMES",
    "DistanceResult",
    "MMDTestResult",
    "bootstrap_interval",
    "comparable_distance",
    "coral_distance",
    "domain_distances",
    "energy_distance",
    "energy_test",
    "gaussian_kl",
    "h_score",
    "kl_divergence_knn",
    "leep",
    "logme",
    "logme_evidence",
    "median_heuristic",
    "mmd2",
    "mmd_test",
    "nce",
    "proxy_a_distance",
    "rank_candidates",
    "svm_training_a_distance",
    "sinkhorn_distance",
    "wasserstein_distance",
]
