"""Does the negative-transfer guard catch the transfers that hurt and keep those that help?

Feature-mapping family (``--family mapping``; ``negative_guard.md``).

Part 1 (label-free). For every task of the four benchmark suites (Office-Caltech SURF,
MNIST-USPS, COIL20, Amazon reviews; their published preprocessing) and every method
(joint PCA, CORAL, Subspace Alignment, TCA, each followed by the suite's classifier),
the true gain is the target accuracy of the method minus that of the source-only
baseline with the same classifier. ``NegativeTransferGuard`` (label-free, paired reverse
validation over 3 source folds) decides per cell; we report how many hurting cells it
catches, how many helping cells it keeps, and the mean target accuracy of guarded vs
always-transfer vs never-transfer. The same cells are also scored with the IWCV
estimator for comparison.

Part 2 (deliberately unrelated sources, 3 labelled target samples per class). On every
Office-Caltech SURF task the source labels are replaced by a random relabelling of the
classes (a source whose labels have nothing to do with the target's). The method trains
1-NN on the CORAL-aligned source plus the labelled target samples; the baseline
(``TargetOnly``) uses the labelled target samples alone. The guard decides from paired
cross-validation on the labelled target samples. The same is done with the real source
labels, where transfer should be kept.

Instance-weighting family (``--family instance``; ``negative_guard_instance.md``). The
1-NN classifier above ignores sample weights, so these cells train
``LogisticRegression`` with the weighter's ``weights_`` as ``sample_weight``, as
estimated, not rescaled to mean one (``make_transfer_pipeline(weighter,
LogisticRegression(C))``), against source-only
logistic regression with the same C: C = 0.01 on Amazon (the committed protocol of
``instance_amazon_weighting.py``), elsewhere chosen per task from (0.01, 0.1, 1) by
3-fold cross-validation of the unweighted model on the source (no target label). The
weighters choose their hyper-parameters without labels and cheaply: KMM (median-heuristic
width, B=1000, FISTA capped at 1000 iterations), KLIEP (likelihood CV, 3 folds, widths
0.5/1/2 x median), uLSIF (closed-form leave-one-out), the discriminative ratio
(Platt-calibrated logistic domain classifier). RuLSIF (alpha=0.1) is left out: its
accuracy equals uLSIF's on all 12 Amazon tasks (``instance_amazon_weighting.md``) and was
within 0.1 point in the cells timed here (SURF C->A, digits U->M, Amazon B->D). Part 1
runs every task of the four suites x weighter with the guard settings above; Part 2
repeats the unrelated and real source cells of the SURF tasks (same labelled samples, same
relabelling) with KMM and the discriminative ratio (KLIEP's and uLSIF's SURF weights are
near uniform) + logistic regression trained on the source and the labelled target
samples, against ``TargetOnly`` logistic regression. IWCV is not scored here (it is
itself importance weighting, and the budget went to the cells). Weights depend on the
samples only, so repeated fits on the same samples reuse them (``ReusedWeights``).

Both families: ``negative_guard_summary.md`` pools the committed per-family JSON files
(detection rate, mean accuracy of guarded vs always vs never transfer vs the oracle
choice, per family and overall) without recomputing them.

Run: ``python benchmarks/negative_guard.py`` (both families, then the summary: ~54 + ~35
minutes on the shared 2-core machine), ``--family mapping``, ``--family instance``,
``--family summary`` (the summary only, from the JSON files), or ``--quick`` (a few
cells of each family, seconds; what CI runs). Results: ``benchmarks/results/
negative_guard.md``, ``negative_guard_instance.md``, ``negative_guard_summary.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from _paths import RESULTS
from transferkit import (
    CORAL,
    TCA,
    JointPCA,
    SourceOnly,
    SubspaceAlignment,
    TargetOnly,
    make_transfer_pipeline,
)
from transferkit.base import BaseWeighter
from transferkit.datasets import load_task
from transferkit.instance import KLIEP, KMM, ULSIF, DiscriminativeDensityRatio
from transferkit.negative import NegativeTransferGuard, assess_transfer

SURF = [
    "C->A",
    "C->W",
    "C->D",
    "A->C",
    "A->W",
    "A->D",
    "W->C",
    "W->A",
    "W->D",
    "D->C",
    "D->A",
    "D->W",
]
AMAZON = [f"{s}->{t}" for s in "BDEK" for t in "BDEK" if s != t]
SUITES = {
    "office_caltech_surf": ("office_caltech10_surf", SURF, "1nn"),
    "digits": ("mnist_usps", ["U->M", "M->U"], "1nn"),
    "coil": ("coil20", ["COIL1->COIL2", "COIL2->COIL1"], "1nn"),
    "amazon": ("amazon_review_400", AMAZON, "lr"),
}


def classifier(name: str):
    if name == "1nn":
        return KNeighborsClassifier(n_neighbors=1)
    return LogisticRegression(C=0.1, max_iter=1000)


def methods(clf, quick: bool = False):
    if quick:
        return {
            "joint_pca": make_transfer_pipeline(JointPCA(n_components=100), clf),
            "coral": make_transfer_pipeline(CORAL(lambda_=1.0), clf),
        }
    return {
        "joint_pca": make_transfer_pipeline(JointPCA(n_components=100), clf),
        "coral": make_transfer_pipeline(CORAL(lambda_=1.0), clf),
        "subspace_alignment": make_transfer_pipeline(SubspaceAlignment(n_components=30), clf),
        "tca": make_transfer_pipeline(TCA(n_components=30, kernel="primal"), clf),
    }


def label_free_cells(
    suites: dict, n_tasks: int | None, seed: int, quick: bool = False
) -> list[dict]:
    rows = []
    for suite, (dataset, tasks, clf_name) in suites.items():
        for task in tasks[:n_tasks]:
            s, t = task.split("->")
            Xs, ys, Xt, yt = load_task(dataset, s, t)
            clf = classifier(clf_name)
            base = SourceOnly(clf)
            base_acc = clone(base).fit(Xs, ys).score(Xt, yt)
            for name, method in methods(clf, quick).items():
                start = time.perf_counter()
                acc = clone(method).fit(Xs, ys, X_target=Xt).score(Xt, yt)
                guard = NegativeTransferGuard(method, base, n_splits=3, random_state=seed)
                guard.fit(Xs, ys, X_target=Xt)
                iwcv = assess_transfer(
                    method,
                    base,
                    Xs,
                    ys,
                    X_target=Xt,
                    n_splits=3,
                    label_free="iwcv",
                    random_state=seed,
                )
                rows.append(
                    {
                        "suite": suite,
                        "task": task,
                        "method": name,
                        "baseline_acc": base_acc,
                        "method_acc": acc,
                        "true_gain": acc - base_acc,
                        "guard_keeps": guard.use_method_,
                        "guard_acc": guard.score(Xt, yt),
                        "reverse_gain": guard.report_.gain,
                        "reverse_verdict": guard.report_.verdict,
                        "iwcv_gain": iwcv.gain,
                        "iwcv_verdict": iwcv.verdict,
                        "agreement": guard.report_.agreement,
                        "seconds": time.perf_counter() - start,
                    }
                )
                print(
                    f"{suite:20s} {task:14s} {name:18s} true {100 * (acc - base_acc):+6.1f}  "
                    f"reverse {100 * guard.report_.gain:+6.1f} keep={guard.use_method_}",
                    flush=True,
                )
    return rows


def _partial_target_labels(
    rng: np.random.Generator, ys: np.ndarray, yt: np.ndarray, labels_per_class: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """``labels_per_class`` labelled target samples per class (``-1`` elsewhere), the
    unlabelled rows, and a derangement of the classes (the "unrelated" source labels)."""
    classes = np.unique(ys)
    labelled = np.concatenate(
        [rng.choice(np.flatnonzero(yt == c), labels_per_class, replace=False) for c in classes]
    )
    y_partial = np.full_like(yt, -1)
    y_partial[labelled] = yt[labelled]
    unlabelled = np.setdiff1d(np.arange(yt.size), labelled)
    shift = rng.permutation(classes)
    while np.any(shift == classes):  # a derangement: no class keeps its label
        shift = rng.permutation(classes)
    return y_partial, unlabelled, dict(zip(classes, shift, strict=True))


def unrelated_cells(n_tasks: int | None, labels_per_class: int, seed: int) -> list[dict]:
    rows = []
    rng = np.random.default_rng(seed)
    for task in SURF[:n_tasks]:
        s, t = task.split("->")
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", s, t)
        y_partial, unlabelled, relabel = _partial_target_labels(rng, ys, yt, labels_per_class)
        for source_kind, y_source in (
            ("unrelated", np.array([relabel[c] for c in ys])),
            ("real", ys),
        ):
            clf = KNeighborsClassifier(n_neighbors=1)
            method = make_transfer_pipeline(CORAL(lambda_=1.0), clf)
            base = TargetOnly(clf)
            guard = NegativeTransferGuard(method, base, n_splits=3, random_state=seed)
            guard.fit(Xs, y_source, X_target=Xt, y_target=y_partial)
            m_acc = clone(method).fit(Xs, y_source, X_target=Xt, y_target=y_partial)
            b_acc = clone(base).fit(Xs, y_source, X_target=Xt, y_target=y_partial)
            m = float(np.mean(m_acc.predict(Xt[unlabelled]) == yt[unlabelled]))
            b = float(np.mean(b_acc.predict(Xt[unlabelled]) == yt[unlabelled]))
            g = float(np.mean(guard.predict(Xt[unlabelled]) == yt[unlabelled]))
            rows.append(
                {
                    "task": task,
                    "source": source_kind,
                    "method_acc": m,
                    "baseline_acc": b,
                    "true_gain": m - b,
                    "guard_keeps": guard.use_method_,
                    "guard_acc": g,
                    "estimated_gain": guard.report_.gain,
                    "verdict": guard.report_.verdict,
                }
            )
            print(
                f"unrelated-pairs {task:6s} {source_kind:9s} true {100 * (m - b):+6.1f}  "
                f"est {100 * guard.report_.gain:+6.1f} keep={guard.use_method_}",
                flush=True,
            )
    return rows


# ---------------------------------------------------------------- instance-weighting family

#: Grid of the logistic regression's C, chosen per task by source cross-validation.
C_GRID = (0.01, 0.1, 1.0)
#: Amazon keeps the committed protocol of ``instance_amazon_weighting.py``.
AMAZON_C = 0.01
#: KLIEP's likelihood cross-validation over three widths around the median heuristic
#: (the default six widths and 5 folds cost ~75 s per fit on Amazon).
KLIEP_FACTORS = (0.5, 1.0, 2.0)
#: KMM's FISTA iteration cap (see ``weighters``).
KMM_MAX_ITER = 1000


def weighted_classifier(C: float) -> LogisticRegression:
    """The weight-aware classifier of the instance cells (``fit`` takes ``sample_weight``)."""
    return LogisticRegression(C=C, max_iter=2000)


def source_cv_c(Xs: np.ndarray, ys: np.ndarray, seed: int) -> float:
    """C of the unweighted source-only logistic regression by 3-fold source CV (no target
    labels); ties go to the smallest C."""
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    scores = [cross_val_score(weighted_classifier(c), Xs, ys, cv=folds).mean() for c in C_GRID]
    return float(C_GRID[int(np.argmax(scores))])


class ReusedWeights(BaseWeighter):
    """``weighter``'s weights, computed once per distinct pair of (source, target) samples.

    Importance weights depend on the samples only, never on the labels, and every weighter
    below is seeded, so refitting it on the same samples gives the same weights. The guard
    refits its method on identical samples several times (the final refit, the agreement
    bound, every labelled-target fold of Part 2, the real and the relabelled source); this
    wrapper computes those weights once. Decisions and accuracies are those of the bare
    weighter (``tests/negative/test_guard_benchmark.py`` checks it).
    """

    _parameter_constraints: ClassVar[dict] = {"weighter": [object]}
    _cache: ClassVar[dict] = {}

    def __init__(self, weighter):
        self.weighter = weighter

    def _fit(self, data) -> np.ndarray:
        key = (repr(self.weighter), _digest(data.X), _digest(data.X_target))
        if key not in self._cache:
            self._cache[key] = clone(self.weighter).fit(data.X, X_target=data.X_target).weights_
        return self._cache[key].copy()

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError("only the training weights are used here")


def _digest(X: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest() + str(X.shape)


def weighters(quick: bool = False) -> dict:
    """The importance weighters, each with label-free, cheap hyper-parameter selection
    (``quick``: KMM and the discriminative ratio only)."""
    every = {
        # median-heuristic width, B=1000; FISTA stopped at 1000 iterations (the default
        # 5000 take ~13 s per fit on Amazon and still stop at the cap there)
        "kmm": KMM(max_iter=KMM_MAX_ITER, random_state=0),
        "kliep": KLIEP(sigma_factors=KLIEP_FACTORS, cv=3, random_state=0),
        "ulsif": ULSIF(random_state=0),  # closed-form leave-one-out over width x lambda
        "density_ratio": DiscriminativeDensityRatio(random_state=0),  # Platt-calibrated LR
    }
    if quick:
        return {k: ReusedWeights(every[k]) for k in ("kmm", "density_ratio")}
    return {k: ReusedWeights(w) for k, w in every.items()}


def _quiet_fit(model, *args, **kwargs):
    """Fit with the weighters' collapse and solver warnings recorded, not printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = model.fit(*args, **kwargs)
    names = sorted({w.category.__name__ for w in caught})
    return fitted, names


#: Wall time of the instance run, across a checkpointed run and its resumptions.
_CLOCK = {"start": time.perf_counter(), "before": 0.0}


def _elapsed() -> float:
    return _CLOCK["before"] + time.perf_counter() - _CLOCK["start"]


def _checkpointed(path: Path | None, part: str) -> list[dict]:
    """Rows of ``part`` that an interrupted run saved in ``path`` (none without a path)."""
    if path is None or not path.exists():
        return []
    return json.loads(path.read_text()).get(part, [])


def _checkpoint(path: Path | None, part: str, rows: list[dict]) -> None:
    if path is None:
        return
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved[part] = rows
    saved["elapsed"] = _elapsed()
    path.write_text(json.dumps(saved, default=float))


def instance_cells(
    suites: dict,
    n_tasks: int | None,
    seed: int,
    quick: bool = False,
    step: int = 1,
    checkpoint: Path | None = None,
) -> list[dict]:
    """Part 1 of the instance family: every task x weighter, label-free guard.

    With ``checkpoint``, the rows are saved after every task and the tasks already saved
    there are not run again (a resumed run gives the same rows: every step is seeded).
    """
    rows = _checkpointed(checkpoint, "label_free")
    done = {(r["suite"], r["task"]) for r in rows}
    for suite, (dataset, tasks, _) in suites.items():
        for task in tasks[:n_tasks]:
            if (suite, task) in done:
                continue
            s, t = task.split("->")
            Xs, ys, Xt, yt = load_task(dataset, s, t)
            Xs, ys, Xt, yt = Xs[::step], ys[::step], Xt[::step], yt[::step]
            C = AMAZON_C if suite == "amazon" else source_cv_c(Xs, ys, seed)
            clf = weighted_classifier(C)
            base = SourceOnly(clf)
            base_acc = clone(base).fit(Xs, ys).score(Xt, yt)
            for name, weighter in weighters(quick).items():
                start = time.perf_counter()
                method = make_transfer_pipeline(weighter, clf)
                fitted, warned = _quiet_fit(clone(method), Xs, ys, X_target=Xt)
                acc = fitted.score(Xt, yt)
                ess = fitted.steps_[0][1].effective_sample_size_ / len(ys)
                guard = NegativeTransferGuard(method, base, n_splits=3, random_state=seed)
                guard, _ = _quiet_fit(guard, Xs, ys, X_target=Xt)
                rows.append(
                    {
                        "suite": suite,
                        "task": task,
                        "method": name,
                        "C": C,
                        "baseline_acc": base_acc,
                        "method_acc": acc,
                        "true_gain": acc - base_acc,
                        "guard_keeps": guard.use_method_,
                        "guard_acc": guard.score(Xt, yt),
                        "reverse_gain": guard.report_.gain,
                        "reverse_interval": list(guard.report_.interval),
                        "reverse_verdict": guard.report_.verdict,
                        "agreement": guard.report_.agreement,
                        "ess_ratio": ess,
                        "warnings": warned,
                        "seconds": time.perf_counter() - start,
                    }
                )
                print(
                    f"{suite:20s} {task:14s} {name:14s} C={C:<5g} true "
                    f"{100 * (acc - base_acc):+6.2f}  reverse {100 * guard.report_.gain:+6.2f} "
                    f"keep={guard.use_method_} ess={ess:.2f} "
                    f"{time.perf_counter() - start:5.1f}s",
                    flush=True,
                )
            _checkpoint(checkpoint, "label_free", rows)
    return rows


def instance_unrelated_cells(
    n_tasks: int | None,
    labels_per_class: int,
    seed: int,
    quick: bool = False,
    checkpoint: Path | None = None,
) -> list[dict]:
    """Part 2 of the instance family: the labelled-target protocol of ``unrelated_cells``
    (same labelled samples, same relabelling) with KMM and the discriminative ratio (the
    two weighters whose SURF weights are not near uniform, see Part 1's ESS column) +
    logistic regression trained on the weighted source and the labelled target samples."""
    rows = _checkpointed(checkpoint, "unrelated")
    done = {r["task"] for r in rows}
    rng = np.random.default_rng(seed)
    for task in SURF[:n_tasks]:
        s, t = task.split("->")
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", s, t)
        y_partial, unlabelled, relabel = _partial_target_labels(rng, ys, yt, labels_per_class)
        if task in done:  # the draws above keep the next tasks' samples as in one run
            continue
        C = source_cv_c(Xs, ys, seed)
        clf = weighted_classifier(C)
        base = TargetOnly(clf)
        fitted_base = clone(base).fit(Xs, ys, X_target=Xt, y_target=y_partial)
        b = float(np.mean(fitted_base.predict(Xt[unlabelled]) == yt[unlabelled]))
        for source_kind, y_source in (
            ("unrelated", np.array([relabel[c] for c in ys])),
            ("real", ys),
        ):
            for name, weighter in weighters(quick=True).items():
                method = make_transfer_pipeline(weighter, clf)
                fitted, _ = _quiet_fit(clone(method), Xs, y_source, X_target=Xt, y_target=y_partial)
                guard = NegativeTransferGuard(method, base, n_splits=3, random_state=seed)
                guard, _ = _quiet_fit(guard, Xs, y_source, X_target=Xt, y_target=y_partial)
                m = float(np.mean(fitted.predict(Xt[unlabelled]) == yt[unlabelled]))
                g = float(np.mean(guard.predict(Xt[unlabelled]) == yt[unlabelled]))
                rows.append(
                    {
                        "task": task,
                        "source": source_kind,
                        "method": name,
                        "C": C,
                        "method_acc": m,
                        "baseline_acc": b,
                        "true_gain": m - b,
                        "guard_keeps": guard.use_method_,
                        "guard_acc": g,
                        "estimated_gain": guard.report_.gain,
                        "verdict": guard.report_.verdict,
                    }
                )
                print(
                    f"unrelated-pairs {task:6s} {source_kind:9s} {name:14s} true "
                    f"{100 * (m - b):+6.1f}  est {100 * guard.report_.gain:+6.1f} "
                    f"keep={guard.use_method_}",
                    flush=True,
                )
        _checkpoint(checkpoint, "unrelated", rows)
    return rows


def _rates(rows: list[dict], keep_key: str) -> dict:
    hurt = [r for r in rows if r["true_gain"] < 0]
    helps = [r for r in rows if r["true_gain"] > 0]
    return {
        "cells": len(rows),
        "hurting": len(hurt),
        "caught": sum(not r[keep_key] for r in hurt),
        "helping": len(helps),
        "kept": sum(bool(r[keep_key]) for r in helps),
    }


def _verdict_rates(rows: list[dict], gain_key: str) -> dict:
    return _rates([{**r, "keep": r[gain_key] > 0} for r in rows], "keep")


def report(label_free: list[dict], unrelated: list[dict], quick: bool, seconds: float) -> str:
    lines = ["# Negative-transfer guard: detection rate on the benchmark suites", ""]
    lines += [
        "Produced by `python benchmarks/negative_guard.py`"
        + (" --quick (a subset: NOT the full study)" if quick else "")
        + f"; {seconds / 60:.1f} minutes on a shared 2-core machine. Protocol in the "
        "script's docstring: published preprocessing of each suite; 1-NN (SURF, digits, "
        "COIL) or logistic regression C=0.1 (Amazon); joint PCA k=100, CORAL lambda=1, "
        "Subspace Alignment d=30, primal TCA d=30; baseline = source-only with the same "
        "classifier; guard = `NegativeTransferGuard(rule='point', n_splits=3)`, "
        "label-free (paired reverse validation); seed 0.",
        "",
        "## Part 1: label-free guard over every task x method cell",
        "",
    ]
    for name, key in (("guard (reverse validation)", "guard_keeps"),):
        r = _rates(label_free, key)
        lines.append(
            f"- {name}: caught **{r['caught']} of {r['hurting']}** hurting cells, kept "
            f"**{r['kept']} of {r['helping']}** helping cells ({r['cells']} cells)."
        )
    r = _verdict_rates(label_free, "iwcv_gain")
    lines.append(
        f"- the same decision from paired IWCV instead: caught {r['caught']} of "
        f"{r['hurting']} hurting cells, kept {r['kept']} of {r['helping']} helping cells."
    )
    acc = {
        k: 100 * np.mean([row[c] for row in label_free])
        for k, c in (("never", "baseline_acc"), ("always", "method_acc"), ("guarded", "guard_acc"))
    }
    oracle = 100 * np.mean([max(r["baseline_acc"], r["method_acc"]) for r in label_free])
    lines += [
        f"- mean target accuracy over the cells: never transfer {acc['never']:.2f}, always "
        f"transfer {acc['always']:.2f}, **guarded {acc['guarded']:.2f}**, oracle choice "
        f"{oracle:.2f}.",
        "",
        "| suite | task | method | source only | method | true gain | reverse gain | keeps | "
        "IWCV gain | agreement |",
        "|---|---|---|---:|---:|---:|---:|:-:|---:|---:|",
    ]
    for r in label_free:
        lines.append(
            f"| {r['suite']} | {r['task']} | {r['method']} | {100 * r['baseline_acc']:.2f} | "
            f"{100 * r['method_acc']:.2f} | {100 * r['true_gain']:+.2f} | "
            f"{100 * r['reverse_gain']:+.2f} | {'yes' if r['guard_keeps'] else 'no'} | "
            f"{100 * r['iwcv_gain']:+.2f} | {100 * r['agreement']:.1f} |"
        )
    lines += ["", "## Part 2: unrelated sources, 3 labelled target samples per class", ""]
    for kind in ("unrelated", "real"):
        sub = [r for r in unrelated if r["source"] == kind]
        if not sub:
            continue
        r = _rates(sub, "guard_keeps")
        mean = {
            c: 100 * np.mean([row[c] for row in sub])
            for c in ("baseline_acc", "method_acc", "guard_acc")
        }
        lines.append(
            f"- {kind} source labels: caught {r['caught']} of {r['hurting']} hurting cells, "
            f"kept {r['kept']} of {r['helping']} helping cells; mean accuracy on the "
            f"unlabelled target: target only {mean['baseline_acc']:.2f}, transfer "
            f"{mean['method_acc']:.2f}, guarded {mean['guard_acc']:.2f}."
        )
    lines += [
        "",
        "| task | source labels | target only | CORAL + labels | true gain | estimated gain | "
        "verdict | keeps |",
        "|---|---|---:|---:|---:|---:|---|:-:|",
    ]
    for r in unrelated:
        lines.append(
            f"| {r['task']} | {r['source']} | {100 * r['baseline_acc']:.2f} | "
            f"{100 * r['method_acc']:.2f} | {100 * r['true_gain']:+.2f} | "
            f"{100 * r['estimated_gain']:+.2f} | {r['verdict']} | "
            f"{'yes' if r['guard_keeps'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def _mean_accuracies(rows: list[dict]) -> dict:
    """Mean accuracy (%) of never / always transfer, the guard and the per-cell oracle."""
    if not rows:
        return {k: float("nan") for k in ("never", "always", "guarded", "oracle")}
    return {
        "never": 100 * float(np.mean([r["baseline_acc"] for r in rows])),
        "always": 100 * float(np.mean([r["method_acc"] for r in rows])),
        "guarded": 100 * float(np.mean([r["guard_acc"] for r in rows])),
        "oracle": 100 * float(np.mean([max(r["baseline_acc"], r["method_acc"]) for r in rows])),
    }


def _missed_hurting(rows: list[dict]) -> dict:
    """What the hurting cells the guard kept look like (sizes in accuracy points)."""
    missed = [r for r in rows if r["true_gain"] < 0 and r["guard_keeps"]]
    caught = [r for r in rows if r["true_gain"] < 0 and not r["guard_keeps"]]

    def within(r: dict) -> bool:
        low, high = r["reverse_interval"]
        return low <= 0 <= high

    def med(values: list[float]) -> float:
        return float(np.median(values)) if values else float("nan")

    return {
        "missed": len(missed),
        "missed_median_loss": med([-100 * r["true_gain"] for r in missed]),
        "missed_max_loss": max([-100 * r["true_gain"] for r in missed], default=float("nan")),
        "missed_below_1pt": sum(-r["true_gain"] < 0.01 for r in missed),
        "missed_interval_has_0": sum(within(r) for r in missed),
        "caught_median_loss": med([-100 * r["true_gain"] for r in caught]),
        "missed_median_disagreement": med([100 * (1 - r["agreement"]) for r in missed]),
        "missed_accuracy_cost": 100
        * float(sum(-r["true_gain"] for r in missed))
        / max(len(rows), 1),
    }


def instance_report(
    label_free: list[dict], unrelated: list[dict], quick: bool, seconds: float
) -> str:
    lines = ["# Negative-transfer guard on the instance-weighting family", ""]
    lines += [
        "Produced by `python benchmarks/negative_guard.py --family instance`"
        + (" --quick (a subset: NOT the full study)" if quick else "")
        + f"; {seconds / 60:.1f} minutes on a shared 2-core machine (nice -n 10, 1 BLAS "
        "thread). Protocol (script docstring): published preprocessing of each suite; "
        "every cell trains `LogisticRegression` (a classifier that takes `sample_weight`; "
        "1-NN ignores weights) with the weighter's `weights_` as `sample_weight`, as "
        "estimated, not rescaled to mean one "
        "(`make_transfer_pipeline(weighter, LogisticRegression(C))`); the baseline is "
        "source-only with the same C. C = 0.01 on Amazon (the protocol of "
        "`instance_amazon_weighting.py`), elsewhere chosen per task from "
        f"{list(C_GRID)} by 3-fold cross-validation of the unweighted source-only model on "
        "the source (no target labels). Weighters, label-free hyper-parameters: KMM "
        f"(median-heuristic width, B=1000, FISTA capped at {KMM_MAX_ITER} iterations), "
        f"KLIEP (width by 3-fold likelihood CV over {list(KLIEP_FACTORS)} x median), uLSIF "
        "(width and lambda by closed-form leave-one-out), discriminative ratio (Platt-"
        "calibrated logistic domain classifier). Guard: `NegativeTransferGuard(rule="
        "'point', n_splits=3)`, label-free paired reverse validation, seed 0 (the settings "
        "of the mapping-family run in `negative_guard.md`).",
        "",
        "## Part 1: label-free guard over every task x weighter cell",
        "",
    ]
    r = _rates(label_free, "guard_keeps")
    acc = _mean_accuracies(label_free)
    lines += [
        f"- guard (reverse validation): caught **{r['caught']} of {r['hurting']}** hurting "
        f"cells, kept **{r['kept']} of {r['helping']}** helping cells ({r['cells']} cells, "
        f"{r['cells'] - r['hurting'] - r['helping']} with no change).",
        f"- mean target accuracy over the cells: never transfer {acc['never']:.2f}, always "
        f"transfer {acc['always']:.2f}, **guarded {acc['guarded']:.2f}**, oracle choice "
        f"{acc['oracle']:.2f}.",
    ]
    m = _missed_hurting(label_free)
    if m["missed"]:
        lines.append(
            f"- the {m['missed']} hurting cells the guard kept lose a median "
            f"{m['missed_median_loss']:.2f} points (max {m['missed_max_loss']:.2f}; "
            f"{m['missed_below_1pt']} of them under 1 point; the caught ones lose a median "
            f"{m['caught_median_loss']:.2f}); in {m['missed_interval_has_0']} of "
            f"{m['missed']} the guard's own 95% interval contains 0 (verdict 'uncertain'), "
            "and method and baseline disagree on a median "
            f"{m['missed_median_disagreement']:.2f}% of the target. Keeping them costs "
            f"{m['missed_accuracy_cost']:.2f} points of mean accuracy over all cells."
        )
    warned: dict[str, int] = {}
    for row in label_free:
        for category in row.get("warnings", []):
            key = f"{row['method']} {category}"
            warned[key] = warned.get(key, 0) + 1
    if warned:
        lines.append(
            "- warnings of the weighted fit on the full domains (cells; "
            f"{len(label_free) // len({r['method'] for r in label_free})} per weighter): "
            + ", ".join(f"{k} {v}" for k, v in sorted(warned.items()))
            + " (KMM's ConvergenceWarning: FISTA stopped at its iteration cap)."
        )
    e = _errors(label_free)
    lines += [
        f"- cells where weighting moves the accuracy by at least 1 point: caught "
        f"**{e['big_caught']} of {e['big_hurting']}** hurting, kept {e['big_kept']} of "
        f"{e['big_helping']} helping. The sign of the reverse-validation estimate matches "
        f"the sign of the true gain in {e['sign_agrees']} of {e['changed']} cells with a "
        f"non-zero gain; its 95% interval contains 0 in "
        f"{sum(r['reverse_verdict'] == 'uncertain' for r in label_free)} of "
        f"{len(label_free)} cells.",
        "",
        "| suite | cells | hurting: caught | helping: kept | mean abs. true gain | never | "
        "always | guarded | oracle |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for suite in dict.fromkeys(row["suite"] for row in label_free):
        sub = [row for row in label_free if row["suite"] == suite]
        q, a = _rates(sub, "guard_keeps"), _mean_accuracies(sub)
        lines.append(
            f"| {suite} | {q['cells']} | {q['caught']} of {q['hurting']} | {q['kept']} of "
            f"{q['helping']} | {100 * np.mean([abs(x['true_gain']) for x in sub]):.2f} | "
            f"{a['never']:.2f} | {a['always']:.2f} | {a['guarded']:.2f} | {a['oracle']:.2f} |"
        )
    lines += [
        "",
        "| weighter | cells | hurting: caught | helping: kept | mean true gain | "
        "mean ESS / n_s | mean agreement (%) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in dict.fromkeys(row["method"] for row in label_free):
        sub = [row for row in label_free if row["method"] == name]
        q = _rates(sub, "guard_keeps")
        lines.append(
            f"| {name} | {q['cells']} | {q['caught']} of {q['hurting']} | {q['kept']} of "
            f"{q['helping']} | {100 * np.mean([x['true_gain'] for x in sub]):+.2f} | "
            f"{np.mean([x['ess_ratio'] for x in sub]):.2f} | "
            f"{100 * np.mean([x['agreement'] for x in sub]):.1f} |"
        )
    lines += [
        "",
        "| suite | task | weighter | C | source only | weighted | true gain | reverse gain "
        "(95% interval) | keeps | agreement | ESS / n_s |",
        "|---|---|---|---:|---:|---:|---:|---:|:-:|---:|---:|",
    ]
    for row in label_free:
        low, high = row["reverse_interval"]
        lines.append(
            f"| {row['suite']} | {row['task']} | {row['method']} | {row['C']:g} | "
            f"{100 * row['baseline_acc']:.2f} | {100 * row['method_acc']:.2f} | "
            f"{100 * row['true_gain']:+.2f} | {100 * row['reverse_gain']:+.2f} "
            f"({100 * low:+.2f}, {100 * high:+.2f}) | {'yes' if row['guard_keeps'] else 'no'} | "
            f"{100 * row['agreement']:.1f} | {row['ess_ratio']:.2f} |"
        )
    lines += [
        "",
        "## Part 2: unrelated sources, 3 labelled target samples per class (SURF)",
        "",
        "Same labelled samples and same class derangement as Part 2 of `negative_guard.md`; "
        "the method (KMM or the discriminative ratio; KLIEP's and uLSIF's weights are near "
        "uniform on SURF, see the ESS column above) trains the weighted logistic regression "
        "on the (relabelled or real) "
        "source plus the labelled target samples (weight = mean source weight), the "
        "baseline (`TargetOnly`) on the labelled target samples alone; the guard decides "
        "from paired cross-validation on the labelled target samples; accuracy on the "
        "unlabelled target.",
        "",
    ]
    for kind in ("unrelated", "real"):
        sub = [row for row in unrelated if row["source"] == kind]
        if not sub:
            continue
        q = _rates(sub, "guard_keeps")
        a = _mean_accuracies(sub)
        lines.append(
            f"- {kind} source labels: caught {q['caught']} of {q['hurting']} hurting cells, "
            f"kept {q['kept']} of {q['helping']} helping cells; mean accuracy: target only "
            f"{a['never']:.2f}, transfer {a['always']:.2f}, guarded {a['guarded']:.2f}, "
            f"oracle {a['oracle']:.2f}."
        )
    lines += [
        "",
        "| task | source labels | weighter | target only | weighted + labels | true gain | "
        "estimated gain | verdict | keeps |",
        "|---|---|---|---:|---:|---:|---:|---|:-:|",
    ]
    for row in unrelated:
        lines.append(
            f"| {row['task']} | {row['source']} | {row['method']} | "
            f"{100 * row['baseline_acc']:.2f} | {100 * row['method_acc']:.2f} | "
            f"{100 * row['true_gain']:+.2f} | {100 * row['estimated_gain']:+.2f} | "
            f"{row['verdict']} | {'yes' if row['guard_keeps'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def _errors(rows: list[dict]) -> dict:
    """The guard's two kinds of error and their size (accuracy points).

    ``missed``: hurting cells kept; ``dropped``: helping cells refused; ``*_uncertain``:
    of those, how many had a 95% interval containing 0 (the estimate could not tell the
    sign); ``cost_*``: what those errors take off the mean accuracy over all cells.
    """
    missed = [r for r in rows if r["true_gain"] < 0 and r["guard_keeps"]]
    dropped = [r for r in rows if r["true_gain"] > 0 and not r["guard_keeps"]]
    hurting = [r for r in rows if r["true_gain"] < 0]

    def verdict(r: dict) -> str:
        return r.get("reverse_verdict", r.get("verdict"))

    def size(group: list[dict]) -> list[float]:
        return [abs(100 * r["true_gain"]) for r in group]

    n = max(len(rows), 1)
    big = [r for r in rows if abs(r["true_gain"]) >= 0.01]
    changed = [r for r in rows if r["true_gain"] != 0]

    def estimate(r: dict) -> float:
        return r.get("reverse_gain", r.get("estimated_gain"))

    return {
        "big_hurting": sum(r["true_gain"] < 0 for r in big),
        "big_caught": sum(r["true_gain"] < 0 and not r["guard_keeps"] for r in big),
        "big_helping": sum(r["true_gain"] > 0 for r in big),
        "big_kept": sum(r["true_gain"] > 0 and bool(r["guard_keeps"]) for r in big),
        "sign_agrees": sum(np.sign(estimate(r)) == np.sign(r["true_gain"]) for r in changed),
        "changed": len(changed),
        "missed": len(missed),
        "missed_uncertain": sum(verdict(r) == "uncertain" for r in missed),
        "missed_median_loss": float(np.median(size(missed))) if missed else float("nan"),
        "missed_under_1pt": sum(x < 1 for x in size(missed)),
        "hurting_under_1pt": sum(x < 1 for x in size(hurting)),
        "dropped": len(dropped),
        "dropped_uncertain": sum(verdict(r) == "uncertain" for r in dropped),
        "dropped_median_gain": float(np.median(size(dropped))) if dropped else float("nan"),
        "cost_missed": float(sum(size(missed))) / n,
        "cost_dropped": float(sum(size(dropped))) / n,
    }


def summary(mapping: dict, instance: dict) -> dict:
    """Detection rates, mean accuracies and errors per family, per part and overall."""
    groups = {
        ("label-free", "mapping"): mapping["label_free"],
        ("label-free", "instance weighting"): instance["label_free"],
        ("label-free", "both"): mapping["label_free"] + instance["label_free"],
    }
    for kind in ("unrelated", "real"):
        m = [r for r in mapping["unrelated"] if r["source"] == kind]
        i = [r for r in instance["unrelated"] if r["source"] == kind]
        groups[(f"3 labels/class, {kind} source", "mapping")] = m
        groups[(f"3 labels/class, {kind} source", "instance weighting")] = i
        groups[(f"3 labels/class, {kind} source", "both")] = m + i
    return {
        f"{part} | {family}": {
            **_rates(rows, "guard_keeps"),
            **_mean_accuracies(rows),
            **_errors(rows),
            **_confident_rule(rows),
        }
        for (part, family), rows in groups.items()
    }


def _confident_rule(rows: list[dict]) -> dict:
    """What ``rule="confident"`` would have decided on the same cells, without a rerun: it
    keeps the method exactly when the interval is above 0, i.e. when the verdict is
    "helps" (same estimate, same interval)."""
    decided = [
        {**r, "confident_keeps": r.get("reverse_verdict", r.get("verdict")) == "helps"}
        for r in rows
    ]
    q = _rates(decided, "confident_keeps")
    accuracy = [r["method_acc"] if r["confident_keeps"] else r["baseline_acc"] for r in decided]
    return {
        "confident_caught": q["caught"],
        "confident_kept": q["kept"],
        "confident_acc": 100 * float(np.mean(accuracy)) if accuracy else float("nan"),
    }


def summary_report(table: dict, quick: bool) -> str:
    lines = [
        "# Negative-transfer guard: both method families",
        "",
        "Produced by `python benchmarks/negative_guard.py` (any `--family`)"
        + (" --quick (a subset: NOT the full study)" if quick else "")
        + " from the committed per-family results, without recomputing them: "
        "`negative_guard.json` (feature mapping: joint PCA, CORAL, SA, TCA; 1-NN / logistic "
        "regression) and `negative_guard_instance.json` (importance weighting: KMM, KLIEP, "
        "uLSIF, discriminative ratio; weighted logistic regression). Same guard settings "
        "in both (rule 'point', 3 folds, seed 0). Accuracies in %; 'oracle' picks the "
        "better of method and baseline per cell with the target labels. Label-free cells: "
        "baseline = source only; labelled cells (SURF, 3 target labels per class): "
        "baseline = target only, accuracy on the unlabelled target.",
        "",
        "| cells | family | n | hurting: caught | helping: kept | never | always | "
        "guarded | oracle |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in table.items():
        part, family = key.split(" | ")
        bold = "**" if family == "both" else ""
        lines.append(
            f"| {part} | {bold}{family}{bold} | {r['cells']} | {r['caught']} of "
            f"{r['hurting']} | {r['kept']} of {r['helping']} | {r['never']:.2f} | "
            f"{r['always']:.2f} | {bold}{r['guarded']:.2f}{bold} | {r['oracle']:.2f} |"
        )
    lines += [
        "",
        "## Where the guard errs, and how much it matters",
        "",
        "Missed = a hurting cell kept; dropped = a helping cell refused. 'uncertain' = the "
        "guard's own 95% interval contained 0 (its point rule still had to pick a side). "
        "Sizes are |true gain| in accuracy points; cost = points of mean accuracy over all "
        "the cells of the row (guarded = oracle - cost missed - cost dropped).",
        "",
        "| cells | family | missed (uncertain) | median loss missed | missed < 1 pt | "
        "hurting < 1 pt | dropped (uncertain) | median gain dropped | cost missed | "
        "cost dropped |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in table.items():
        part, family = key.split(" | ")
        lines.append(
            f"| {part} | {family} | {r['missed']} ({r['missed_uncertain']}) | "
            f"{r['missed_median_loss']:.2f} | {r['missed_under_1pt']} of {r['missed']} | "
            f"{r['hurting_under_1pt']} of {r['hurting']} | {r['dropped']} "
            f"({r['dropped_uncertain']}) | {r['dropped_median_gain']:.2f} | "
            f"{r['cost_missed']:.2f} | {r['cost_dropped']:.2f} |"
        )
    lines += [
        "",
        "Cells where transfer moves the target accuracy by at least 1 point, and how often "
        "the sign of the guard's estimate is the sign of the true gain (cells with a "
        "non-zero true gain):",
        "",
        "| cells | family | >= 1 pt hurting: caught | >= 1 pt helping: kept | "
        "estimate has the right sign |",
        "|---|---|---:|---:|---:|",
    ]
    for key, r in table.items():
        part, family = key.split(" | ")
        lines.append(
            f"| {part} | {family} | {r['big_caught']} of {r['big_hurting']} | "
            f"{r['big_kept']} of {r['big_helping']} | {r['sign_agrees']} of {r['changed']} |"
        )
    lines += [
        "",
        'The other decision rule on the same cells, `rule="confident"` (keep the method '
        "only when the whole 95% interval is above 0; it is the verdict 'helps', so it is "
        "read from the committed results without a rerun), beside the default 'point':",
        "",
        "| cells | family | point: caught | point: kept | point: guarded | confident: "
        "caught | confident: kept | confident: guarded |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in table.items():
        part, family = key.split(" | ")
        lines.append(
            f"| {part} | {family} | {r['caught']} of {r['hurting']} | {r['kept']} of "
            f"{r['helping']} | {r['guarded']:.2f} | {r['confident_caught']} of "
            f"{r['hurting']} | {r['confident_kept']} of {r['helping']} | "
            f"{r['confident_acc']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _write(folder: Path, stem: str, payload: dict, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=float))
    (folder / f"{stem}.md").write_text(text)
    print(f"wrote {folder / (stem + '.md')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few cells, for CI")
    parser.add_argument(
        "--family",
        choices=("all", "mapping", "instance", "summary"),
        default="all",
        help="which family to run; 'summary' only rebuilds the combined summary (and the "
        "instance tables) from the per-family JSON files",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="instance family: save rows after every task here and resume from them",
    )
    args = parser.parse_args()
    suffix = "_quick" if args.quick else ""
    quick_suites = {"digits": (SUITES["digits"][0], ["U->M"], "1nn")}
    if args.family in ("all", "mapping"):
        start = time.perf_counter()
        if args.quick:
            label_free = label_free_cells(quick_suites, 1, args.seed, quick=True)
            unrelated = unrelated_cells(1, 3, args.seed)
        else:
            label_free = label_free_cells(SUITES, None, args.seed)
            unrelated = unrelated_cells(None, 3, args.seed)
        seconds = time.perf_counter() - start
        _write(
            args.output,
            f"negative_guard{suffix}",
            {"label_free": label_free, "unrelated": unrelated},
            report(label_free, unrelated, args.quick, seconds),
        )
    if args.family in ("all", "instance"):
        _CLOCK["start"] = time.perf_counter()
        if args.checkpoint is not None and args.checkpoint.exists():
            _CLOCK["before"] = json.loads(args.checkpoint.read_text()).get("elapsed", 0.0)
        ckpt = args.checkpoint
        if args.quick:  # every 4th sample of U->M: seconds
            label_free = instance_cells(
                quick_suites, 1, args.seed, quick=True, step=4, checkpoint=ckpt
            )
            unrelated = instance_unrelated_cells(1, 3, args.seed, quick=True, checkpoint=ckpt)
        else:
            label_free = instance_cells(SUITES, None, args.seed, checkpoint=ckpt)
            unrelated = instance_unrelated_cells(None, 3, args.seed, checkpoint=ckpt)
        seconds = _elapsed()
        _write(
            args.output,
            f"negative_guard_instance{suffix}",
            {"label_free": label_free, "unrelated": unrelated, "seconds": seconds},
            instance_report(label_free, unrelated, args.quick, seconds),
        )
    files = [args.output / f"negative_guard{s}{suffix}.json" for s in ("", "_instance")]
    if args.family == "summary" and files[1].exists():  # re-render the instance tables
        saved = json.loads(files[1].read_text())
        text = instance_report(
            saved["label_free"], saved["unrelated"], args.quick, saved["seconds"]
        )
        (args.output / f"negative_guard_instance{suffix}.md").write_text(text)
    if all(f.exists() for f in files):
        mapping, instance = (json.loads(f.read_text()) for f in files)
        table = summary(mapping, instance)
        _write(
            args.output, f"negative_guard_summary{suffix}", table, summary_report(table, args.quick)
        )
    else:
        print("summary skipped: " + ", ".join(str(f) for f in files if not f.exists()) + " missing")


if __name__ == "__main__":
    main()
