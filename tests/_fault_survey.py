"""Measure the fault table: every public estimator against a list of bad inputs.

Each case is run for real and its outcome is classified:

* ``clear error`` -- a transferkit error (:class:`~transferkit.TransferKitInputError` and
  its subclasses) or scikit-learn's ``NotFittedError``, with its message;
* ``works`` -- the call returned, and what it returned is finite (labels from the
  source classes, weights non-negative);
* ``UNCLEAR`` -- anything else (a foreign exception, a non-finite result): a defect.

``tests/test_fault_survey.py`` asserts that no case is UNCLEAR; running this file as a
script regenerates the measured section of ``docs/reliability.md``::

    PYTHONPATH=src python tests/_fault_survey.py
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import NotFittedError

from transferkit import TransferKitInputError
from transferkit._discovery import all_estimators
from transferkit.base import BaseAdapter, BaseTransferClassifier, BaseWeighter

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- BEGIN measured estimator rows -->", "<!-- END measured estimator rows -->"
CLI_BEGIN, CLI_END = "<!-- BEGIN measured CLI rows -->", "<!-- END measured CLI rows -->"
CALL_BEGIN, CALL_END = "<!-- BEGIN measured call rows -->", "<!-- END measured call rows -->"

Data = tuple[object, object, object, object]  # Xs, ys, Xt, yt (partial target labels)


def clean_data(n_features: int = 3) -> Data:
    """60 source and 45 target samples of three shifted classes (seeded)."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [0.0, 3.0, -1.0]])[:, :n_features]
    ys = np.repeat([0, 1, 2], 20)
    yt_full = np.repeat([0, 1, 2], 15)
    Xs = centres[ys] + rng.normal(scale=0.6, size=(60, n_features))
    Xt = 1.5 * (centres[yt_full] + rng.normal(scale=0.6, size=(45, n_features))) + 2.0
    yt = np.full(45, -1)
    yt[::3] = yt_full[::3]
    return Xs, ys, Xt, yt


def _set(data: Data, index: int, value: object) -> Data:
    out = list(data)
    out[index] = value
    return tuple(out)  # type: ignore[return-value]


def _nan(a):
    a = np.array(a, dtype=float)
    a[0, 0] = np.nan
    return a


def _inf(a):
    a = np.array(a, dtype=float)
    a[1, 0] = np.inf
    return a


def _strings(a):
    a = np.array(a, dtype=object)
    a[0, 0] = "abc"
    return a


#: name -> function of clean data returning the bad data (fit is then called on it)
FIT_CASES: dict[str, Callable[[Data], Data]] = {
    "NaN in X (source)": lambda d: _set(d, 0, _nan(d[0])),
    "inf in X_target": lambda d: _set(d, 2, _inf(d[2])),
    "1-D X (source)": lambda d: _set(d, 0, np.asarray(d[0])[:, 0]),
    "3-D X_target": lambda d: _set(d, 2, np.asarray(d[2])[:, :, None]),
    "empty X (source), 0 rows": lambda d: (np.asarray(d[0])[:0], np.asarray(d[1])[:0], *d[2:]),
    "empty X_target, 0 rows": lambda d: (*d[:2], np.asarray(d[2])[:0], np.asarray(d[3])[:0]),
    "no features (n, 0)": lambda d: (
        np.asarray(d[0])[:, :0],
        d[1],
        np.asarray(d[2])[:, :0],
        d[3],
    ),
    "mismatched feature counts": lambda d: _set(d, 2, np.asarray(d[2])[:, :2]),
    "string in X (source)": lambda d: _set(d, 0, _strings(d[0])),
    "complex X (source)": lambda d: _set(d, 0, np.asarray(d[0]) + 1j),
    "single source class": lambda d: _set(d, 1, np.zeros(60, dtype=int)),
    "continuous labels y": lambda d: _set(d, 1, np.linspace(0.1, 0.9, 60)),
    "NaN label in y": lambda d: _set(d, 1, np.r_[np.nan, np.asarray(d[1], dtype=float)[1:]]),
    "float labels >= 2**63 in y": lambda d: _set(d, 1, np.asarray(d[1]) * 1e20),
    "y one label too long": lambda d: _set(d, 1, np.r_[d[1], 0]),
    "y 2-D (n, 2)": lambda d: _set(d, 1, np.c_[d[1], d[1]]),
    "y missing (None)": lambda d: _set(d, 1, None),
    "unknown class in y_target": lambda d: _set(d, 3, np.r_[7, np.asarray(d[3])[1:]]),
    "y_target one label too long": lambda d: _set(d, 3, np.r_[d[3], -1]),
    "X_target missing (None)": lambda d: (*d[:2], None, None),
    "sparse X (source)": lambda d: _set(d, 0, __import__("scipy.sparse").sparse.csr_matrix(d[0])),
    "every row three times": lambda d: (
        np.repeat(np.asarray(d[0])[::3], 3, axis=0),
        np.repeat(np.asarray(d[1])[::3], 3),
        *d[2:],
    ),
    "one target sample": lambda d: (*d[:2], np.asarray(d[2])[:1], np.asarray(d[3])[:1]),
    "values of order 1e-200 (both domains)": lambda d: (
        np.asarray(d[0]) * 1e-200,
        d[1],
        np.asarray(d[2]) * 1e-200,
        d[3],
    ),
    "constant feature column": lambda d: (
        np.c_[d[0], np.ones(60)],
        d[1],
        np.c_[d[2], np.ones(45)],
        d[3],
    ),
}


@dataclass(frozen=True)
class Outcome:
    """One measured row: estimator, case, verdict and the message seen."""

    estimator: str
    case: str
    verdict: str  # "clear error", "works" or "UNCLEAR"
    detail: str


def _first_sentence(text: str, limit: int = 180) -> str:
    text = re.sub(r"[│╭╮╯╰─]", "", str(text))  # click's error box
    text = " ".join(text.split())
    text = re.sub(r"/\S*/", "…/", text)  # no machine paths in the docs
    cut = re.search(r"(?<=[a-z0-9)\]'`])\. (?=[A-Z])", text)
    if cut and cut.start() < limit:
        text = text[: cut.start() + 1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run_after_fit(est, X_new) -> str | None:
    """Use the fitted estimator; return a problem description, or None when all is finite."""
    if isinstance(est, BaseAdapter):
        out = np.asarray(est.transform(X_new))
        return None if np.all(np.isfinite(out)) else "transform returned non-finite values"
    if isinstance(est, BaseWeighter):
        w = np.asarray(est.weights_)
        return None if np.all(np.isfinite(w)) and np.all(w >= 0) else "weights not finite"
    if isinstance(est, BaseTransferClassifier):
        pred = np.asarray(est.predict(X_new))
        return None if set(np.unique(pred)) <= set(est.classes_) else "predicted unknown class"
    return None  # pragma: no cover


def classify(call: Callable[[], str | None], estimator: str, case: str) -> Outcome:
    """Run ``call`` and classify what happened."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem = call()
    except (TransferKitInputError, NotFittedError) as exc:
        kind = type(exc).__name__
        return Outcome(estimator, case, "clear error", f"`{kind}`: {_first_sentence(exc)}")
    except Exception as exc:
        return Outcome(
            estimator, case, "UNCLEAR", f"`{type(exc).__name__}`: {_first_sentence(exc)}"
        )
    if problem:
        return Outcome(estimator, case, "UNCLEAR", problem)
    return Outcome(estimator, case, "works", "")


def estimator_cases(build: Callable[[type], object], as_images: Callable) -> list[Outcome]:
    """Every estimator against every case of :data:`FIT_CASES`, plus use before fit."""
    outcomes = []
    for name, cls in all_estimators():
        for case, make in FIT_CASES.items():
            est = build(cls)

            def call(est=est, make=make, case=case):
                Xs, ys, Xt, yt = make(clean_data())
                Xs, Xt = _tile(est, as_images, Xs, Xt)
                if not getattr(est, "_requires_target_labels", False):
                    yt = yt if case in TARGET_LABEL_CASES else None
                est.fit(Xs, ys, X_target=Xt, y_target=yt)
                usable = Xt is not None and np.ndim(Xt) == 2 and len(Xt) > 0
                X_new = Xt if usable else _tile(est, as_images, clean_data()[2])[0]
                return _run_after_fit(est, X_new)

            outcomes.append(classify(call, name, case))
        est = build(cls)
        before = _tile(est, as_images, clean_data()[2])[0]
        outcomes.append(classify(lambda est=est, X=before: _use(est, X), name, "use before fit"))
    return outcomes


TARGET_LABEL_CASES = {"unknown class in y_target", "y_target one label too long"}


def _use(est, X):
    for method in ("predict", "transform", "compute_weights"):
        if hasattr(est, method):
            getattr(est, method)(X)
    return None


def _tile(est, as_images, *arrays):
    """Image models get the test rows tiled to images; malformed arrays stay as they are."""
    if all(isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype.kind == "f" for a in arrays):
        return as_images(est, *arrays)
    return arrays


def group_rows(outcomes: list[Outcome]) -> list[tuple[str, str, str]]:
    """``(entry points, input, what happens)``, estimators with one outcome merged."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for o in outcomes:
        detail = o.detail.replace(f"This {o.estimator} instance", "This <estimator> instance")
        groups.setdefault((o.case, o.verdict, detail), []).append(o.estimator)
    order = {case: i for i, case in enumerate([*FIT_CASES, "use before fit"])}
    rows = []
    n_all = len({o.estimator for o in outcomes})
    for (case, verdict, detail), names in sorted(
        groups.items(), key=lambda kv: (order[kv[0][0]], -len(kv[1]), kv[1])
    ):
        who = f"all {n_all} estimators" if len(names) == n_all else ", ".join(names)
        what = verdict if not detail else f"{verdict}: {detail}"
        rows.append((who, case, what.replace("|", "\\|")))
    return rows


def render(rows: list[tuple[str, str, str]]) -> str:
    lines = [BEGIN, "", "| entry point | input | what happens |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join([*lines, "", END])


def _estimator(name: str, **params):
    return dict(all_estimators())[name](**params)


def _fit(name: str, *, scale: float = 1.0, **params):
    from sklearn.linear_model import LogisticRegression

    Xs, ys, Xt, yt = clean_data()
    est = _estimator(name, **params)
    if "estimator" in est.get_params() and est.get_params()["estimator"] is None:
        est.set_params(estimator=LogisticRegression())
    return est.fit(np.asarray(Xs) * scale, ys, X_target=np.asarray(Xt) * scale, y_target=yt)


def _memory_limit(value: str):
    import os

    from transferkit._validation import available_memory_bytes

    old = os.environ.get("TRANSFERKIT_MEMORY_LIMIT")
    os.environ["TRANSFERKIT_MEMORY_LIMIT"] = value
    try:
        available_memory_bytes()
    finally:
        if old is None:
            del os.environ["TRANSFERKIT_MEMORY_LIMIT"]
        else:
            os.environ["TRANSFERKIT_MEMORY_LIMIT"] = old


def _kmm_qp_too_large():
    import os

    rng = np.random.default_rng(0)
    old = os.environ.get("TRANSFERKIT_MEMORY_LIMIT")
    os.environ["TRANSFERKIT_MEMORY_LIMIT"] = "1G"
    try:
        _estimator("KMM", solver="qp").fit(rng.normal(size=(30_000, 2)), X_target=np.ones((5, 2)))
    finally:
        if old is None:
            del os.environ["TRANSFERKIT_MEMORY_LIMIT"]
        else:
            os.environ["TRANSFERKIT_MEMORY_LIMIT"] = old


#: (entry point, input, call): hyper-parameters and settings, one call each. A call
#: returns nothing when it works; a row joins here once its fix is on main.
CALL_CASES: list[tuple[str, str, Callable[[], object]]] = [
    ("`KMM.fit`", "`max_iter=10**12` (ran forever)", lambda: _fit("KMM", max_iter=10**12)),
    (
        "`TrAdaBoost.fit`",
        "`n_estimators=10**12`",
        lambda: _fit("TrAdaBoost", n_estimators=10**12),
    ),
    (
        "`SubspaceAlignmentSVC.fit`",
        "`max_iter=10**12` (OverflowError in libsvm)",
        lambda: _fit("SubspaceAlignmentSVC", max_iter=10**12),
    ),
    ("`ULSIF.fit`", '`sigma="bogus"`', lambda: _fit("ULSIF", sigma="bogus")),
    ("`CORAL.fit`", "inputs scaled by 1e200 (LAPACK error)", lambda: _fit("CORAL", scale=1e200)),
    (
        "`TCA.fit`",
        'inputs scaled by 1e200 ("exceeds the rank 0")',
        lambda: _fit("TCA", scale=1e200),
    ),
    ("`TCA.fit`", "inputs scaled by 1e-200", lambda: _fit("TCA", scale=1e-200)),
    ("`KMM.fit`", '`solver="qp"`, 30,000 samples, 1 GiB budget', _kmm_qp_too_large),
    ("`TRANSFERKIT_MEMORY_LIMIT`", '`"lots"`', lambda: _memory_limit("lots")),
    ("`TRANSFERKIT_MEMORY_LIMIT`", '`"inf"` (was OverflowError)', lambda: _memory_limit("inf")),
    ("`TRANSFERKIT_MEMORY_LIMIT`", '`"-1"` (was a 0-byte budget)', lambda: _memory_limit("-1")),
    ("`KMM.fit`", "constant data (named a `bandwidth=` that does not exist)", lambda: _kmm_const()),
    ("`ImportanceWeighted.predict`", "before `fit`", lambda: _iw().predict(np.ones((3, 3)))),
    ("`ImportanceWeighted.fit`", "`y_target` one label too long", lambda: _iw_fit(46)),
    ("`ImportanceWeighted.fit`", "`y_target` naming an unknown class", lambda: _iw_fit(7)),
    ("`run_experiment`", "a config that is not YAML", lambda: _run_config("data: [\n")),
    (
        "`run_experiment`",
        "an unknown config key",
        lambda: _run_config("data: [{suite: digits}]\nmethods: [pca]\nworker: 2\n"),
    ),
    (
        "`run_experiment`",
        "a multi-source method on a single-source suite",
        lambda: _run_config("data: [{suite: digits}]\nmethods: [weighted_ensemble_logreg]\n"),
    ),
    (
        "`run_experiment`",
        "`target_labels: {fraction: 1.5}`",
        lambda: _run_config(
            "data: [{suite: digits}]\nmethods: [pca]\ntarget_labels: {fraction: 1.5}\n"
        ),
    ),
    (
        "`run_experiment`",
        "a method that learns from target labels, no `target_labels`",
        lambda: _run_config("data: [{suite: digits}]\nmethods: [tradaboost]\n"),
    ),
    (
        "`draw_target_labels`",
        "a fraction too small for a stratified draw",
        lambda: _draw_target_labels(np.repeat([0, 1, 2], 10), 0.05),
    ),
    (
        "`draw_labelled_per_class`",
        "a class with fewer than `per_class + 1` samples",
        lambda: _draw_per_class(np.repeat([0, 1, 2], [10, 10, 3]), 3),
    ),
    (
        "`draw_labelled_per_class`",
        "`per_class=-1`",
        lambda: _draw_per_class(np.repeat([0, 1], 5), -1),
    ),
    (
        "`draw_labelled_per_class`",
        "NaN in `y_target`",
        lambda: _draw_per_class(np.array([0.0, 1.0, np.nan, 1.0, 0.0]), 1),
    ),
    (
        "`draw_labelled_per_class`",
        "2-D `y_target`",
        lambda: _draw_per_class(np.zeros((6, 2)), 1),
    ),
    (
        "`macro_f1`",
        "`y_pred` shorter than `y_true`",
        lambda: _macro_f1(np.array([0, 1, 1]), np.array([0, 1])),
    ),
    (
        "`run_experiment`",
        "`target_labels: {fraction: 0.1, per_class: 2}` (both)",
        lambda: _run_config(
            "data: [{suite: digits}]\nmethods: [pca]\n"
            "target_labels: {fraction: 0.1, per_class: 2}\n"
        ),
    ),
    (
        "`run_experiment`",
        "`selection: target_cv` without `target_labels`",
        lambda: _run_config("data: [{suite: digits}]\nmethods: [pca]\nselection: target_cv\n"),
    ),
    (
        "`run_experiment`",
        "`target_labels: {per_class: [1, -2]}`",
        lambda: _run_config(
            "data: [{suite: digits}]\nmethods: [pca]\ntarget_labels: {per_class: [1, -2]}\n"
        ),
    ),
    (
        "`run_experiment`",
        "NaN in the arrays file",
        lambda: _run_config("data: [{arrays: task.npz}]\nmethods: [source_only]\n", _nan_task()),
    ),
    (
        "`transferkit.datasets.read_whited`",
        '`calibration="README"` (not a known calibration)',
        lambda: _read_whited(calibration="README"),
    ),
    (
        "`transferkit.nilm.load_cross_country`",
        "`n_points=0`",
        lambda: _load_cross_country(n_points=0),
    ),
    (
        "`transferkit.nilm.load_cross_country`",
        "`label_map` that leaves no shared class",
        lambda: _load_cross_country(
            label_map={"AC": "x", "Fridge": "y", "Water kettle": "z", "LaptopCharger": "w"}
        ),
    ),
    (
        "`transferkit.nilm.vi_cnn_features`",
        "images with NaN",
        lambda: _vi_cnn_features(np.full((2, 32, 32), np.nan)),
    ),
    (
        "`transferkit.nilm.vi_cnn_features`",
        "flat rows (2-D) instead of images",
        lambda: _vi_cnn_features(np.zeros((2, 1024))),
    ),
    (
        "`run_experiment`",
        "`nilm: {dataset: plaid_hfhadc, features: resnet}` (unknown feature set)",
        lambda: _run_config(
            "data: [{nilm: {dataset: plaid_hfhadc, features: resnet}}]\nmethods: [source_only]\n"
        ),
    ),
    ("`write_results_report`", "a folder that does not exist", lambda: _report("missing")),
    ("`write_results_report`", "an empty folder", lambda: _report("empty")),
    ("`write_results_report`", "a truncated results file", lambda: _report("truncated")),
    ("`write_results_report`", "only failed cells", lambda: _report("failed")),
    ("`write_results_report`", "`max_samples=5`", lambda: _report("empty", max_samples=5)),
    (
        "`tracking: {name: mlflow}`",
        "`tracking_uri` of MLflow's plain-folder store, no opt-in",
        lambda: _mlflow(tracking_uri="file:///nonexistent/mlruns"),
    ),
    ("`tracking: {name: mlflow}`", "an unknown option `uri`", lambda: _mlflow(uri="x")),
    ("`tracking: {name: mlflow}`", "`experiment_name: 3`", lambda: _mlflow(experiment_name=3)),
    ("`FederatedFineTune.fit`", '`policy="bogus"`', lambda: _fed_fit(policy="bogus")),
    ("`FederatedFineTune.fit`", '`local_batchnorm="yes"`', lambda: _fed_fit(local_batchnorm="yes")),
    ("`FederatedFineTune.fit`", "`image_shape=(1, 8)`", lambda: _fed_fit(image_shape=(1, 8))),
    ("`FederatedFineTune.fit`", "one client", lambda: _fed_fit(n_clients=1)),
    ("`FederatedFineTune.fit`", "a client's `X` with NaN", lambda: _fed_fit(nan=True)),
    ("`FederatedFineTune.fit`", "`X` rows of the wrong size", lambda: _fed_fit(n_features=10)),
    ("`FederatedFineTune.fit`", "all labels one class", lambda: _fed_fit(one_class=True)),
    (
        "`transferkit.datasets.view_windows_between`",
        "`source=10` (not the start of a 45-degree window)",
        lambda: _view_windows(10, 90),
    ),
    (
        "`transferkit.datasets.view_windows_between`",
        "source and target the same window",
        lambda: _view_windows(90, 90),
    ),
    (
        "`transferkit.finetune.cache.pretrain_key`",
        "`X` a NumPy array (not image tensors)",
        lambda: _pretrain_key(np.zeros((4, 1, 2, 2)), np.zeros(4)),
    ),
    (
        "`transferkit.finetune.cache.pretrain_key`",
        "one label too few",
        lambda: _pretrain_key("tensor", np.zeros(3)),
    ),
    (
        "`transferkit.finetune.cache.pretrain_key`",
        "`settings` a list",
        lambda: _pretrain_key("tensor", np.zeros(4), settings=[1]),
    ),
    (
        "`FederatedFineTune.predict`",
        "before `fit`",
        lambda: _fed().predict(np.zeros((2, 64)), client=0),
    ),
    (
        "`transferkit.bench.deep_entries.deep_factory`",
        '`estimator="M3SDA"` (not buildable from settings)',
        lambda: _deep_factory("M3SDA"),
    ),
    (
        "`transferkit.bench.deep_entries.deep_factory`",
        "`random_state` among the settings",
        lambda: _deep_factory("DANN", random_state=1),
    ),
    (
        "`transferkit.bench.deep_entries.deep_factory`",
        "a setting that is no parameter (`epoch=10`), at build",
        lambda: _deep_factory("DANN", epoch=10)(0),
    ),
    (
        "`transferkit.bench.deep_entries.register_deep_method`",
        "`settings` a list of pairs",
        lambda: _register_deep_method([("epochs", 1)]),
    ),
    (
        "`run_experiment`",
        "a `digits_pixels` LeNet entry on the `digits` suite",
        lambda: _run_config("data: [{suite: digits}]\nmethods: [dann_lenet_digits]\n"),
    ),
]


def _deep_factory(estimator, **settings):
    from transferkit.bench.deep_entries import deep_factory

    return deep_factory(estimator, **settings)


def _register_deep_method(settings):
    from transferkit.bench.deep_entries import register_deep_method

    register_deep_method("survey_deep", "DANN", settings=settings, description="x")


def _pretrain_key(X, y, settings=None):
    import torch

    from transferkit.finetune.cache import pretrain_key

    X = torch.zeros(4, 1, 2, 2) if isinstance(X, str) else X
    pretrain_key(X, y, {} if settings is None else settings)


def _view_windows(source, target):
    from transferkit.datasets import view_windows_between

    view_windows_between(source, target)


def _run_config(text: str, arrays: dict | None = None):
    """``run_experiment`` on a config file holding ``text`` (and a ``task.npz``)."""
    import tempfile
    from pathlib import Path

    from transferkit.experiments import run_experiment

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "experiment.yaml"
        path.write_text(text)
        if arrays is not None:
            np.savez(Path(folder) / "task.npz", **arrays)
        run_experiment(path, output_dir=Path(folder) / "out", verbose=False)


def _vi_cnn_features(images):
    from transferkit.nilm import vi_cnn_features

    vi_cnn_features(images)


def _draw_target_labels(y, fraction):
    from transferkit.experiments.cell import draw_target_labels

    draw_target_labels(y, fraction, seed=0)


def _draw_per_class(y, per_class):
    from transferkit.experiments import draw_labelled_per_class

    draw_labelled_per_class(y, per_class, seed=0)


def _macro_f1(y_true, y_pred):
    from transferkit.experiments import macro_f1

    macro_f1(y_true, y_pred)


def _nan_task() -> dict:
    Xs, ys, Xt, yt = clean_data()
    Xt = np.array(Xt, dtype=float)
    Xt[0, 0] = np.nan
    return {"X_source": Xs, "y_source": ys, "X_target": Xt, "y_target": yt}


def _read_whited(**kwargs):
    from transferkit.datasets import read_whited

    read_whited(Path(__file__).parent, **kwargs)


def _load_cross_country(**kwargs):
    from transferkit.nilm import load_cross_country

    load_cross_country(**kwargs)


def _mlflow(**options):
    import os
    import tempfile

    from transferkit.experiments.observers import OBSERVERS

    old = os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            OBSERVERS["mlflow"](output_dir=Path(tmp), config={"name": "x"}, **options)
    finally:
        if old is not None:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = old


def _report(case: str, **options):
    import json
    import tempfile

    from transferkit.report.experiment import write_results_report

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        if case != "missing":
            folder.mkdir()
        if case == "truncated":
            (folder / "digits.json").write_text('{"schema": 1, "suite": "dig')
        if case == "failed":
            cell = {"task": "U->M", "method": "jda", "seed": 0, "status": "error"}
            state = {"schema": 1, "suite": "digits", "tasks": ["U->M"], "cells": [cell]}
            (folder / "digits.json").write_text(json.dumps(state))
        write_results_report(folder, **options)


def _fed(**params):
    from transferkit.federated.horizontal import FederatedFineTune

    return FederatedFineTune(**({"image_shape": (1, 8, 8)} | params))


def _fed_fit(n_clients=2, nan=False, n_features=64, one_class=False, **params):
    """Bad input to the federated fit: refused before any Flower process starts."""
    rng = np.random.default_rng(0)
    data = []
    for _ in range(n_clients):
        X = rng.random((12, n_features))
        if nan:
            X[3, 5] = np.nan
        y = np.zeros(12, dtype=int) if one_class else np.arange(12) % 2
        data.append((X, y))
    _fed(**params).fit(data)


def _kmm_const():
    _estimator("KMM").fit(np.ones((10, 2)), X_target=np.ones((10, 2)))


def _iw():
    from sklearn.linear_model import LogisticRegression

    from transferkit.instance import KMM, ImportanceWeighted

    return ImportanceWeighted(LogisticRegression(), KMM())


def _iw_fit(case: int):
    Xs, ys, Xt, yt = clean_data()
    bad = np.r_[yt, -1] if case == 46 else np.r_[7, np.asarray(yt)[1:]]
    _iw().fit(Xs, ys, X_target=Xt, y_target=bad)


def call_cases() -> list[Outcome]:
    """Run every :data:`CALL_CASES` entry."""
    return [classify(lambda c=call: c() and None, who, what) for who, what, call in CALL_CASES]


def render_calls(outcomes: list[Outcome]) -> str:
    lines = [CALL_BEGIN, "", "| entry point | input | what happens |", "|---|---|---|"]
    for o in outcomes:
        what = o.verdict if not o.detail else f"{o.verdict}: {o.detail}"
        lines.append(f"| {o.estimator} | {o.case} | {what.replace('|', '/')} |")
    return "\n".join([*lines, "", CALL_END])


def cli_cases(folder: Path) -> list[Outcome]:
    """Run every command-line case of ``tests/commands/test_errors.py`` for real."""
    from typer.testing import CliRunner

    from commands.test_errors import CASES, fill, make_bad_files
    from transferkit.cli import app

    make_bad_files(folder, np.random.default_rng(0))
    runner = CliRunner()
    outcomes = []
    for case, (args, _, _) in CASES.items():
        result = runner.invoke(app, fill(args, folder))
        text = " ".join(result.output.split())
        entry = "transferkit " + " ".join(a if "/" not in a else Path(a).name for a in args)
        entry = entry.replace("{", "").replace("}", "")
        clean = "Traceback" not in result.output and result.exit_code in (1, 2)
        if "Error:" in text:
            message = text[text.index("Error:") + 6 :].strip()
        else:  # click's usage errors: "Invalid value for '--seed': ..."
            message = text[text.index("Invalid value") :] if "Invalid value" in text else text
        verdict = "clear error" if clean else "UNCLEAR"
        detail = f"status {result.exit_code}: {_first_sentence(message)}"
        outcomes.append(Outcome(f"`{entry}`", case, verdict, detail))
    return outcomes


def render_cli(outcomes: list[Outcome]) -> str:
    lines = [CLI_BEGIN, "", "| entry point | input | what happens |", "|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.estimator} | {o.case} | {o.verdict} ({o.detail.replace('|', '/')}) |")
    return "\n".join([*lines, "", CLI_END])


def _replace(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + block + text[stop:]


def main() -> int:
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    from test_contract import as_images, build

    outcomes = estimator_cases(build, as_images)
    with tempfile.TemporaryDirectory() as folder:
        cli = cli_cases(Path(folder))
    calls = call_cases()
    text = _replace(DOC.read_text(), BEGIN, END, render(group_rows(outcomes)))
    text = _replace(text, CALL_BEGIN, CALL_END, render_calls(calls))
    DOC.write_text(_replace(text, CLI_BEGIN, CLI_END, render_cli(cli)))
    outcomes += cli + calls
    unclear = [o for o in outcomes if o.verdict == "UNCLEAR"]
    for o in unclear:
        print(f"UNCLEAR {o.estimator} / {o.case}: {o.detail}")
    print(f"{len(outcomes)} cases, {len(unclear)} unclear; wrote {DOC}")
    return 1 if unclear else 0


if __name__ == "__main__":
    raise SystemExit(main())
