"""Does the negative-transfer guard catch the transfers that hurt and keep those that help?

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

Run: ``python benchmarks/negative_guard.py`` (about 25 minutes on 2 cores) or
``--quick`` (two tasks, seconds; what CI runs). Results: ``benchmarks/results/negative_guard.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
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
from transferkit.datasets import load_task
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


def unrelated_cells(n_tasks: int | None, labels_per_class: int, seed: int) -> list[dict]:
    rows = []
    rng = np.random.default_rng(seed)
    for task in SURF[:n_tasks]:
        s, t = task.split("->")
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", s, t)
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
        relabel = dict(zip(classes, shift, strict=True))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two tasks, for CI")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    if args.quick:
        suites = {"digits": (*SUITES["digits"][:1], ["U->M"], "1nn")}
        label_free = label_free_cells(suites, 1, args.seed, quick=True)
        unrelated = unrelated_cells(1, 3, args.seed)
    else:
        label_free = label_free_cells(SUITES, None, args.seed)
        unrelated = unrelated_cells(None, 3, args.seed)
    seconds = time.perf_counter() - start
    args.output.mkdir(parents=True, exist_ok=True)
    stem = "negative_guard_quick" if args.quick else "negative_guard"
    (args.output / f"{stem}.json").write_text(
        json.dumps({"label_free": label_free, "unrelated": unrelated}, indent=1, default=float)
    )
    (args.output / f"{stem}.md").write_text(report(label_free, unrelated, args.quick, seconds))
    print(f"wrote {args.output / (stem + '.md')}")


if __name__ == "__main__":
    main()
