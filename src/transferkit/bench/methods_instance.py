"""Benchmark entries of the instance-based family: importance weighting and TrAdaBoost.

Every weighter is joined with ``LogisticRegression(C=0.01)`` (the classifier of
``benchmarks/instance_amazon_weighting.py``) and picks its own hyper-parameters without
target labels (KMM: median heuristic; KLIEP: likelihood CV; uLSIF/RuLSIF: leave-one-out;
discriminative: calibrated logistic domain classifier).

The TrAdaBoost study (``benchmarks/instance_amazon_tradaboost.py``) needs labelled target
samples: its entries (``target_only``, ``pooled_source_target``, ``tradaboost``,
``tradaboost_dynamic``) use ``LogisticRegression(C=0.01)`` and are registered with
``uses_target_labels=True``: ``transferkit run`` runs them with a labelled target budget
(``target_labels: {fraction: 0.05}``). Its source-only row is ``source_only_logreg`` with
``params: {estimator__C: 0.01}``.
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from transferkit.baselines import TargetOnly
from transferkit.bench.protocols import MeanOneWeights, PooledSourceTarget
from transferkit.bench.registry import register_method
from transferkit.instance import KLIEP, KMM, ULSIF, DiscriminativeDensityRatio, RuLSIF, TrAdaBoost
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

# -- labelled target samples: benchmarks/instance_amazon_tradaboost.py's rows ------------

register_method(
    "target_only",
    lambda random_state: TargetOnly(_logistic()),
    description="logistic regression (C=0.01) on the labelled target samples only",
    uses_target_labels=True,
)

register_method(
    "pooled_source_target",
    lambda random_state: PooledSourceTarget(_logistic()),
    description="logistic regression (C=0.01) on the source and labelled target pooled",
    uses_target_labels=True,
)

register_method(
    "tradaboost",
    lambda random_state: TrAdaBoost(_logistic(), n_estimators=20, random_state=random_state),
    description="TrAdaBoost (Dai et al. 2007), 20 rounds of logistic regression (C=0.01)",
    uses_target_labels=True,
)

register_method(
    "tradaboost_dynamic",
    lambda random_state: TrAdaBoost(
        _logistic(), n_estimators=20, dynamic=True, random_state=random_state
    ),
    description=(
        "dynamic TrAdaBoost (Al-Stouhi & Reddy 2011), 20 rounds of logistic regression (C=0.01)"
    ),
    uses_target_labels=True,
)
