"""Accuracy cost of the Nyström approximation for TCA and JDA on MNIST-USPS, over bandwidths.

Protocol: the real MNIST-USPS tasks (U->M, M->U; 1800 + 2000 samples, unit L2 norm),
RBF kernel, k = 100, lambda = 0.1, JDA T = 10 with 1-NN pseudo-labels, 1-NN on the
adapted features. Each configuration is run with the exact kernel and with 1000
Nyström landmarks (landmark seed 0), plain (``power_iterations=0``) and refined by one
pass over the full kernel (``power_iterations=1``, what the default ``"auto"`` picks up
to 30,000 samples), at three bandwidths, gamma = median heuristic x
(0.9, 1, 1.1), because a single bandwidth hides how sensitive the methods
are: the pseudo-label loop of JDA has two stable outcomes on M->U, and which one it
reaches depends on small changes of the kernel, exact or not. At the median bandwidth
the Nyström landmark seed is also varied (0..4).

Cache labels: ``None`` = exact, ``nystroem`` = plain, ``nystroem_power`` = refined.

Results are cached per configuration in ``benchmarks/.work/nystroem_accuracy/`` so an
interrupted run resumes; ``--worker-share i/k`` runs every k-th configuration (for two
processes on two cores), and ``--report-only`` writes the tables from the cache.

Usage::

    python benchmarks/mapping_nystroem_accuracy.py --worker-share 0/2 &
    python benchmarks/mapping_nystroem_accuracy.py --worker-share 1/2
    python benchmarks/mapping_nystroem_accuracy.py --report-only
    python benchmarks/mapping_nystroem_accuracy.py --quick  # seconds; no cache, no files

``--quick`` runs M->U on a fixed 300 + 300-image slice at gamma x 1 with landmark seeds
0-1, k = 20, 100 landmarks, T = 3, without the cache, and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from _mapping_common import environment, quick_run, write_results
from transferkit.datasets import load_task
from transferkit.mapping import JDA, TCA, median_heuristic_gamma

CACHE = Path(__file__).resolve().parent / ".work" / "nystroem_accuracy"
TASKS = [("U", "M"), ("M", "U")]
METHODS = ("TCA", "JDA")
FACTORS = (0.9, 1.0, 1.1)
LANDMARK_SEEDS = (0, 1, 2, 3, 4)
N_LANDMARKS = 1000
K = 100
LAMBDA = 0.1
T = 10


#: Kernel variants by cache label: (label in the tables, approximation, power_iterations).
def _variants(m: int) -> dict:
    return {
        None: ("exact", None, 0),
        "nystroem": (f"plain Nyström (m={m})", "nystroem", 0),
        "nystroem_power": (f"refined Nyström (m={m})", "nystroem", 1),
    }


VARIANTS = _variants(N_LANDMARKS)
APPROXIMATE = ("nystroem", "nystroem_power")


def _config(source: str, target: str, method: str, factor: float, approx, seed: int) -> dict:
    return {
        "source": source,
        "target": target,
        "method": method,
        "factor": factor,
        "approx": approx,
        "seed": seed,
    }


def configurations() -> list[dict]:
    configs = []
    for source, target in TASKS:
        for method in METHODS:
            for factor in FACTORS:
                configs.append(_config(source, target, method, factor, None, 0))
                for approx in APPROXIMATE:
                    configs.append(_config(source, target, method, factor, approx, 0))
            for seed in LANDMARK_SEEDS[1:]:
                for approx in APPROXIMATE:
                    configs.append(_config(source, target, method, 1.0, approx, seed))
    return configs


def _key(c: dict) -> str:
    return f"{c['source']}{c['target']}_{c['method']}_{c['factor']}_{c['approx']}_{c['seed']}"


#: ``--quick``: images kept per domain (a fixed random slice); None = all.
SUBSAMPLE: int | None = None


def load(source: str, target: str):
    """The task's data, or a fixed random slice of each domain under ``--quick``."""
    Xs, ys, Xt, yt = load_task("mnist_usps", source, target)
    if SUBSAMPLE is not None:
        rng = np.random.default_rng(0)
        s = rng.choice(len(ys), SUBSAMPLE, replace=False)
        t = rng.choice(len(yt), SUBSAMPLE, replace=False)
        Xs, ys, Xt, yt = Xs[s], ys[s], Xt[t], yt[t]
    return Xs, ys, Xt, yt


def use_quick_settings() -> None:
    """``--quick``: one task, one bandwidth, two landmark seeds, a small slice (seconds)."""
    global TASKS, FACTORS, LANDMARK_SEEDS, N_LANDMARKS, K, T, SUBSAMPLE, VARIANTS
    TASKS, FACTORS, LANDMARK_SEEDS = [("M", "U")], (1.0,), (0, 1)
    N_LANDMARKS, K, T, SUBSAMPLE = 100, 20, 3, 300
    VARIANTS = _variants(N_LANDMARKS)


def run_one(c: dict) -> dict:
    Xs, ys, Xt, yt = load(c["source"], c["target"])
    pooled = np.vstack([Xs, Xt])
    pooled = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)  # as the adapters do
    gamma = c["factor"] * median_heuristic_gamma(pooled, random_state=0)
    _, approximation, power = VARIANTS[c["approx"]]
    common = dict(
        n_components=K,
        kernel="rbf",
        gamma=gamma,
        approximation=approximation,
        n_landmarks=N_LANDMARKS,
        power_iterations=power,
        random_state=c["seed"],
    )
    if c["method"] == "TCA":
        adapter = TCA(lambda_=LAMBDA, **common)
    else:
        adapter = JDA(lambda_=LAMBDA, n_iter=T, **common)
    cpu = time.process_time()
    adapter.fit(Xs, ys, X_target=Xt)
    clf = KNeighborsClassifier(n_neighbors=1).fit(adapter.transform(Xs, "source"), ys)
    acc = 100.0 * float(np.mean(clf.predict(adapter.transform(Xt, "target")) == yt))
    return {**c, "gamma": gamma, "accuracy": acc, "cpu_s": time.process_time() - cpu}


def report(rows: list[dict]) -> None:
    by = {_key(r): r for r in rows}
    lines = [
        "# Nyström vs exact kernel on MNIST-USPS, over bandwidths",
        "",
        "Produced by `python benchmarks/mapping_nystroem_accuracy.py` (see its docstring for "
        f"the protocol): RBF, k = {K}, λ = {LAMBDA}, JDA T = {T}, {N_LANDMARKS} landmarks, "
        "1-NN; gamma = median heuristic x factor. Accuracy (%) on all target samples.",
        "",
        f"Environment: `{environment()}`",
        "",
        "| task | method | kernel | " + " | ".join(f"gamma x {f}" for f in FACTORS) + " | mean |",
        "|---" * (len(FACTORS) + 4) + "|",
    ]
    summary = []
    for source, target in TASKS:
        for method in METHODS:
            means = {}
            for approx, (label, _, _) in VARIANTS.items():
                cells = [
                    by.get(_key(_config(source, target, method, f, approx, 0))) for f in FACTORS
                ]
                vals = [c["accuracy"] if c else None for c in cells]
                done = [v for v in vals if v is not None]
                means[approx] = float(np.mean(done)) if len(done) == len(FACTORS) else None
                shown = " | ".join("—" if v is None else f"{v:.2f}" for v in vals)
                mean = "—" if means[approx] is None else f"{means[approx]:.2f}"
                lines.append(f"| {source}→{target} | {method} | {label} | {shown} | {mean} |")
            exact1 = by.get(_key(_config(source, target, method, 1.0, None, 0)))
            for approx in APPROXIMATE:
                seeds = [
                    by.get(_key(_config(source, target, method, 1.0, approx, s)))
                    for s in LANDMARK_SEEDS
                ]
                seed_accs = [s["accuracy"] for s in seeds if s]
                summary.append((source, target, method, approx, means, seed_accs, exact1))
    lines += [
        "",
        "| task | method | approximation | exact, mean over gamma | approximation, mean "
        "over gamma | loss (points) | exact at gamma x 1 | approximation at gamma x 1, "
        f"landmark seeds {LANDMARK_SEEDS[0]}-{LANDMARK_SEEDS[-1]} | mean |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for source, target, method, approx, means, seed_accs, exact1 in summary:
        ex, ny = means[None], means[approx]
        cells = [
            VARIANTS[approx][0].split(" (")[0],
            "—" if ex is None else f"{ex:.2f}",
            "—" if ny is None else f"{ny:.2f}",
            "—" if ex is None or ny is None else f"{ex - ny:+.2f}",
            "—" if exact1 is None else f"{exact1['accuracy']:.2f}",
            ", ".join(f"{a:.2f}" for a in seed_accs),
            f"{np.mean(seed_accs):.2f}" if seed_accs else "—",
        ]
        lines.append(f"| {source}→{target} | {method} | " + " | ".join(cells) + " |")
    lines.append("")
    payload = {
        "environment": environment(),
        "runs": rows,
        "protocol": {
            "k": K,
            "lambda": LAMBDA,
            "T": T,
            "landmarks": N_LANDMARKS,
            "power_iterations": {str(k): v[2] for k, v in VARIANTS.items()},
            "factors": list(FACTORS),
            "landmark_seeds": list(LANDMARK_SEEDS),
        },
    }
    write_results("mapping_nystroem_accuracy", payload, "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker-share", default="0/1", help="i/k: run every k-th config")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--reverse", action="store_true", help="take the configurations from the end"
    )
    parser.add_argument(
        "--quick", action="store_true", help="M->U slice, k = 20, T = 3; no cache, no files"
    )
    args = parser.parse_args()
    if args.quick:
        use_quick_settings()
        quick_run()
        report([run_one(c) for c in configurations()])
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    configs = configurations()
    if not args.report_only:
        i, k = (int(p) for p in args.worker_share.split("/"))
        share = configs[i::k]
        for c in reversed(share) if args.reverse else share:
            path = CACHE / f"{_key(c)}.json"
            if path.exists():
                continue
            result = run_one(c)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(result))
            tmp.replace(path)
            print(result, flush=True)
    rows = [
        json.loads((CACHE / f"{_key(c)}.json").read_text())
        for c in configs
        if (CACHE / f"{_key(c)}.json").exists()
    ]
    report(rows)


if __name__ == "__main__":
    main()
