"""One cell: select the hyper-parameters, fit, predict the target, record everything.

This is the only place a cell is run, by ``transferkit run`` and ``transferkit bench``
alike, sequentially or on a Ray worker. A failing method never raises: the cell is
recorded with ``status="error"``, its error type and message (``KeyboardInterrupt``
still stops the run).
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["CellResult", "draw_target_labels", "jsonable", "run_cell"]


@dataclass
class CellResult:
    """The outcome of one (task, method, seed) cell.

    ``accuracy`` is the target accuracy in %; ``fit_seconds`` the wall time of ``fit``
    of the selected configuration (selection time is in ``selection_seconds``);
    memory figures are described in :mod:`transferkit.bench._measure`. ``params`` holds
    the fixed parameters of the cell and those the selection rule chose; a failed cell
    has ``error_type`` (the exception class) and ``error`` (``"Type: message"``).
    ``ran_on`` says where a Ray task ran (``node_id``, the node's ``ip``, ``host``,
    ``pid``); it is run metadata, absent from sequential runs and from every results
    table.
    """

    task: str
    method: str
    seed: int
    status: str
    accuracy: float | None = None
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


def draw_target_labels(
    y_target: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled and the held-out target indices of a labelled target budget.

    ``fraction`` of the target samples, stratified by class, drawn with
    ``train_test_split(arange(n), train_size=fraction, stratify=y_target,
    random_state=seed)`` (``benchmarks/instance_amazon_tradaboost.py``'s draw).

    Examples
    --------
    >>> lab, test = draw_target_labels(np.array([0, 1] * 10), 0.2, seed=0)
    >>> len(lab), len(test), sorted(np.array([0, 1] * 10)[lab].tolist())
    (4, 16, [0, 0, 1, 1])
    """
    from sklearn.model_selection import train_test_split

    y_target = np.asarray(y_target)
    try:
        labelled, held_out = train_test_split(
            np.arange(len(y_target)), train_size=fraction, stratify=y_target, random_state=seed
        )
    except ValueError as exc:
        counts = dict(zip(*np.unique(y_target, return_counts=True), strict=True))
        raise TransferKitInputError(
            f"target_labels.fraction={fraction}: cannot draw a stratified labelled sample "
            f"from this target ({len(y_target)} samples, class counts "
            f"{jsonable(counts)}): {exc} Use a fraction that gives every class at least "
            "one labelled and one held-out sample."
        ) from None
    return np.asarray(labelled), np.asarray(held_out)


def run_cell(
    task_name: str,
    data: tuple[np.ndarray, ...],
    method: Any,
    seed: int,
    select: str,
    memory: str,
    fixed_params: dict[str, Any] | None = None,
    target_fraction: float | None = None,
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

    With ``target_fraction`` (a labelled target budget), :func:`draw_target_labels`
    draws the labelled target samples with the cell's seed; a method registered with
    ``uses_target_labels`` is fitted with ``y_target`` holding their labels (``-1``
    elsewhere), every other method is fitted as without a budget (all target features,
    no target labels), and accuracy is measured on the held-out target samples only.
    Selection is unchanged: label-free selectors see the target features, the oracle
    every target label (an upper bound, as without a budget).
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
        if target_fraction is not None:
            labelled, scored = draw_target_labels(yt, target_fraction, seed)
            selection["target_labelled"] = len(labelled)
            if method.uses_target_labels:
                y_partial = np.full(len(yt), -1, dtype=np.asarray(yt).dtype)
                y_partial[labelled] = yt[labelled]
                labels_kwargs["y_target"] = y_partial
        selector = get_selector(select)
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
                y_target=yt if selector.uses_target_labels else None,
                sample_domain=sample_domain,
                random_state=seed,
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
        return CellResult(
            task=task_name,
            method=method.name,
            seed=seed,
            status="ok",
            accuracy=accuracy,
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
