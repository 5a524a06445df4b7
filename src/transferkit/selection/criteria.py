r"""Label-free model-selection criteria, one small object each.

A criterion scores one hyper-parameter candidate without target labels; larger is
always better (risks are negated). Criteria declare what they need
(``needs_folds``, ``needs_target_labels``) in the spirit of pytorch-adapt's
validators, and evaluate candidates through a shared
:class:`~transferkit.selection._problem.SelectionRun` that fits every
(candidate, fold) model once.

=========================  ===================================  ==========================
criterion                  uses                                 reference
=========================  ===================================  ==========================
:class:`SourceCV`          held-out source accuracy             (no correction; baseline)
:class:`IWCV`              importance-weighted held-out loss    Sugiyama et al., JMLR 2007
:class:`DEV`               IWCV + control variate               You et al., ICML 2019
:class:`ReverseValidation` source accuracy of a reverse model   Zhong et al., ECML 2010
:class:`PredictionEntropy` entropy of target predictions        (Morerio et al., 2018)
:class:`SND`               soft neighbourhood density           Saito et al., ICCV 2021
:class:`TargetOracle`      target accuracy (needs labels)       upper bound only
=========================  ===================================  ==========================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone

from transferkit._validation import (
    TransferKitInputError,
    check_feature_names,
    check_labels,
    check_matrix,
    check_option,
    check_positive,
    labelled_mask,
)
from transferkit.base import BaseAdapter
from transferkit.pipeline import TransferPipeline
from transferkit.selection._problem import (
    SelectionRun,
    check_weighter,
    estimate_weights,
    fit_candidate,
    predict,
    predict_proba,
)
from transferkit.selection.scores import (
    dev_risk,
    importance_weighted_risk,
    prediction_entropy,
    soft_neighbourhood_density,
)

__all__ = [
    "CriterionScore",
    "BaseCriterion",
    "SourceCV",
    "IWCV",
    "DEV",
    "ReverseValidation",
    "PredictionEntropy",
    "SND",
    "TargetOracle",
    "CRITERIA",
    "get_criterion",
]

LOSSES = ("zero_one", "log_loss")


@dataclass
class CriterionScore:
    """Score of one candidate: ``score`` (larger is better) and per-fold scores, if any."""

    score: float
    fold_scores: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)


class BaseCriterion:
    """Base class of selection criteria.

    Subclasses implement ``evaluate(problem, key, estimator) -> CriterionScore``.

    Every criterion is also a **scikit-learn scorer**: ``criterion(estimator, X, y)``
    scores a fitted transferkit estimator on held-out *source* samples ``(X, y)``, reading
    the training source and the target from the estimator's ``domains_`` (what ``fit``
    received, e.g. through ``TargetDomain``). So ``GridSearchCV(model, grid,
    scoring=DEV(), cv=SourceKFold(5))`` selects without target labels, with no global
    metadata-routing switch. One scorer call is the fold ``(training source, X)`` of
    :func:`~transferkit.selection.select`: the same per-fold score for
    :class:`SourceCV`, :class:`DEV` and :class:`ReverseValidation`; :class:`IWCV` fits its
    weighter on the fold's training source followed by ``X`` (``select`` uses the source
    in its original order); :class:`PredictionEntropy`, :class:`SND` and
    :class:`TargetOracle` score the fold model (``select``: the model refitted on the
    whole source). The default weighter is seeded with 0.
    """

    name: ClassVar[str] = ""
    needs_folds: ClassVar[bool] = False
    needs_target_labels: ClassVar[bool] = False
    uses_weights: ClassVar[bool] = False

    def evaluate(
        self, problem: SelectionRun, key: int, estimator: Any
    ) -> CriterionScore:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, estimator: Any, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Score of a fitted ``estimator`` on held-out source samples ``(X, y)``.

        Parameters
        ----------
        estimator : fitted transferkit estimator (it keeps ``domains_``)
        X : array-like of shape (n_validation, n_features)
            Held-out **source** samples (a fold of ``SourceKFold``).
        y : array-like of shape (n_validation,)
            Their labels.
        sample_weight : None
            Not supported (the criteria weigh samples themselves).

        Returns
        -------
        float
            Larger is better, as scikit-learn scorers.
        """
        return score_fitted(self, estimator, X, y, sample_weight)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def score_fitted(
    criterion: BaseCriterion, estimator: Any, X: Any, y: Any, sample_weight: Any = None
) -> float:
    """``criterion`` as a scorer: one selection fold built from a fitted estimator."""
    name = type(criterion).__name__
    if sample_weight is not None:
        raise TransferKitInputError(
            f"{name} as a scorer does not take sample_weight: the criterion weighs the "
            "held-out samples itself (importance weights for IWCV/DEV)."
        )
    domains = getattr(estimator, "domains_", None)
    if domains is None or domains.X_target is None:
        raise TransferKitInputError(
            f"{name} as a scorer reads the target from the fitted estimator, but "
            f"{type(estimator).__name__} has no target in domains_: use a transferkit "
            "estimator and pass the target to fit, e.g. GridSearchCV(model, grid, "
            f"scoring={name}(), cv=SourceKFold(5)).fit(X, y, X_target=TargetDomain(X_target))."
        )
    check_feature_names(
        getattr(estimator, "feature_names_in_", None), X, "X", estimator=type(estimator).__name__
    )
    X_val = check_matrix(X, "X (held-out source)", n_features=domains.X.shape[1])
    y_val = check_labels(y, X_val.shape[0], "y (held-out source labels)")
    n_train = domains.X.shape[0]
    problem = SelectionRun(
        np.vstack([domains.X, X_val]),
        np.concatenate([domains.y, y_val]),
        domains.X_target,
        domains.y_target,
        [(np.arange(n_train), np.arange(n_train, n_train + X_val.shape[0]))],
        random_state=0,
    )
    problem._fold_models[0, 0] = estimator
    problem._full_models[0] = estimator
    with warnings.catch_warnings():  # the criteria work on arrays; names were checked above
        warnings.filterwarnings("ignore", message=".*valid feature names", category=UserWarning)
        return float(criterion.evaluate(problem, 0, clone(estimator)).score)


def per_sample_loss(model: Any, X: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Per-sample loss of a fitted model on held-out **source** samples."""
    check_option("loss", loss, LOSSES)
    if loss == "zero_one":
        return (predict(model, X, "source") != y).astype(float)
    proba = predict_proba(model, X, "source")
    classes = np.asarray(model.classes_)
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, classes.size - 1)
    known = classes[index] == y
    p = np.where(known, proba[np.arange(y.size), index], 0.0)
    return -np.log(np.clip(p, 1e-15, 1.0))


def model_features(model: Any, X: np.ndarray, domain: str) -> np.ndarray | None:
    """Features a fitted model computes before its final estimator (None if it has none).

    Supported: a :class:`~transferkit.TransferPipeline` with at least one adapter (the
    space its final estimator works in, for samples of ``domain``) and a scikit-learn
    ``Pipeline`` with more than one step.
    """
    fitted_steps = getattr(model, "steps_", None)
    if isinstance(model, TransferPipeline):
        if any(isinstance(step, BaseAdapter) for _, step in fitted_steps[:-1]):
            return model.transform_features(X, domain=domain)
        return None
    steps = getattr(model, "steps", None)
    if steps is not None and len(steps) > 1:
        return model[:-1].transform(X)
    return None


class SourceCV(BaseCriterion):
    """Plain accuracy on held-out source folds, ignoring the shift (the naive baseline).

    Equals :class:`IWCV` with all weights 1 and the zero-one loss.
    """

    name = "source_cv"
    needs_folds = True

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        folds = []
        for fold, (_, val) in enumerate(problem.splits):
            model = problem.fold_model(key, estimator, fold)
            folds.append(float(np.mean(predict(model, problem.X[val], "source") == problem.y[val])))
        folds_arr = np.asarray(folds)
        return CriterionScore(float(folds_arr.mean()), folds_arr)


class IWCV(BaseCriterion):
    r"""Importance-weighted cross-validation (Sugiyama, Krauledat & Müller, JMLR 2007).

    For source folds :math:`Z_1, \dots, Z_K`, the model :math:`f_k` is trained on all
    other folds (and the unlabelled target) and the target risk is estimated by

    .. math::
        \hat R_{\mathrm{IWCV}} = \frac1K \sum_{k=1}^{K} \frac{1}{|Z_k|}
        \sum_{(x, y) \in Z_k} w(x)\, \ell\big(f_k(x), y\big),
        \qquad w(x) \approx \frac{p_t(x)}{p_s(x)} ,

    which is almost unbiased for the target risk under covariate shift. The score is
    :math:`-\hat R_{\mathrm{IWCV}}`. The weights come from ``weighter`` fitted once on
    the whole source against the target, rescaled to mean 1 over the source.

    Parameters
    ----------
    weighter : BaseWeighter, optional
        Density-ratio estimator; default
        :class:`transferkit.instance.DiscriminativeDensityRatio`.
    loss : {"zero_one", "log_loss"}, default="zero_one"
        Per-sample loss :math:`\ell`. ``log_loss`` needs class probabilities.

    References
    ----------
    M. Sugiyama, M. Krauledat, K.-R. Müller. *Covariate Shift Adaptation by Importance
    Weighted Cross Validation.* JMLR 8, 2007.
    """

    name = "iwcv"
    needs_folds = True
    uses_weights = True

    def __init__(self, weighter: Any = None, *, loss: str = "zero_one"):
        self.weighter = weighter
        self.loss = loss

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        check_option("loss", self.loss, LOSSES)
        weights = problem.input_weights(self.weighter)
        risks = []
        for fold, (_, val) in enumerate(problem.splits):
            model = problem.fold_model(key, estimator, fold)
            losses = per_sample_loss(model, problem.X[val], problem.y[val], self.loss)
            risks.append(importance_weighted_risk(losses, weights[val]))
        folds = -np.asarray(risks)
        return CriterionScore(float(folds.mean()), folds)


class DEV(BaseCriterion):
    r"""Deep embedded validation (You, Wang, Long & Jordan, ICML 2019).

    DEV estimates the target risk from held-out source samples like :class:`IWCV`,
    but (i) estimates the density ratio in the **feature space of the model being
    validated** and (ii) removes much of the variance of the importance-weighted mean
    with a control variate (see :func:`~transferkit.selection.dev_risk`):

    .. math::
        L_i = w_i \ell_i, \quad
        \eta = -\frac{\widehat{\operatorname{Cov}}(L, w)}{\widehat{\operatorname{Var}}(w)},
        \quad \hat R_{\mathrm{DEV}} = \bar L + \eta\,\bar w - \eta .

    For each fold, the candidate :math:`f_k` is trained, ``weighter`` is fitted on
    :math:`\phi_k(\text{training source})` vs :math:`\phi_k(\text{target})`, where
    :math:`\phi_k` is the model's adapted feature map, and applied to the held-out
    fold. The held-out losses and weights of all folds are pooled into one DEV
    estimate, as in the paper's single validation set. Candidates that share a
    feature map (e.g. a grid over the final classifier only) share the weights.
    Score :math:`= -\hat R_{\mathrm{DEV}}`.

    Parameters
    ----------
    weighter : BaseWeighter, optional
        Density-ratio estimator (the paper uses a domain discriminator); default
        :class:`transferkit.instance.DiscriminativeDensityRatio`.
    loss : {"zero_one", "log_loss"}, default="zero_one"
        Per-sample loss; the paper uses the cross-entropy (``log_loss``).
    feature_space : {"model", "input"}, default="model"
        ``"model"``: the features of a :class:`~transferkit.TransferPipeline` adapter (or of
        a scikit-learn ``Pipeline``'s transformers), falling back to the input space for
        models without features; ``"input"``: the raw features. In both spaces the
        density ratio of each fold is fitted on that fold's training source only (rescaled
        to mean 1 there) and evaluated on its held-out samples, so that the control
        variate :math:`\bar w - 1` carries information (with weights fitted on the whole
        source it is 0 by construction and DEV equals IWCV).

    References
    ----------
    K. You, X. Wang, M. Long, M. I. Jordan. *Towards Accurate Model Selection in Deep
    Unsupervised Domain Adaptation.* ICML 2019.
    """

    name = "dev"
    needs_folds = True
    uses_weights = True

    def __init__(
        self, weighter: Any = None, *, loss: str = "zero_one", feature_space: str = "model"
    ):
        self.weighter = weighter
        self.loss = loss
        self.feature_space = feature_space

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        check_option("loss", self.loss, LOSSES)
        check_option("feature_space", self.feature_space, ("model", "input"))
        weighter = self.weighter if self.weighter is not None else problem.weighter
        all_losses, all_weights, folds, etas = [], [], [], []
        for fold, (train, val) in enumerate(problem.splits):
            model = problem.fold_model(key, estimator, fold)
            losses = per_sample_loss(model, problem.X[val], problem.y[val], self.loss)
            weights = None
            if self.feature_space == "model":
                Zs = model_features(model, problem.X[train], "source")
                if Zs is not None:
                    Zt = model_features(model, problem.X_target, "target")
                    Zv = model_features(model, problem.X[val], "source")
                    weights = problem.feature_weights(
                        (id(weighter), fold),
                        (Zs, Zt, Zv),
                        lambda Zs=Zs, Zt=Zt, Zv=Zv: estimate_weights(
                            check_weighter(weighter, problem.random_state), Zs, Zt, Zv
                        ),
                    )
            if weights is None:
                # the density ratio is fitted on the training folds only and evaluated on
                # the held-out fold, as in the paper: weights fitted on all of the source
                # and rescaled to mean 1 there make the pooled control variate mean(w) - 1
                # vanish, and DEV collapses to IWCV
                Xtr, Xv = problem.X[train], problem.X[val]
                weights = problem.feature_weights(
                    (id(weighter), "input", fold),
                    (),
                    lambda Xtr=Xtr, Xv=Xv: estimate_weights(
                        check_weighter(weighter, problem.random_state), Xtr, problem.X_target, Xv
                    ),
                )
            all_losses.append(losses)
            all_weights.append(weights)
            if val.size >= 2:
                result = dev_risk(losses, weights)
                folds.append(-result.risk)
                etas.append(result.eta)
        pooled = dev_risk(np.concatenate(all_losses), np.concatenate(all_weights))
        return CriterionScore(
            -pooled.risk,
            np.asarray(folds) if folds else None,
            {"eta": pooled.eta, "weighted_risk": pooled.weighted_risk, "fold_eta": etas},
        )


class ReverseValidation(BaseCriterion):
    r"""Reverse validation (Zhong et al., ECML 2010; Ganin et al., JMLR 2016).

    For each source fold :math:`k`: (1) train the candidate :math:`f_k` on the training
    source and the target; (2) label the target with it,
    :math:`\hat y^t = f_k(X_t)`; (3) train a *reverse* model :math:`g_k` of the same
    candidate on the pseudo-labelled target, adapting back to the training source;
    (4) score :math:`g_k` on the held-out source fold,

    .. math::
        \mathrm{RV} = \frac1K \sum_k \frac{1}{|Z_k|} \sum_{(x, y) \in Z_k}
        \mathbb 1[g_k(x) = y] .

    A good candidate produces target labels from which the source can be recovered.
    If the pseudo-labels collapse to a single class, the reverse model predicts that
    class.

    References
    ----------
    E. Zhong, W. Fan, Q. Yang, O. Verscheure, J. Ren. *Cross Validation Framework to
    Choose amongst Models and Datasets for Transfer Learning.* ECML PKDD 2010.
    Y. Ganin et al. *Domain-Adversarial Training of Neural Networks.* JMLR 17, 2016.
    """

    name = "reverse"
    needs_folds = True

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        folds = []
        for fold, (train, val) in enumerate(problem.splits):
            model = problem.fold_model(key, estimator, fold)
            pseudo = predict(model, problem.X_target, "target")
            X_val, y_val = problem.X[val], problem.y[val]
            if np.unique(pseudo).size < 2:
                predicted = np.full(y_val.shape, pseudo[0])
            else:
                reverse = fit_candidate(estimator, problem.X_target, pseudo, problem.X[train])
                predicted = predict(reverse, X_val, "target")
            folds.append(float(np.mean(predicted == y_val)))
        folds_arr = np.asarray(folds)
        return CriterionScore(float(folds_arr.mean()), folds_arr)


class PredictionEntropy(BaseCriterion):
    r"""Negative mean entropy of the target predictions (confidence on the target).

    The candidate is trained on the whole source and the target; the score is
    :math:`-H` with :math:`H = -\frac1{n_t}\sum_j\sum_c p_{jc}\log p_{jc}`
    (see :func:`~transferkit.selection.prediction_entropy`). Cheap, but blind to
    confidently wrong predictions (a model that collapses to one class scores best).

    References
    ----------
    P. Morerio, J. Cavazza, V. Murino. *Minimal-Entropy Correlation Alignment for
    Unsupervised Deep Domain Adaptation.* ICLR 2018 (entropy as a validation signal).
    """

    name = "entropy"

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        model = problem.full_model(key, estimator)
        return CriterionScore(-prediction_entropy(predict_proba(model, problem.X_target, "target")))


class SND(BaseCriterion):
    r"""Soft neighbourhood density of the target predictions (Saito et al., ICCV 2021).

    The candidate is trained on the whole source and the target; the score is
    :func:`~transferkit.selection.soft_neighbourhood_density` of its target class
    probabilities (temperature :math:`\tau = 0.05`). Larger means denser, better
    clustered target predictions.

    Parameters
    ----------
    temperature : float, default=0.05

    References
    ----------
    K. Saito, D. Kim, P. Teterwak, S. Sclaroff, T. Darrell, K. Saenko. *Tune it the Right
    Way: Unsupervised Validation of Domain Adaptation via Soft Neighborhood Density.*
    ICCV 2021.
    """

    name = "snd"

    def __init__(self, temperature: float = 0.05):
        self.temperature = temperature

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        check_positive("temperature", self.temperature)
        model = problem.full_model(key, estimator)
        proba = predict_proba(model, problem.X_target, "target")
        return CriterionScore(soft_neighbourhood_density(proba, temperature=self.temperature))


class TargetOracle(BaseCriterion):
    """Accuracy on the labelled target samples: an upper bound, **not** label-free.

    Published deep-adaptation tables usually select this way; report it only as the
    labelled reference next to a label-free criterion.
    """

    name = "oracle"
    needs_target_labels = True

    def evaluate(self, problem: SelectionRun, key: int, estimator: Any) -> CriterionScore:
        mask = labelled_mask(problem.y_target, problem.X_target.shape[0])
        if not mask.any():
            raise TransferKitInputError(
                "criterion='oracle' needs target labels: pass y_target (it is an upper "
                "bound, not a label-free criterion)."
            )
        model = problem.full_model(key, estimator)
        predicted = predict(model, problem.X_target[mask], "target")
        return CriterionScore(float(np.mean(predicted == problem.y_target[mask])))


CRITERIA: dict[str, type[BaseCriterion]] = {
    cls.name: cls
    for cls in (SourceCV, IWCV, DEV, ReverseValidation, PredictionEntropy, SND, TargetOracle)
}


def get_criterion(criterion: Any) -> BaseCriterion:
    """Turn a name ("iwcv", "dev", "reverse", "entropy", "snd", "source_cv", "oracle")
    or a criterion object into a criterion object (objects are cloned shallowly)."""
    if isinstance(criterion, BaseCriterion):
        return criterion
    if isinstance(criterion, type) and issubclass(criterion, BaseCriterion):
        return criterion()
    check_option("criterion", criterion, tuple(CRITERIA))
    return CRITERIA[criterion]()
