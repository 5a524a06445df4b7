"""The built-in demo: appliance recognition from V-I images, US houses -> Chinese houses.

``transferkit demo`` runs a complete NILM transfer experiment on the built-in simulator
(:mod:`transferkit.nilm.simulate`), so it needs no download:

* **source**: simulated US houses (60 Hz, 120 V, 30 kHz meters), every switch-on record
  labelled;
* **target**: simulated Chinese houses (50 Hz, 220 V, 6.4 kHz meters with 24 mA ADC steps)
  whose appliance models differ (fridges with a lower power factor, inverter air
  conditioners with power-factor correction, laptop chargers with a PFC choke, hair irons
  with the diode the other way round);
* **features**: one averaged steady cycle per record at 128 points
  (:func:`~transferkit.nilm.steady_cycles_batch`), a 32x32 binary V-I image
  (:func:`~transferkit.nilm.vi_image`) blurred by a Gaussian of ``blur`` pixels, flattened;
* **evaluation**: accuracy and macro-F1 on the records of every target house but one; the
  remaining "pilot" house provides the few labelled target records, so the labelled
  methods must generalise to houses they have not seen.

It compares no transfer with shallow transfer (CORAL, TCA, JDA, subspace alignment) and,
when torch is installed, a deep one (DANN), measures the domain distances before and
after adaptation, and asks :func:`~transferkit.negative.assess_transfer` whether each
transfer helps **before** looking at the target labels. :func:`write_report` turns the
result into a one-file HTML report.

``transferkit demo --data DIR`` runs the same story on the real subsets (PLAID 2018 ->
HFHAD-C, :func:`transferkit.nilm.load_cross_country`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from transferkit._optional import is_available
from transferkit._validation import TransferKitInputError, check_random_state
from transferkit.baselines import SourceOnly, TargetOnly
from transferkit.mapping import CORAL, JDA, TCA, SubspaceAlignment
from transferkit.nilm.features import vi_features
from transferkit.pipeline import make_transfer_pipeline

__all__ = [
    "DemoData",
    "DemoRow",
    "DemoResult",
    "simulated_demo_data",
    "real_demo_data",
    "run_demo",
    "run_demo_on",
    "write_report",
    "check_labels_per_class",
]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoData:
    """Features and labels of the two domains of the demo."""

    X_source: np.ndarray
    y_source: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray
    images_source: np.ndarray  # (n, size, size) unblurred V-I images, for the report
    images_target: np.ndarray
    label_pool: np.ndarray  # boolean mask: target records that may be labelled
    test: np.ndarray  # boolean mask: target records scored (minus the labelled ones)
    names: tuple[str, str]  # source, target
    description: str


@dataclass(frozen=True)
class DemoRow:
    """One line of the demo table."""

    method: str
    target_accuracy: float
    macro_f1: float
    uses_target_labels: str
    group: str = "no target labels"


@dataclass(frozen=True)
class DemoResult:
    """Everything the table and the report show."""

    rows: list[DemoRow]
    distances: list[tuple[str, float, float]]  # (space, MMD, proxy A-distance)
    assessments: list[tuple[str, str, float, tuple[float, float], str, float]]
    embedding: list[tuple[str, np.ndarray, np.ndarray]]
    data: DemoData
    settings: dict[str, Any] = field(default_factory=dict)


def simulated_demo_data(
    random_state: int = 0,
    n_houses: int = 6,
    records_per_appliance: int = 5,
    blur: float = 0.7,
) -> DemoData:
    """Simulated US (source) and Chinese (target) houses as V-I image features.

    Examples
    --------
    >>> d = simulated_demo_data(n_houses=2, records_per_appliance=1)
    >>> d.X_source.shape, d.names, int(d.label_pool.sum())
    ((18, 1024), ('US', 'CN'), 9)
    """
    from transferkit.nilm import steady_cycles_batch
    from transferkit.nilm.simulate import simulate_appliances

    if n_houses < 2:
        raise TransferKitInputError(
            f"n_houses={n_houses} is too few: the demo needs a pilot target house for the "
            "labels and at least one more to test on; use n_houses >= 2."
        )
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=2)
    kw = {"n_houses": n_houses, "records_per_appliance": records_per_appliance}
    kw |= {"duration": 0.3, "turn_on": 0.05}
    source = simulate_appliances("US", random_state=seeds[0], **kw)
    target = simulate_appliances("CN", random_state=seeds[1], **kw)
    Vs, Is = steady_cycles_batch(source, n_points=128, n_cycles=5)
    Vt, It = steady_cycles_batch(target, n_points=128, n_cycles=5)
    Xs, imgs = vi_features(Vs, Is, blur=blur)
    Xt, imgt = vi_features(Vt, It, blur=blur)
    pilot = np.array([r.house == "CN-0" for r in target])
    return DemoData(
        X_source=Xs,
        y_source=np.array([r.label for r in source]),
        X_target=Xt,
        y_target=np.array([r.label for r in target]),
        images_source=imgs,
        images_target=imgt,
        label_pool=pilot,
        test=~pilot,
        names=("US", "CN"),
        description=(
            f"Simulated switch-on records: source {n_houses} US houses (60 Hz, 120 V, "
            f"30 kHz), target {n_houses} Chinese houses (50 Hz, 220 V, 6.4 kHz, other "
            f"appliance models), {records_per_appliance} records per appliance and house, "
            f"{len(np.unique([r.label for r in source]))} appliance classes. Features: one "
            f"steady cycle (5 averaged, 128 points) as a 32x32 binary V-I image, blurred "
            f"by {blur} px. Test: the target houses except the pilot house CN-0, which "
            "gives the labelled target records."
        ),
    )


def real_demo_data(data_home: Any = None, blur: float = 0.7) -> DemoData:
    """PLAID 2018 (US) -> HFHAD-C (China) on their shared classes, as V-I features.

    HFHAD-C has no house ids, so the labelled target records are drawn from all of it and
    every other target record is scored.
    """
    from transferkit.nilm import load_cross_country

    cc = load_cross_country(data_home)
    Xs, imgs = vi_features(cc.voltage_source, cc.current_source, blur=blur)
    Xt, imgt = vi_features(cc.voltage_target, cc.current_target, blur=blur)
    everything = np.ones(len(cc.y_target), dtype=bool)
    return DemoData(
        X_source=Xs,
        y_source=cc.y_source,
        X_target=Xt,
        y_target=cc.y_target,
        images_source=imgs,
        images_target=imgt,
        label_pool=everything,
        test=everything,
        names=("PLAID 2018 (US)", "HFHAD-C (China)"),
        description=(
            f"Real measurements: source PLAID 2018 subset ({len(cc.y_source)} events, 60 Hz, "
            f"120 V), target HFHAD-C subset ({len(cc.y_target)} recordings, 50 Hz, 220 V), "
            f"shared classes {', '.join(cc.classes)}. Features: one steady cycle (128 "
            f"points) as a 32x32 binary V-I image blurred by {blur} px. HFHAD-C has no "
            "house ids: the labelled target records are drawn at random and the others "
            "are scored (one device per class, so this over-estimates what a new house "
            "would see)."
        ),
    )


def _check_labels_per_class(labels_per_class: int, y: np.ndarray) -> None:
    most = int(np.unique(y, return_counts=True)[1].min())
    if (
        isinstance(labels_per_class, bool)
        or not isinstance(labels_per_class, numbers.Integral)
        or not 1 <= labels_per_class <= most
    ):
        raise TransferKitInputError(
            f"labels_per_class={labels_per_class!r} is out of range: choose an integer from 1 "
            f"to {most} (the pilot house has {most} records of its rarest class)."
        )


def check_labels_per_class(labels_per_class: int, records_per_appliance: int = 5) -> None:
    """Raise :class:`TransferKitInputError` unless ``labels_per_class`` fits the pilot house.

    Examples
    --------
    >>> check_labels_per_class(2)
    """
    _check_labels_per_class(labels_per_class, np.zeros(records_per_appliance, dtype=int))


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=3000)


def _score(model: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    pred = model.predict(X)
    return float(np.mean(pred == y)), float(f1_score(y, pred, average="macro"))


def _deep(random_state: int) -> Any | None:
    if not is_available("torch"):
        return None
    from transferkit.deep import DANN

    return DANN(
        hidden=(256,),
        epochs=30,
        batch_size=32,
        lr=0.01,
        selection=None,
        random_state=random_state,
    )


def run_demo_on(
    data: DemoData,
    *,
    labels_per_class: int = 2,
    deep: bool = True,
    random_state: int = 0,
    progress: Progress | None = None,
) -> DemoResult:
    """Run every method of the demo on ``data`` (see the module docstring).

    ``progress`` is called with a short description before every step.
    """
    from transferkit.metrics import comparable_distance
    from transferkit.negative import assess_transfer

    step = progress or (lambda _text: None)
    classes = np.unique(data.y_source)
    Xs, Xt = data.X_source, data.X_target
    ys = np.searchsorted(classes, data.y_source)
    yt = np.searchsorted(classes, data.y_target)
    if not np.isin(data.y_target, classes).all():
        raise TransferKitInputError("every target class must be a source class.")
    pool_y = yt[data.label_pool]
    _check_labels_per_class(labels_per_class, pool_y)
    rng = check_random_state(random_state)
    partial = np.full(len(yt), -1)
    for label in np.unique(pool_y):
        pool = np.flatnonzero(data.label_pool & (yt == label))
        partial[rng.choice(pool, labels_per_class, replace=False)] = label
    test = data.test & (partial < 0)
    clf = _classifier()
    # subspace dimension: 30, or less when a reverse-validation fold is small
    k = int(max(2, min(30, len(Xs) // 3, len(Xt) // 3)))
    label_free: dict[str, Any] = {
        "source only": SourceOnly(clf),
        "CORAL": make_transfer_pipeline(CORAL(lambda_=1.0), clf),
        f"TCA (k={k}, linear)": make_transfer_pipeline(TCA(k, kernel="linear"), clf),
        f"JDA (k={k}, linear)": make_transfer_pipeline(JDA(k, kernel="linear"), clf),
        f"SA (k={k})": make_transfer_pipeline(SubspaceAlignment(k), clf),
    }
    net = _deep(random_state) if deep else None
    if net is not None:
        label_free["DANN (MLP, 30 epochs)"] = net
    rows: list[DemoRow] = []
    fitted: dict[str, Any] = {}
    for name, model in label_free.items():
        step(f"fitting {name}")
        model = clone(model).fit(Xs, ys, X_target=Xt)
        fitted[name] = model
        rows.append(DemoRow(name, *_score(model, Xt[test], yt[test]), "none"))
    n_lab = int((partial >= 0).sum())
    group = f"{labels_per_class}/class labelled target"
    labelled = {
        f"target only ({labels_per_class}/class)": TargetOnly(clf),
        f"CORAL + {labels_per_class}/class": make_transfer_pipeline(CORAL(lambda_=1.0), clf),
        f"SA + {labels_per_class}/class": make_transfer_pipeline(SubspaceAlignment(k), clf),
    }
    for name, model in labelled.items():
        step(f"fitting {name}")
        model = clone(model).fit(Xs, ys, X_target=Xt, y_target=partial)
        rows.append(DemoRow(name, *_score(model, Xt[test], yt[test]), str(n_lab), group))
    step("fitting the target oracle")
    if (data.label_pool & data.test).any():  # no separate houses: a stratified half
        train, hold = train_test_split(
            np.flatnonzero(data.test), test_size=0.5, stratify=yt[data.test], random_state=0
        )
        oracle_name = "target oracle (half the target)"
    else:
        train, hold = np.flatnonzero(data.label_pool), np.flatnonzero(test)
        oracle_name = "target oracle (pilot house)"
    oracle = clone(clf).fit(Xt[train], yt[train])
    rows.append(
        DemoRow(oracle_name, *_score(oracle, Xt[hold], yt[hold]), str(len(train)), "upper bound")
    )

    step("measuring domain distances")
    spaces = [("V-I image features", Xs, Xt)]
    for name in ("CORAL", f"SA (k={k})"):
        adapter = fitted[name].steps_[0][1]
        spaces.append(
            (
                f"after {name}",
                adapter.transform(Xs, domain="source"),
                adapter.transform(Xt, domain="target"),
            )
        )
    distances = []
    for space, A, B in spaces:
        mmd = comparable_distance("mmd", [A, B], random_state=random_state)(A, B)
        pad = comparable_distance("proxy_a", [A, B], random_state=random_state)(A, B)
        distances.append((space, float(mmd), float(pad)))

    assessments = []
    measured = {r.method: r.target_accuracy for r in rows}
    for name, model in label_free.items():
        if name == "source only" or name.startswith("DANN"):
            continue  # DANN's refits would dominate the run time
        step(f"negative-transfer check: {name}")
        a = assess_transfer(
            model, SourceOnly(clf), Xs, ys, X_target=Xt, n_splits=3, random_state=random_state
        )
        gain = measured[name] - measured["source only"]
        assessments.append((name, a.verdict, a.gain, a.interval, a.evidence, gain))
    if labels_per_class >= 2:
        name = f"SA + {labels_per_class}/class"
        step(f"negative-transfer check: {name}")
        a = assess_transfer(
            labelled[name],
            TargetOnly(clf),
            Xs,
            ys,
            X_target=Xt,
            y_target=partial,
            n_splits=labels_per_class,
            random_state=random_state,
        )
        gain = measured[name] - measured[f"target only ({labels_per_class}/class)"]
        assessments.append(
            (f"{name} vs target only", a.verdict, a.gain, a.interval, a.evidence, gain)
        )

    step("embedding (PCA) before and after adaptation")
    best = max((x for x in assessments if not x[0].endswith("target only")), key=lambda x: x[2])[0]
    pca = PCA(2, random_state=0).fit(np.vstack([Xs, Xt]))
    embedding = [("no adaptation (PCA of the V-I features)", pca.transform(Xs), pca.transform(Xt))]
    adapter = fitted[best].steps_[0][1]
    As, At = adapter.transform(Xs, domain="source"), adapter.transform(Xt, domain="target")
    pca = PCA(2, random_state=0).fit(np.vstack([As, At]))
    embedding.append((f"after {best} (PCA)", pca.transform(As), pca.transform(At)))
    return DemoResult(
        rows=rows,
        distances=distances,
        assessments=assessments,
        embedding=embedding,
        data=data,
        settings={
            "labels_per_class": labels_per_class,
            "random_state": random_state,
            "classes": [str(c) for c in classes],
            "classifier": "logistic regression (C=1) on the flattened images",
            "picked_for_embedding": best,
        },
    )


def run_demo(
    random_state: int = 0,
    labels_per_class: int = 2,
    *,
    n_houses: int = 6,
    records_per_appliance: int = 5,
    deep: bool = True,
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate the two countries and run every method (see the module docstring).

    Examples
    --------
    >>> res = run_demo(n_houses=2, records_per_appliance=2, labels_per_class=1, deep=False)
    >>> [r.method for r in res.rows][:2]
    ['source only', 'CORAL']
    """
    _check_labels_per_class(labels_per_class, np.zeros(records_per_appliance, dtype=int))
    if progress is not None:
        progress("simulating US and Chinese houses")
    data = simulated_demo_data(
        random_state=random_state, n_houses=n_houses, records_per_appliance=records_per_appliance
    )
    return run_demo_on(
        data,
        labels_per_class=labels_per_class,
        deep=deep,
        random_state=random_state,
        progress=progress,
    )


def _examples(images: np.ndarray, y: np.ndarray, classes: list[str]) -> np.ndarray:
    out = np.zeros((len(classes), *images.shape[1:]))
    for k, c in enumerate(classes):
        hit = np.flatnonzero(y == c)
        if len(hit):
            out[k] = images[hit[0]]
    return out


def write_report(result: DemoResult, output_dir: str | Path) -> Path:
    """Write ``report.html`` (tables and embedded PNG figures) to ``output_dir``.

    Needs matplotlib (the ``[report]`` extra).
    """
    from transferkit.report import HtmlReport, accuracy_bars, embedding_plot, image_grid

    data = result.data
    classes = result.settings["classes"]
    report = HtmlReport(
        f"transferkit demo: appliance recognition, {data.names[0]} -> {data.names[1]}"
    )
    report.paragraph(data.description)
    report.paragraph(
        f"Classifier: {result.settings['classifier']}; seed {result.settings['random_state']}."
    )
    report.heading("Target accuracy")
    base = result.rows[0].target_accuracy
    report.table(
        ["method", "target labels used", "accuracy", "gain vs source only", "macro-F1"],
        [
            [
                r.method,
                r.uses_target_labels,
                round(100 * r.target_accuracy, 1),
                round(100 * (r.target_accuracy - base), 1),
                round(100 * r.macro_f1, 1),
            ]
            for r in result.rows
        ],
    )
    report.figure(
        accuracy_bars(
            [r.method for r in result.rows],
            [r.target_accuracy for r in result.rows],
            baseline=base,
            xlabel="target accuracy (test houses)",
        ),
        "Accuracy on the target test houses; dashed line: source only (no transfer).",
    )
    report.heading("Domain distances (source vs target)")
    report.table(
        ["feature space", "MMD (Gaussian, one bandwidth)", "proxy A-distance"],
        [[s, round(m, 4), round(p, 3)] for s, m, p in result.distances],
    )
    report.heading("Negative-transfer check (before looking at the target labels)")
    report.paragraph(
        "transferkit.negative.assess_transfer: paired reverse validation when no target "
        "label is used (the sign of the estimate follows the sign of the gain; its size "
        "is not in accuracy units), paired cross-validation on the labelled target "
        "records otherwise. 'measured gain' is the accuracy difference on the test houses."
    )
    report.table(
        ["method", "verdict", "estimate", "interval", "evidence", "measured gain"],
        [
            [n, v, round(g, 3), f"[{lo:.3f}, {hi:.3f}]", e, round(100 * m, 1)]
            for n, v, g, (lo, hi), e, m in result.assessments
        ],
    )
    report.heading("V-I images, one record per class and country")
    grid = np.stack(
        [
            _examples(data.images_source, data.y_source, classes),
            _examples(data.images_target, data.y_target, classes),
        ]
    )
    report.figure(image_grid(grid, list(data.names), classes), "Binary 32x32 V-I images.")
    report.heading("Embedding before and after adaptation")
    report.figure(
        embedding_plot(result.embedding, data.names, (data.y_source, data.y_target)),
        f"PCA of source (o) and target (x) features; right: after "
        f"{result.settings['picked_for_embedding']}, the method with the best label-free "
        "estimate.",
    )
    return report.save(Path(output_dir) / "report.html")
