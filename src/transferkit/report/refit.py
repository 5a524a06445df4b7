"""Refit one recorded cell of a results file, for the figures that need the model.

A results file stores accuracies, not models or predictions. The report's t-SNE and
confusion matrices therefore rebuild the cell's estimator from the method registry
(``MethodSpec.build(seed, params)`` with the cell's seed and selected hyper-parameters)
and fit it again on the task's data, exactly as the runner did. The refit accuracy is
shown next to the recorded one, so a non-reproducible cell is visible in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["Refit", "adapted_features", "is_feature_mapping", "refit_cell"]


@dataclass
class Refit:
    """The outcome of refitting one (task, method, seed) cell.

    Attributes
    ----------
    method, task : str
    seed : int
    params : dict
        The hyper-parameters set on the estimator (those the cell recorded).
    accuracy : float
        Target accuracy of the refit model, in %.
    recorded : float or None
        The accuracy the results file holds for this cell, in %.
    predictions : ndarray
        Predicted target labels (every target sample).
    estimator : object
        The fitted estimator.
    scored : ndarray of int
        The target samples the accuracy is measured on: every one, or under a labelled
        target budget the ones not labelled (as the cell was scored).
    """

    method: str
    task: str
    seed: int
    params: dict[str, Any]
    accuracy: float
    recorded: float | None
    predictions: np.ndarray
    estimator: Any
    scored: np.ndarray | None = None


def _steps(estimator: Any) -> list[Any] | None:
    """The transfer steps of a pipeline (fitted ones when fitted), else None."""
    from transferkit.pipeline import TransferPipeline

    if not isinstance(estimator, TransferPipeline):
        return None
    steps = getattr(estimator, "steps_", None) or estimator.steps
    return [step for _, step in list(steps)[:-1]]


def is_feature_mapping(estimator: Any) -> bool:
    """Whether ``estimator`` maps features: an adapter, or a pipeline with an adapter step.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from transferkit import CORAL, SourceOnly, make_transfer_pipeline
    >>> is_feature_mapping(make_transfer_pipeline(CORAL(), LogisticRegression()))
    True
    >>> is_feature_mapping(SourceOnly(LogisticRegression()))
    False
    """
    from transferkit.base import BaseAdapter

    if isinstance(estimator, BaseAdapter):
        return True
    steps = _steps(estimator)
    return steps is not None and any(isinstance(s, BaseAdapter) for s in steps)


def adapted_features(estimator: Any, X_source: Any, X_target: Any) -> tuple[Any, Any] | None:
    """Source and target features after the fitted mapping of ``estimator`` (else None).

    An adapter maps with ``transform(X, domain=...)``; a pipeline applies its fitted
    adapters in order (weighters leave the features as they are), as at fit time.
    """
    from transferkit.base import BaseAdapter

    Zs, Zt = np.asarray(X_source), np.asarray(X_target)
    if isinstance(estimator, BaseAdapter):
        return estimator.transform(Zs, domain="source"), estimator.transform(Zt, domain="target")
    steps = _steps(estimator)
    if steps is None or not any(isinstance(s, BaseAdapter) for s in steps):
        return None
    for step in steps:
        if isinstance(step, BaseAdapter):
            Zs, Zt = step.transform(Zs, domain="source"), step.transform(Zt, domain="target")
    return Zs, Zt


def refit_cell(
    spec: Any,
    task: str,
    data: tuple[np.ndarray, ...],
    seed: int,
    params: dict[str, Any] | None = None,
    recorded: float | None = None,
    target_labels: Mapping[str, Any] | None = None,
) -> Refit:
    """Build ``spec``'s estimator with ``seed`` and ``params``, fit it on ``data``, predict.

    ``data`` is what the suite's loader gives: ``(Xs, ys, Xt, yt)`` or, with several
    sources, ``(Xs, ys, Xt, yt, sample_domain)``. ``target_labels`` is the cell's
    labelled target budget (``{"fraction": F}`` or ``{"per_class": K}``): it is drawn
    with the cell's seed as the runner drew it, a method that learns from target labels
    is fitted with them, and the accuracy is measured on the other target samples.
    """
    Xs, ys, Xt, yt = data[:4]
    kwargs: dict[str, Any] = {} if len(data) < 5 else {"sample_domain": data[4]}
    scored = np.arange(len(yt))
    if target_labels:
        from transferkit.experiments.cell import draw_budget

        labelled, scored = draw_budget(np.asarray(yt), target_labels, seed)
        if len(labelled) and spec.uses_target_labels:
            y_partial = np.full(len(yt), -1, dtype=np.asarray(yt).dtype)
            y_partial[labelled] = np.asarray(yt)[labelled]
            kwargs["y_target"] = y_partial
    estimator = spec.build(seed, params or {})
    estimator.fit(Xs, ys, X_target=Xt, **kwargs)
    predictions = np.asarray(estimator.predict(Xt))
    if predictions.shape != np.shape(yt):
        raise TransferKitInputError(
            f"{spec.name}.predict returned shape {predictions.shape}; expected {np.shape(yt)}."
        )
    return Refit(
        method=spec.name,
        task=task,
        seed=int(seed),
        params=dict(params or {}),
        accuracy=100.0 * float(np.mean(predictions[scored] == np.asarray(yt)[scored])),
        recorded=recorded,
        predictions=predictions,
        estimator=estimator,
        scored=scored,
    )
