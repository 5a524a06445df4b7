"""Label-free model selection: choose hyper-parameters without target labels.

Criteria (larger score = better): :class:`IWCV` (importance-weighted cross-validation),
:class:`DEV` (deep embedded validation with a control variate),
:class:`ReverseValidation`, :class:`PredictionEntropy`, :class:`SND` (soft
neighbourhood density), plus :class:`SourceCV` (no shift correction) and
:class:`TargetOracle` (needs target labels; an upper bound). Domain-aware splitters
(:class:`SourceKFold`, :class:`StratifiedSourceKFold`) keep the target out of the
validation folds, and :func:`select` runs a grid through a criterion and a selection
rule (:class:`BestScore`, :class:`OneStandardError`). When a few target samples are
labelled, :func:`target_cv_accuracy` and :func:`choose_by_target_cv` cross-validate on
them instead.
"""

from transferkit.selection._problem import default_weighter
from transferkit.selection.criteria import (
    DEV,
    IWCV,
    SND,
    BaseCriterion,
    CriterionScore,
    PredictionEntropy,
    ReverseValidation,
    SourceCV,
    TargetOracle,
    get_criterion,
)
from transferkit.selection.rules import BaseRule, BestScore, OneStandardError, get_rule
from transferkit.selection.scores import (
    DevRisk,
    dev_risk,
    importance_weighted_risk,
    prediction_entropy,
    soft_neighbourhood_density,
)
from transferkit.selection.search import (
    CandidateScores,
    SelectionResult,
    score_candidates,
    select,
)
from transferkit.selection.splitters import SourceKFold, StratifiedSourceKFold
from transferkit.selection.target_cv import (
    TargetCVResult,
    choose_by_target_cv,
    target_cv_accuracy,
)

__all__ = [
    "DEV",
    "IWCV",
    "SND",
    "BaseCriterion",
    "BaseRule",
    "BestScore",
    "CandidateScores",
    "CriterionScore",
    "DevRisk",
    "OneStandardError",
    "PredictionEntropy",
    "ReverseValidation",
    "SelectionResult",
    "SourceCV",
    "SourceKFold",
    "StratifiedSourceKFold",
    "TargetCVResult",
    "TargetOracle",
    "choose_by_target_cv",
    "default_weighter",
    "dev_risk",
    "get_criterion",
    "get_rule",
    "importance_weighted_risk",
    "prediction_entropy",
    "score_candidates",
    "select",
    "soft_neighbourhood_density",
    "target_cv_accuracy",
]
