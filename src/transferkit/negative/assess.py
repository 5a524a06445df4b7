r"""Estimate, before trusting it, whether a transfer method beats the no-transfer baseline.

The quantity of interest is the **transfer gain** on the target distribution

.. math::
    G = \operatorname{acc}_t(f_{\text{method}}) - \operatorname{acc}_t(f_{\text{baseline}}),

which is negative under negative transfer. Three paired estimators are available; each
gives per-sample differences :math:`d_i` of two models evaluated on the same sample, and
the interval is the normal one, :math:`\bar d \pm z_{1-\alpha/2}\, s_d / \sqrt{n}`.

* ``"target_cv"`` (used whenever ``y_target`` labels some target samples): paired
  cross-validation over the labelled target samples. Each fold hides its labels (they
  stay in the target as unlabelled samples), refits both models and records
  :math:`d_i = [f_m(x_i) = y_i] - [f_b(x_i) = y_i]`. :math:`\bar d` estimates :math:`G`
  itself (for models trained with one fold fewer of labels).
* ``"reverse"`` (label-free default): paired reverse validation (Zhong et al., ECML
  2010). For each source fold, a model labels the target, a *reverse* model of the same
  kind is trained on the pseudo-labelled target (adapting back to the training source)
  and predicts the held-out source: :math:`d_i = [g_m(x_i) = y_i] - [g_b(x_i) = y_i]`.
  Better target labels let the reverse model recover the source better, so the sign of
  :math:`\bar d` follows the sign of :math:`G`; its size is **not** in target-accuracy
  units.
* ``"iwcv"``: paired importance-weighted cross-validation on the source (Sugiyama et
  al., 2007): :math:`d_i = w(x_i)\,([f_m(x_i) = y_i] - [f_b(x_i) = y_i])` with density
  ratios :math:`w \approx p_t / p_s` of mean 1. Unbiased for :math:`G` under covariate
  shift with a shared labelling function, but blind to what an adapter does to the
  *target* side (it sees the source side only).

A bound needs no labels at all: two classifiers that agree on a fraction :math:`a` of the
target differ in target accuracy by at most :math:`1 - a`. It is reported beside every
estimate as ``agreement``.

The verdict is ``"helps"`` when the interval lies above 0, ``"hurts"`` when it lies
below, ``"uncertain"`` otherwise. How often each estimator gets the sign right on real
benchmark cells is measured in ``benchmarks/results/negative_guard.md`` (feature
mapping), ``negative_guard_instance.md`` (importance weighting) and
``negative_guard_summary.md`` (both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from transferkit._validation import (
    LabelError,
    TransferKitInputError,
    check_option,
    check_positive,
    check_random_state,
    check_source_target,
)

__all__ = ["TransferAssessment", "assess_transfer"]

UNLABELLED = -1

LABEL_FREE = ("reverse", "iwcv")


@dataclass(frozen=True)
class TransferAssessment:
    """Estimated gain of a transfer method over its no-transfer baseline.

    Attributes
    ----------
    gain : float
        Mean paired difference, method minus baseline (in [-1, 1]): an estimate of the
        target-accuracy gain for ``"target_cv"`` and ``"iwcv"``, a sign-faithful proxy
        for ``"reverse"``.
    interval : tuple of float
        ``confidence`` interval of ``gain``.
    verdict : {"helps", "hurts", "uncertain"}
        Sign of the interval (``"uncertain"`` when it contains 0).
    evidence : {"target_cv", "reverse", "iwcv"}
        Which estimator produced ``gain``.
    agreement : float
        Fraction of target samples on which method and baseline predict the same class.
    n_evaluated : int
        Number of paired held-out samples behind the estimate.
    details : dict
        Per-estimator numbers (accuracies, reverse or weighted accuracies of both models,
        the effective sample size of the weights).
    """

    gain: float
    interval: tuple[float, float]
    verdict: str
    evidence: str
    agreement: float
    n_evaluated: int
    confidence: float
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        low, high = self.interval
        return (
            f"transfer {self.verdict}: gain {100 * self.gain:+.1f} points "
            f"({100 * self.confidence:.0f}% interval {100 * low:+.1f} to {100 * high:+.1f}; "
            f"estimator {self.evidence}, {self.n_evaluated} paired samples; the models agree "
            f"on {100 * self.agreement:.1f}% of the target, so |true gain| <= "
            f"{100 * (1 - self.agreement):.1f} points)"
        )


def _fit(model: Any, X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: Any) -> Any:
    fitted = clone(model)
    try:
        return fitted.fit(X, y, X_target=Xt, y_target=yt)
    except TypeError as exc:
        if "X_target" not in str(exc) and "y_target" not in str(exc):
            raise
        return fitted.fit(X, y)  # a plain scikit-learn estimator: source only


def _predict(model: Any, X: np.ndarray, domain: str) -> np.ndarray:
    try:
        return model.predict(X, domain=domain)
    except TypeError:
        return model.predict(X)


def _target_label_differences(
    method: Any,
    baseline: Any,
    Xs: np.ndarray,
    ys: np.ndarray,
    Xt: np.ndarray,
    yt: np.ndarray,
    n_splits: int,
    seed: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    labelled = np.flatnonzero(yt != UNLABELLED) if yt.dtype.kind in "iu" else None
    if labelled is None:
        labelled = np.flatnonzero(np.array([v != UNLABELLED and v != "-1" for v in yt]))
    classes, counts = np.unique(yt[labelled], return_counts=True)
    folds = min(n_splits, int(counts.min()))
    if folds < 2:
        raise LabelError(
            f"assessing with target labels needs at least 2 labelled target samples of "
            f"every labelled class; class {classes[np.argmin(counts)]!r} has "
            f"{int(counts.min())}. Label more samples, or pass y_target=None for the "
            "label-free estimate."
        )
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    diffs = np.empty(labelled.size)
    hits = {"method": 0, "baseline": 0}
    for keep, held in splitter.split(labelled, yt[labelled]):
        hidden = np.full_like(yt, UNLABELLED)
        hidden[labelled[keep]] = yt[labelled[keep]]
        rows = labelled[held]
        right_m = _predict(_fit(method, Xs, ys, Xt, hidden), Xt[rows], "target") == yt[rows]
        right_b = _predict(_fit(baseline, Xs, ys, Xt, hidden), Xt[rows], "target") == yt[rows]
        diffs[held] = right_m.astype(float) - right_b.astype(float)
        hits["method"] += int(right_m.sum())
        hits["baseline"] += int(right_b.sum())
    details = {
        "method_accuracy": hits["method"] / labelled.size,
        "baseline_accuracy": hits["baseline"] / labelled.size,
        "n_splits": folds,
    }
    return diffs, details


def _source_folds(ys: np.ndarray, n_splits: int) -> int:
    """Stratified source folds the label-free estimates can use (capped by the rarest class)."""
    _, counts = np.unique(ys, return_counts=True)
    folds = min(n_splits, int(counts.min()))
    if folds < 2:
        raise LabelError(
            "the label-free estimate cross-validates on the source and needs at least 2 "
            f"source samples of every class; the rarest class has {int(counts.min())}."
        )
    return folds


def _label_free_differences(
    method: Any,
    baseline: Any,
    Xs: np.ndarray,
    ys: np.ndarray,
    Xt: np.ndarray,
    weighter: Any,
    n_splits: int,
    seed: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    from transferkit.instance import DiscriminativeDensityRatio

    folds = _source_folds(ys, n_splits)
    ratio = DiscriminativeDensityRatio(random_state=seed) if weighter is None else clone(weighter)
    weights = np.asarray(ratio.fit(Xs, X_target=Xt).weights_, dtype=float)
    weights = weights / weights.mean()
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    diffs = np.empty(Xs.shape[0])
    right = {"method": np.empty(Xs.shape[0]), "baseline": np.empty(Xs.shape[0])}
    for train, held in splitter.split(Xs, ys):
        for name, model in (("method", method), ("baseline", baseline)):
            fitted = _fit(model, Xs[train], ys[train], Xt, None)
            right[name][held] = _predict(fitted, Xs[held], "source") == ys[held]
        diffs[held] = weights[held] * (right["method"][held] - right["baseline"][held])
    ess = float(weights.sum() ** 2 / np.sum(weights**2))
    details = {
        "method_weighted_accuracy": float(np.mean(weights * right["method"])),
        "baseline_weighted_accuracy": float(np.mean(weights * right["baseline"])),
        "effective_sample_size": ess,
        "n_splits": folds,
    }
    return diffs, details


def _reverse_differences(
    method: Any,
    baseline: Any,
    Xs: np.ndarray,
    ys: np.ndarray,
    Xt: np.ndarray,
    n_splits: int,
    seed: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    folds = _source_folds(ys, n_splits)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    right = {"method": np.empty(Xs.shape[0]), "baseline": np.empty(Xs.shape[0])}
    for train, held in splitter.split(Xs, ys):
        for name, model in (("method", method), ("baseline", baseline)):
            pseudo = _predict(_fit(model, Xs[train], ys[train], Xt, None), Xt, "target")
            if np.unique(pseudo).size < 2:
                predicted = np.full(held.size, pseudo[0])
            else:
                reverse = _fit(model, Xt, pseudo, Xs[train], None)
                predicted = _predict(reverse, Xs[held], "target")
            right[name][held] = predicted == ys[held]
    details = {
        "method_reverse_accuracy": float(right["method"].mean()),
        "baseline_reverse_accuracy": float(right["baseline"].mean()),
        "n_splits": folds,
    }
    return right["method"] - right["baseline"], details


def assess_transfer(
    method: Any,
    baseline: Any,
    X: Any,
    y: Any,
    *,
    X_target: Any,
    y_target: Any = None,
    n_splits: int = 5,
    confidence: float = 0.95,
    label_free: str = "reverse",
    weighter: Any = None,
    random_state: Any = None,
) -> TransferAssessment:
    r"""Estimate the target-accuracy gain of ``method`` over ``baseline``, with an interval.

    See the module docstring for the two estimators (paired target cross-validation when
    ``y_target`` labels some target samples, paired importance-weighted source
    cross-validation otherwise) and the agreement bound :math:`|G| \le 1 - a` that both
    intervals are intersected with.

    Parameters
    ----------
    method, baseline : estimators
        Transfer classifiers (``fit(X, y, X_target=..., y_target=...)``) or plain
        scikit-learn classifiers (fitted on the source only). Both are cloned; the
        inputs are not modified. A typical ``baseline`` is
        :class:`~transferkit.SourceOnly` with the method's final classifier, or
        :class:`~transferkit.TargetOnly` when target labels are available.
    X, y : array-like
        Labelled source.
    X_target : array-like or TargetDomain
        Target samples.
    y_target : array-like, optional
        Target labels with ``-1`` for unlabelled samples. When some are labelled, the
        gain is estimated on them (target cross-validation); otherwise label-free.
    n_splits : int, default=5
        Cross-validation folds (capped by the rarest class).
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    label_free : {"reverse", "iwcv"}, default="reverse"
        Estimator used when no target sample is labelled (see the module docstring).
    weighter : BaseWeighter, optional
        Density-ratio estimator of the ``"iwcv"`` estimate (default
        :class:`~transferkit.instance.DiscriminativeDensityRatio`).
    random_state : int, RandomState or None
        Seeds the folds and the default weighter.

    Returns
    -------
    TransferAssessment

    Examples
    --------
    A source whose labels are unrelated to the target's hurts; a few target labels
    reveal it:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import SourceOnly, TargetOnly
    >>> from transferkit.negative import assess_transfer
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 2)); ys = (Xs[:, 1] > 0).astype(int)   # wrong rule
    >>> Xt = rng.normal(size=(200, 2)); yt_true = (Xt[:, 0] > 0).astype(int)
    >>> yt = np.where(np.arange(200) < 40, yt_true, -1)                  # 40 labels
    >>> a = assess_transfer(SourceOnly(LogisticRegression()), TargetOnly(LogisticRegression()),
    ...                     Xs, ys, X_target=Xt, y_target=yt, random_state=0)
    >>> a.verdict, a.evidence
    ('hurts', 'target_cv')
    """
    check_positive("n_splits", n_splits, integer=True)
    if n_splits < 2:
        raise TransferKitInputError(f"n_splits must be at least 2; got {n_splits}.")
    if not isinstance(confidence, float | int) or not 0.0 < float(confidence) < 1.0:
        raise TransferKitInputError(f"confidence must be in (0, 1); got {confidence!r}.")
    for name, model in (("method", method), ("baseline", baseline)):
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise TransferKitInputError(
                f"{name} must be an estimator with fit and predict; got {type(model).__name__}."
            )
    data = check_source_target(X, y, X_target, y_target)
    Xs, ys, Xt, yt = data.X, data.y, data.X_target, data.y_target
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))

    check_option("label_free", label_free, LABEL_FREE)
    if yt is not None and data.target_labelled.any():
        diffs, details = _target_label_differences(method, baseline, Xs, ys, Xt, yt, n_splits, seed)
        evidence = "target_cv"
    elif label_free == "reverse":
        diffs, details = _reverse_differences(method, baseline, Xs, ys, Xt, n_splits, seed)
        evidence = "reverse"
    else:
        diffs, details = _label_free_differences(
            method, baseline, Xs, ys, Xt, weighter, n_splits, seed
        )
        evidence = "iwcv"

    full_method = _fit(method, Xs, ys, Xt, yt)
    full_baseline = _fit(baseline, Xs, ys, Xt, yt)
    agreement = float(
        np.mean(_predict(full_method, Xt, "target") == _predict(full_baseline, Xt, "target"))
    )

    gain = float(diffs.mean())
    spread = float(diffs.std(ddof=1)) if diffs.size > 1 else 0.0
    half = float(stats.norm.ppf(0.5 + confidence / 2) * spread / np.sqrt(diffs.size))
    low, high = gain - half, gain + half
    verdict = "helps" if low > 0 else "hurts" if high < 0 else "uncertain"
    return TransferAssessment(
        gain=gain,
        interval=(float(low), float(high)),
        verdict=verdict,
        evidence=evidence,
        agreement=agreement,
        n_evaluated=int(diffs.size),
        confidence=float(confidence),
        details=details,
    )
