"""Benchmark Subspace Alignment, GFK and MEDA against the published tables.

Runs every Office-Caltech SURF task (12), the digits tasks (U->M, M->U) and the COIL
tasks, and writes ``benchmarks/results/mapping_subspace.{json,md}``. Every number in
the markdown is measured by this script; the published ones are read from the package
data (``transferkit.bench.get_published``).

Usage::

    python benchmarks/mapping_subspace.py            # everything (about 10-20 min on 2 cores)
    python benchmarks/mapping_subspace.py --suites office_caltech_surf --methods gfk_1nn_d20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from tqdm import tqdm

from _paths import RESULTS
from transferkit.bench import get_published, get_suite
from transferkit.datasets import load_task
from transferkit.mapping import GFK, MEDA, SubspaceAlignment, SubspaceAlignmentSVC
from transferkit.mapping.subspace import subspace_disagreement_dimension

SVM_GRID = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]


def one_nn(Zs: np.ndarray, ys: np.ndarray, Zt: np.ndarray) -> np.ndarray:
    return KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(Zs, ys).predict(Zt)


def svm_c1(Zs: np.ndarray, ys: np.ndarray, Zt: np.ndarray) -> np.ndarray:
    """Linear SVM (liblinear primal, squared hinge), C = 1: the core CORAL protocol."""
    return LinearSVC(C=1.0, dual=False, max_iter=5000).fit(Zs, ys).predict(Zt)


def svm_source_cv(Zs: np.ndarray, ys: np.ndarray, Zt: np.ndarray) -> np.ndarray:
    """Linear SVM with C chosen by 2-fold CV on the *source* (as the SA authors' code)."""
    search = GridSearchCV(
        LinearSVC(dual=False, max_iter=5000),
        {"C": SVM_GRID},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    )
    return search.fit(Zs, ys).predict(Zt)


def adapter_method(make: Callable[[np.ndarray, np.ndarray], Any], classify) -> Callable:
    def run(Xs, ys, Xt):
        model = make(Xs, Xt).fit(Xs, X_target=Xt)
        info = {"n_components": int(model.n_components_)}
        pred = classify(model.transform(Xs, "source"), ys, model.transform(Xt, "target"))
        return pred, info

    return run


def sa_kernel_svm(n_components: int) -> Callable:
    """SA + the authors' similarity-kernel SVM, C by 2-fold source CV (their released code)."""

    def run(Xs, ys, Xt):
        model = SubspaceAlignmentSVC(n_components=n_components, random_state=0)
        model.fit(Xs, ys, X_target=Xt)
        return model.predict(Xt), {"C": model.C_, "n_capped_fits": model.n_capped_fits_}

    return run


def meda_method(Xs, ys, Xt):
    model = MEDA().fit(Xs, ys, X_target=Xt)
    info = {"mu_first": model.mu_history_[0], "mu_last": model.mu_history_[-1]}
    return model.predict(Xt), info


def _sdm(Xs, Xt):
    return subspace_disagreement_dimension(Xs, Xt)


METHODS: dict[str, dict[str, Any]] = {
    "gfk_1nn_d20": {
        "run": adapter_method(lambda Xs, Xt: GFK(20), one_nn),
        "label": "GFK + 1NN, d = 20",
        "published": {
            "office_caltech_surf": ["jda2013_t2:GFK", "meda2018_t2:GFK"],
            "digits": ["meda2018_t3:GFK"],
        },
    },
    "gfk_1nn_d10": {
        "run": adapter_method(lambda Xs, Xt: GFK(10), one_nn),
        "label": "GFK + 1NN, d = 10",
        "published": {"office_caltech_surf": ["jda2013_t2:GFK"]},
    },
    "gfk_1nn_sdm": {
        "run": adapter_method(lambda Xs, Xt: GFK(_sdm(Xs, Xt)), one_nn),
        "label": "GFK + 1NN, d by subspace disagreement (SDM)",
        "published": {"office_caltech_surf": ["jda2013_t2:GFK"]},
    },
    "gfk_svm_d10": {
        "run": adapter_method(lambda Xs, Xt: GFK(10), svm_c1),
        "label": "GFK + linear SVM (C = 1), d = 10",
        "published": {"office_caltech_surf": ["coral2016_t3:GFK"]},
    },
    "gfk_svm_d20": {
        "run": adapter_method(lambda Xs, Xt: GFK(20), svm_c1),
        "label": "GFK + linear SVM (C = 1), d = 20",
        "published": {"office_caltech_surf": ["coral2016_t3:GFK"]},
    },
    "sa_1nn_d20": {
        "run": adapter_method(lambda Xs, Xt: SubspaceAlignment(20), one_nn),
        "label": "SA + 1NN, d = 20",
        "published": {"office_caltech_surf": ["coral2016_t3:SA"]},
    },
    "sa_1nn_sdm": {
        "run": adapter_method(lambda Xs, Xt: SubspaceAlignment(_sdm(Xs, Xt)), one_nn),
        "label": "SA + 1NN, d by SDM",
        "published": {"office_caltech_surf": ["coral2016_t3:SA"]},
    },
    "sa_svm_d20": {
        "run": adapter_method(lambda Xs, Xt: SubspaceAlignment(20), svm_source_cv),
        "label": "SA + linear SVM (C by 2-fold source CV), d = 20",
        "published": {"office_caltech_surf": ["coral2016_t3:SA"]},
    },
    "sa_ksvm_d20": {
        "run": sa_kernel_svm(20),
        "label": "SA + authors' similarity-kernel SVM (C by 2-fold source CV), d = 20",
        "published": {"office_caltech_surf": ["coral2016_t3:SA"]},
    },
    "sa_ksvm_d80": {
        "run": sa_kernel_svm(80),
        "label": "SA + authors' similarity-kernel SVM (C by 2-fold source CV), d = 80",
        "published": {"office_caltech_surf": ["coral2016_t3:SA"]},
    },
    "meda": {
        "run": meda_method,
        "label": "MEDA (d = 20, RBF, λ = 10, η = 0.1, rho = 1, p = 10, T = 10, adaptive μ)",
        "published": {"office_caltech_surf": ["meda2018_t2:MEDA"], "digits": ["meda2018_t3:MEDA"]},
    },
}

DEFAULT_SUITES = ["office_caltech_surf", "digits", "coil"]
SUITE_METHODS = {
    "office_caltech_surf": list(METHODS),
    "digits": ["gfk_1nn_d20", "sa_1nn_d20", "meda"],
    "coil": ["gfk_1nn_d20", "sa_1nn_d20", "meda"],
}


def run(suites: list[str], methods: list[str] | None, out: Path) -> dict[str, Any]:
    json_path = out / "mapping_subspace.json"
    state: dict[str, Any] = {"results": {}}
    if json_path.exists():
        state = json.loads(json_path.read_text())
    state["environment"] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    cells = [
        (suite, name, task)
        for suite in suites
        for name in (methods or SUITE_METHODS[suite])
        if name in SUITE_METHODS[suite]
        for task in get_suite(suite).tasks
    ]
    cache: dict[tuple[str, str], tuple] = {}
    for suite, name, task in tqdm(cells, desc="mapping_subspace"):
        key = (suite, task.name)
        if key not in cache:
            cache[key] = load_task(get_suite(suite).dataset, task.source, task.target)
        Xs, ys, Xt, yt = cache[key]
        start = time.perf_counter()
        pred, info = METHODS[name]["run"](Xs, ys, Xt)
        seconds = time.perf_counter() - start
        acc = 100.0 * float(np.mean(pred == yt))
        state["results"].setdefault(suite, {}).setdefault(name, {})[task.name] = {
            "accuracy": acc,
            "seconds": seconds,
            **info,
        }
        json_path.write_text(json.dumps(state, indent=1))
    (out / "mapping_subspace.md").write_text(render(state))
    return state


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def render(state: dict[str, Any]) -> str:
    lines = [
        "# Subspace methods: SA, GFK, MEDA",
        "",
        "Measured by `python benchmarks/mapping_subspace.py` (single process, one BLAS "
        "thread; the machine is shared, so seconds are indicative only). Accuracy in % on "
        "all target samples; full source -> full target, single run. Preprocessing: the "
        "published protocol of each suite (`load_task`, 'standard'). Published rows are "
        "read from `transferkit.bench` package data.",
        "",
        f"Environment: `{json.dumps(state.get('environment', {}))}`",
        "",
    ]
    for suite, by_method in state["results"].items():
        tasks = [t.name for t in get_suite(suite).tasks]
        lines += [f"## {suite}", "", f"Protocol: {get_suite(suite).protocol}", ""]
        lines += ["| method | " + " | ".join(tasks) + " | avg | total s |"]
        lines += ["|---" * (len(tasks) + 3) + "|"]
        shown: list[str] = []
        for name, cells in by_method.items():
            accs = [cells.get(t, {}).get("accuracy") for t in tasks]
            done = [a for a in accs if a is not None]
            avg = float(np.mean(done)) if len(done) == len(tasks) else None
            secs = sum(c["seconds"] for c in cells.values())
            row = [f"**{METHODS[name]['label']}** (ours)", *map(_fmt, accs), _fmt(avg)]
            lines.append("| " + " | ".join(row) + f" | {secs:.1f} |")
            for ref in METHODS[name]["published"].get(suite, []):
                if ref in shown:
                    continue
                shown.append(ref)
                pub = get_published(suite, ref)
                vals = [pub.values.get(t) for t in tasks]
                label = f"published {ref} ({pub.citation})"
                row = [label, *map(_fmt, vals), _fmt(pub.average)]
                lines.append("| " + " | ".join(row) + " | |")
        lines.append("")
        lines += _comparisons(suite, by_method, tasks)
    return "\n".join(lines) + "\n"


def _average(by_method: dict, name: str, tasks: list[str]) -> float | None:
    cells = by_method.get(name, {})
    if not all(t in cells for t in tasks):
        return None
    return float(np.mean([cells[t]["accuracy"] for t in tasks]))


def _comparisons(suite: str, by_method: dict, tasks: list[str]) -> list[str]:
    lines = ["| ours | published | ours avg | published avg | gap |", "|---|---|---|---|---|"]
    for name in by_method:
        ours = _average(by_method, name, tasks)
        for ref in METHODS[name]["published"].get(suite, []):
            pub = get_published(suite, ref)
            if ours is None or pub.average is None:
                continue
            lines.append(
                f"| {name} | {ref} | {ours:.2f} | {pub.average:.2f} | {ours - pub.average:+.2f} |"
            )
    lines.append("")
    if suite == "office_caltech_surf" and "sa_ksvm_d20" in by_method:
        lines += [
            "**SA and the CORAL Table 3 row (41.5).** No SA variant here lands within 1.5 "
            "points of it. With the SA authors' own classifier (`SubspaceAlignmentSVC`: "
            "LIBSVM on the similarity between aligned source and target-projected samples, "
            "C by 2-fold source CV, as in their released code) our SA is *above* it "
            "(d = 20 and d = 80 rows). A liblinear SVM on the aligned coordinates collapses "
            "when source CV picks a large C (`sa_svm_d20`). The same SA + similarity-kernel "
            "SVM does reproduce the other published SA average, CORAL Table 5 on Amazon "
            "reviews (77.0 over K->D, D->B, B->E, E->K): 77.78 at d = 20, in "
            "`benchmarks/results/amazon.md` (method `sa_svm`) and "
            "`tests/mapping/test_subspace_svm.py`.",
            "",
        ]
    if suite == "office_caltech_surf" and {"gfk_1nn_d10", "gfk_1nn_d20"} <= set(by_method):
        pub = get_published(suite, "jda2013_t2:GFK")
        matched = []
        for t in tasks:
            for d in ("d10", "d20"):
                cell = by_method[f"gfk_1nn_{d}"].get(t)
                if cell and abs(cell["accuracy"] - pub.values[t]) < 0.006:
                    matched.append(f"{t} ({d})")
                    break
        lines += [
            f"**JDA Table 2 GFK row, cell by cell:** {len(matched)} of {len(tasks)} published "
            "cells are reproduced to two decimals by our GFK + 1NN at d = 10 or d = 20: "
            + ", ".join(matched)
            + ". (The paper's per-task dimension is not stated; the table mixes the two.)",
            "",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default=",".join(DEFAULT_SUITES))
    parser.add_argument("--methods", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the markdown from the JSON file"
    )
    parser.add_argument("--quick", action="store_true", help="SA + 1NN on digits only")
    args = parser.parse_args()
    if args.quick:
        args.suites, args.methods = "digits", "sa_1nn_d20"
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        state = json.loads((out / "mapping_subspace.json").read_text())
        (out / "mapping_subspace.md").write_text(render(state))
        return
    methods = [m for m in args.methods.split(",") if m] or None
    run(args.suites.split(","), methods, out)


if __name__ == "__main__":
    main()
