"""Benchmark entries of the instance-based family: importance weighting and TrAdaBoost.

Every weighter is joined with ``LogisticRegression(C=0.01)`` (the classifier of
``benchmarks/instance_amazon_weighting.py``) and picks its own hyper-parameters without
target labels (KMM: median heuristic; KLIEP: likelihood CV; uLSIF/RuLSIF: leave-one-out;
discriminative: calibrated logistic domain classifier).
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from transferkit.bench.protocols import MeanOneWeights
from transferkit.bench.registry import register_method
from transferkit.instance import KLIEP, KMM, ULSIF, DiscriminativeDensityRatio, RuLSIF
from transferkit.pipeline import make_transfer_pipeline

__all__: list[str] = []


def _logistic(C: float = 0.01) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=2000)


_C_GRID = {"estimator__C": [0.01, 0.001, 0.1, 1.0]}

register_method(
    "kmm",
    lambda random_state: make_transfer_pipeline(KMM(random_state=0), _logistic()),
    description="KMM weights (median-heuristic width, B=1000) + logistic regression (C=0.01)",
    param_grid=_C_GRID,
    published={"amazon": ["coral2016_t5:KMM"]},
)

register_method(
    "kmm_mean_one",
    lambda random_state: make_transfer_pipeline(MeanOneWeights(KMM(random_state=0)), _logistic()),
    description=(
        "KMM weights (median-heuristic width, B=1000) rescaled to mean one + logistic "
        "regression (C=0.01): benchmarks/instance_amazon_weighting.py's KMM row"
    ),
    param_grid=_C_GRID,
    published={"amazon": ["coral2016_t5:KMM"]},
)

register_method(
    "kliep",
    lambda random_state: make_transfer_pipeline(KLIEP(random_state=0), _logistic()),
    description="KLIEP weights (width by likelihood CV) + logistic regression (C=0.01)",
    param_grid=_C_GRID,
)

register_method(
    "ulsif",
    lambda random_state: make_transfer_pipeline(ULSIF(random_state=0), _logistic()),
    description="uLSIF weights (width, lambda by leave-one-out) + logistic regression (C=0.01)",
    param_grid=_C_GRID,
)

register_method(
    "rulsif",
    lambda random_state: make_transfer_pipeline(RuLSIF(alpha=0.1, random_state=0), _logistic()),
    description="RuLSIF weights (alpha=0.1, leave-one-out) + logistic regression (C=0.01)",
    param_grid=_C_GRID,
)

register_method(
    "density_ratio",
    lambda random_state: make_transfer_pipeline(
        DiscriminativeDensityRatio(random_state=random_state), _logistic()
    ),
    description="calibrated logistic domain-classifier ratio + logistic regression (C=0.01)",
    param_grid=_C_GRID,
)
