"""One cell: select the hyper-parameters, fit, predict the target, record everything.

This is the only place a cell is run, by ``transferkit run`` and ``transferkit bench``
alike, sequentially or on a Ray worker. A failing method never raises: the cell is
recorded with ``status="error"``, its error type and message (``KeyboardInterrupt``
still stops the run).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.experiments.budget import draw_labelled_per_class, draw_target_labels

__all__ = [
    "CellResult",
    "draw_labelled_per_class",
    "draw_budget",
    "draw_target_labels",
    "jsonable",
    "macro_f1",
    "run_cell",
]


@dataclass
class CellResult:
    """The outcome of one (task, method, seed) cell.

    ``accuracy`` is the target accuracy in % and ``macro_f1`` the macro-averaged F1
    score in % (:func:`macro_f1`), both on the same scored target samples;
    ``fit_seconds`` the wall time of ``fit`` of the selected configuration (selection
    time is in ``selection_seconds``); memory figures are described in
    :mod:`transferkit.bench._measure`. ``params`` holds the fixed parameters of the cell
    and those the selection rule chose; a failed cell has ``error_type`` (the exception
    class) and ``error`` (``"Type: message"``). ``ran_on`` says where a Ray task ran
    (``node_id``, the node's ``ip``, ``host``, ``pid``); it is run metadata, absent from
    sequential runs and from every results table.
    """

    task: str
    method: str
    seed: int
    status: str
    accuracy: float | None = None
    macro_f1: float | None = None
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    peak_traced_bytes: int | None = None
    peak_rss_delta_bytes: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    finished_at: str = ""
    ran_on: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        """``(task, method, seed)``."""
        return (self.task, self.method, self.seed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON cell of a results file (``ran_on`` only when known)."""
        record = asdict(self)
        if record["ran_on"] is None:
            del record["ran_on"]
        return record


def now() -> str:
    """The current UTC time, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars, tuples and unknown objects made JSON-friendly."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return repr(value)


def _source_ids(method: Any, data: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """The ``sample_domain`` that ``method`` is fitted with (``None``: one pooled source)."""
    if not getattr(method, "multi_source", False):
        return None
    ids = data[4] if len(data) > 4 else None
    n_sources = 0 if ids is None else int(np.unique(np.asarray(ids)[np.asarray(ids) >= 0]).size)
    if n_sources < 2:
        raise TransferKitInputError(
            f"{method.name} is a multi-source method and this task has one source domain "
            "(no sample_domain with two or more source ids); run it on a "
            "multi-source suite (e.g. office_caltech_surf_multi, amazon_multi) or an arrays "
            "file with a sample_domain array naming at least two sources."
        )
    return ids


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The macro-averaged F1 score in % (the unit of a cell's accuracy).

    .. math::

        \\mathrm{F1}_{\\text{macro}} = \\frac{100}{|C|} \\sum_{c \\in C}
        \\frac{2\\,\\mathrm{TP}_c}{2\\,\\mathrm{TP}_c + \\mathrm{FP}_c + \\mathrm{FN}_c},

    ``C`` the classes in ``y_true`` or ``y_pred``: ``100 * sklearn.metrics.f1_score(y_true,
    y_pred, average="macro")``, a class never predicted nor present counting 0 (no warning).

    Examples
    --------
    >>> round(macro_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])), 2)
    73.33
    """
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape or y_true.size == 0:
        raise TransferKitInputError(
            f"macro_f1: y_true and y_pred must be non-empty 1-D arrays of the same length; "
            f"got shapes {y_true.shape} and {y_pred.shape}. Pass one prediction per scored "
            "sample."
        )
    return 100.0 * float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def draw_budget(
    y_target: np.ndarray, target_labels: Mapping[str, Any], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled and held-out target indices of a budget ``{"fraction": F}`` or
    ``{"per_class": K}`` (:func:`draw_target_labels`, :func:`draw_labelled_per_class`)."""
    if set(target_labels) == {"fraction"}:
        return draw_target_labels(y_target, target_labels["fraction"], seed)
    if set(target_labels) == {"per_class"}:
        return draw_labelled_per_class(y_target, target_labels["per_class"], seed)
    raise TransferKitInputError(
        f"target_labels={dict(target_labels)!r}: give exactly one of fraction or per_class, "
        "e.g. {'fraction': 0.05} or {'per_class': 5}."
    )


def run_cell(
    task_name: str,
    data: tuple[np.ndarray, ...],
    method: Any,
    seed: int,
    select: str,
    memory: str,
    fixed_params: dict[str, Any] | None = None,
    target_labels: Mapping[str, Any] | None = None,
) -> CellResult:
    """Run one cell of ``method`` (a :class:`~transferkit.bench.MethodSpec`) on ``data``.

    ``data`` is ``(Xs, ys, Xt, yt)`` or, with several source domains, ``(Xs, ys, Xt, yt,
    sample_domain)``: the ids reach ``fit`` and the selectors of a multi-source method
    (``method.multi_source``); a single-source method is fitted on the sources pooled as
    one, and a multi-source method given one source fails the cell with a clear error
    (``make_plan`` refuses that pairing before any cell runs when it can tell). The
    selector named
    ``select`` chooses among the method's ``param_grid`` (target labels only reach it
    when it declares ``uses_target_labels``, i.e. ``oracle``).

    With ``target_labels`` (a labelled target budget: ``{"fraction": F}`` or
    ``{"per_class": K}``), :func:`draw_target_labels` or
    :func:`draw_labelled_per_class` draws the labelled target samples with the cell's
    seed; a method registered with ``uses_target_labels`` is fitted with ``y_target``
    holding their labels (``-1`` elsewhere), every other method is fitted as without a
    budget (all target features, no target labels), and accuracy and macro-F1 are
    measured on the held-out target samples only. ``{"per_class": 0}`` labels nothing:
    the cell is fitted as without a budget and scored on every target sample.
    Label-free selectors see the target features; the oracle fits every candidate as
    the cell fits the method (with the labelled budget when the method learns from
    target labels) and scores it on the held-out samples the cell is scored on (an
    upper bound, as without a budget); and a selector registered with
    ``uses_labelled_target`` (``target_cv``) the labelled budget only (``-1``
    elsewhere); such a selector fails the cell when nothing is labelled.
    """
    from transferkit.bench._measure import measure
    from transferkit.bench.selection import (
        SelectorInput,
        candidate_params,
        get_selector,
        run_selector,
    )

    Xs, ys, Xt, yt = data[:4]
    fixed = dict(fixed_params or {})
    selection: dict[str, Any] = {"selector": select}
    try:
        sample_domain = _source_ids(method, data)
        domain_kwargs = {} if sample_domain is None else {"sample_domain": sample_domain}
        labels_kwargs: dict[str, Any] = {}
        scored = np.arange(len(yt))
        y_partial = None
        if target_labels is not None:
            labelled, scored = draw_budget(yt, target_labels, seed)
            selection["target_labelled"] = len(labelled)
            if len(labelled):
                y_partial = np.full(len(yt), -1, dtype=np.asarray(yt).dtype)
                y_partial[labelled] = yt[labelled]
                if method.uses_target_labels:
                    labels_kwargs["y_target"] = y_partial
        selector = get_selector(select)
        if selector.uses_labelled_target and y_partial is None:
            raise TransferKitInputError(
                f"selection {select!r} chooses on the labelled target samples, and this cell "
                f"has none (target_labels={target_labels!r}); give a labelled target budget "
                "({'fraction': F} or {'per_class': K} with K > 0) or a label-free rule."
            )
        candidates = candidate_params(method)
        if select == "none" or candidates == [{}]:
            params: dict[str, Any] = {}
            if select != "none":
                selection["note"] = "method has no param_grid: defaults used"
        else:
            problem = SelectorInput(
                method=method,
                candidates=candidates,
                X=Xs,
                y=ys,
                X_target=Xt,
                # every target label (oracle), the labelled budget (target_cv) or none
                y_target=(
                    yt
                    if selector.uses_target_labels
                    else y_partial
                    if selector.uses_labelled_target
                    else None
                ),
                sample_domain=sample_domain,
                random_state=seed,
                fit_y_target=labels_kwargs.get("y_target"),
                scored=None if target_labels is None else scored,
            )
            t0 = time.perf_counter()
            params, info = run_selector(selector, problem)
            selection.update(
                seconds=time.perf_counter() - t0,
                n_candidates=len(candidates),
                uses_target_labels=selector.uses_target_labels,
                info=jsonable(info),
            )
        estimator = method.build(seed, params)
        with measure(
            trace_memory=memory in ("both", "tracemalloc"), rss=memory in ("both", "rss")
        ) as m:
            t0 = time.perf_counter()
            estimator.fit(Xs, ys, X_target=Xt, **domain_kwargs, **labels_kwargs)
            fit_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            predicted = np.asarray(estimator.predict(Xt))
            predict_seconds = time.perf_counter() - t0
        if predicted.shape != yt.shape:
            raise TransferKitInputError(
                f"{method.name}.predict returned shape {predicted.shape}; expected {yt.shape}."
            )
        accuracy = 100.0 * float(np.mean(predicted[scored] == yt[scored]))
        f1 = macro_f1(yt[scored], predicted[scored])
        return CellResult(
            task=task_name,
            method=method.name,
            seed=seed,
            status="ok",
            accuracy=accuracy,
            macro_f1=f1,
            fit_seconds=fit_seconds,
            predict_seconds=predict_seconds,
            peak_traced_bytes=m.peak_traced_bytes,
            peak_rss_delta_bytes=m.peak_rss_delta_bytes,
            params=jsonable({**fixed, **params}),
            selection=selection,
            finished_at=now(),
        )
    except Exception as exc:  # one broken method must not stop the whole run
        return CellResult(
            task=task_name,
            method=method.name,
            seed=seed,
            status="error",
            params=jsonable(fixed),
            selection=selection,
            error=f"{type(exc).__name__}: {exc}",
            error_type=type(exc).__name__,
            finished_at=now(),
        )
