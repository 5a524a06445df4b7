"""Do domain distances predict how well a source-only classifier transfers?

For the 12 Office-Caltech SURF tasks and the 12 Amazon-review tasks this script computes
every distance of :func:`transferkit.metrics.domain_distances` between source and
target, the source-only target accuracy, and the Kendall rank correlation between each
distance and the accuracy (a useful distance has a strongly *negative* tau: farther
domains, lower accuracy). Two correlations are reported per data set:

* ``tau (all tasks)``: over all 12 tasks at once;
* ``within-target tau``: for each target domain, tau over its 3 candidate sources,
  averaged over the 4 targets. This is the question ``transferkit rank`` answers
  (which source should I use for this target?), and it is not confounded by some
  targets simply being harder than others.

Protocol. Accuracies use the data sets' standard preprocessing (L1 rows + per-domain
z-score; ``transferkit.datasets.load_task``). Distances are computed on the same L1 rows
z-scored *jointly* (one mean and standard deviation from source and target pooled): a
per-domain z-score sets every feature's mean and variance equal in both domains by
construction, which hides exactly the shift the distances are meant to see (a domain
classifier on per-domain z-scored SURF scores far *below* chance, 0.2 balanced accuracy,
because each held-out fold is pushed away from its own domain's mean). Source-only
classifiers: **1-nearest-neighbour**
(Euclidean) for SURF, the JDA protocol, which reproduces the published 1NN row exactly;
**logistic regression** (scikit-learn defaults, ``C=1``, L2) for Amazon. LEEP and NCE of
the same source-only classifier are shown too; they use the target labels (they are
transferability scores, not label-free distances).

Usage: ``python benchmarks/metrics_correlation.py`` → ``benchmarks/results/
metrics_correlation.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import permutations
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from tqdm import tqdm

from _paths import RESULTS
from transferkit.datasets import load_domain, load_task
from transferkit.metrics import DISTANCE_NAMES, domain_distances, leep, nce

SUITES = {
    "office_caltech10_surf": {
        "domains": {"C": "caltech", "A": "amazon", "W": "webcam", "D": "dslr"},
        "classifier": "1NN",
    },
    "amazon_review_400": {
        "domains": {"B": "books", "D": "dvd", "E": "elec", "K": "kitchen"},
        "classifier": "logistic regression",
    },
}
SCORES = ("leep", "nce")
METRICS = (*DISTANCE_NAMES, *SCORES)


def source_only(dataset: str, Xs, ys, Xt, yt) -> tuple[float, np.ndarray]:
    """Target accuracy (%) and the target class probabilities of the source-only model."""
    if SUITES[dataset]["classifier"] == "1NN":
        model = KNeighborsClassifier(n_neighbors=1).fit(Xs, ys)
    else:
        model = LogisticRegression(max_iter=5000).fit(Xs, ys)
    accuracy = 100.0 * float(np.mean(model.predict(Xt) == yt))
    probs = model.predict_proba(Xt)
    if SUITES[dataset]["classifier"] == "1NN":
        # 1NN probabilities are one-hot; smooth them so that LEEP stays finite.
        probs = 0.9 * probs + 0.1 / probs.shape[1]
    return accuracy, probs


def jointly_scaled(dataset: str, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """L1-normalised rows, z-scored with the pooled source + target statistics."""
    Xs, _ = load_domain(dataset, source, preprocessing="none")
    Xt, _ = load_domain(dataset, target, preprocessing="none")
    Xs = Xs / np.maximum(Xs.sum(1, keepdims=True), 1e-12)
    Xt = Xt / np.maximum(Xt.sum(1, keepdims=True), 1e-12)
    pooled = np.vstack([Xs, Xt])
    mean, std = pooled.mean(0), pooled.std(0)
    std[std == 0] = 1.0
    return (Xs - mean) / std, (Xt - mean) / std


def run_suite(
    dataset: str,
    seed: int,
    max_samples: int,
    cache: Path | None,
    targets: str | None = None,
    cached_only: bool = False,
) -> list[dict]:
    rows = []
    short = SUITES[dataset]["domains"]
    tasks = [(s, t) for s, t in permutations(short, 2) if targets is None or t in targets]
    for s, t in tqdm(tasks, desc=dataset, unit="task"):
        cached = None
        if cache is not None:
            cached = cache / f"{dataset}-{s}-{t}-seed{seed}-max{max_samples}.json"
            if cached.is_file():
                rows.append(json.loads(cached.read_text()))
                continue
            if cached_only:
                continue
        Xs, ys, Xt, yt = load_task(dataset, short[s], short[t])
        start = time.perf_counter()
        acc, probs = source_only(dataset, Xs, ys, Xt, yt)
        Zs, Zt = jointly_scaled(dataset, short[s], short[t])
        dists = domain_distances(
            Zs, Zt, n_permutations=0, n_bootstrap=0, max_samples=max_samples, random_state=seed
        )
        metrics = {r.name: r.value for r in dists}
        metrics["leep"] = leep(probs, yt)
        metrics["nce"] = nce(probs.argmax(1), yt)
        row = {
            "task": f"{s}->{t}",
            "source": short[s],
            "target": short[t],
            "accuracy": acc,
            "metrics": metrics,
            "seconds": time.perf_counter() - start,
        }
        if cached is not None:
            cached.write_text(json.dumps(row))
        rows.append(row)
    return rows


def correlations(rows: list[dict]) -> dict[str, dict]:
    acc = np.array([r["accuracy"] for r in rows])
    out = {}
    for name in METRICS:
        values = np.array([r["metrics"][name] for r in rows])
        tau, p = kendalltau(values, acc)
        within = []
        for target in sorted({r["target"] for r in rows}):
            idx = [i for i, r in enumerate(rows) if r["target"] == target]
            t_tau = kendalltau(values[idx], acc[idx])[0]
            if np.isfinite(t_tau):
                within.append(t_tau)
        out[name] = {
            "tau": float(tau),
            "p_value": float(p),
            "within_target_tau": float(np.mean(within)) if within else None,
            "higher_is_better": name in SCORES,
        }
    return out


def write_markdown(results: dict) -> None:
    lines = [
        "# Domain distances vs source-only target accuracy (Kendall tau)",
        "",
        "Measured by `python benchmarks/metrics_correlation.py` (do not edit by hand).",
        "",
        "Protocol: source-only accuracy with the standard preprocessing (L1 rows + "
        "per-domain z-score) and classifier **1NN** on Office-Caltech SURF (JDA protocol) "
        "or **logistic regression** on Amazon reviews; full source vs full target, one "
        f"run, seed {results['seed']}; Wasserstein and Sinkhorn on random subsamples of "
        f"{results['max_samples']} rows per domain. Distances are label-free and computed "
        "on L1 rows z-scored *jointly* (pooled source + target statistics), because a per-domain "
        "z-score erases the mean and variance shift between domains. LEEP and NCE use the "
        "target labels and the source-only classifier's outputs.",
        "",
        "A distance that predicts transfer has a **negative** tau (farther, lower "
        "accuracy); LEEP/NCE should have a **positive** tau. *Within-target tau* ranks the "
        "3 sources of each target and averages over the 4 targets (the question "
        "`transferkit rank` answers).",
        "",
    ]
    header = (
        "| metric | "
        + " | ".join(f"{d} tau (all tasks) | p | {d} within-target tau" for d in results["suites"])
        + " |"
    )
    lines += [header, "|---" * (1 + 3 * len(results["suites"])) + "|"]
    for name in METRICS:
        cells = []
        for d in results["suites"]:
            c = results["suites"][d]["correlations"][name]
            within = c["within_target_tau"]
            cells += [
                f"{c['tau']:+.2f}",
                f"{c['p_value']:.3f}",
                "-" if within is None else f"{within:+.2f}",
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for d, suite in results["suites"].items():
        accs = [r["accuracy"] for r in suite["tasks"]]
        lines += [
            "",
            f"## {d} ({suite['classifier']}): per task",
            "",
            f"{len(accs)} of 12 tasks; mean source-only accuracy {np.mean(accs):.2f} %.",
            "",
            "| task | accuracy (%) | " + " | ".join(METRICS) + " |",
            "|---" * (2 + len(METRICS)) + "|",
        ]
        for r in suite["tasks"]:
            vals = " | ".join(f"{r['metrics'][m]:.4g}" for m in METRICS)
            lines.append(f"| {r['task']} | {r['accuracy']:.2f} | {vals} |")
    lines += ["", "Scatter plots: `metrics_correlation.png`."]
    (RESULTS / "metrics_correlation.md").write_text("\n".join(lines) + "\n")


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suites = list(results["suites"])
    cols = 6
    rows_per = int(np.ceil(len(METRICS) / cols))
    fig, axes = plt.subplots(
        rows_per * len(suites),
        cols,
        figsize=(3.2 * cols, 2.8 * rows_per * len(suites)),
        squeeze=False,
    )
    for si, d in enumerate(suites):
        tasks = results["suites"][d]["tasks"]
        acc = [r["accuracy"] for r in tasks]
        for mi, name in enumerate(METRICS):
            ax = axes[si * rows_per + mi // cols, mi % cols]
            x = [r["metrics"][name] for r in tasks]
            ax.scatter(x, acc, s=18, color="C0" if si == 0 else "C1")
            for xi, yi, r in zip(x, acc, tasks, strict=True):
                ax.annotate(r["task"].replace("->", ">"), (xi, yi), fontsize=6)
            tau = results["suites"][d]["correlations"][name]["tau"]
            ax.set_title(f"{d.split('_')[0]}: {name} (tau {tau:+.2f})", fontsize=8)
            ax.tick_params(labelsize=6)
            if mi % cols == 0:
                ax.set_ylabel("source-only acc. (%)", fontsize=7)
        for extra in range(len(METRICS), rows_per * cols):
            axes[si * rows_per + extra // cols, extra % cols].axis("off")
    fig.tight_layout()
    fig.savefig(RESULTS / "metrics_correlation.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", nargs="*", default=list(SUITES))
    parser.add_argument(
        "--max-samples",
        type=int,
        default=1000,
        help="rows per domain for the transport distances (random subsample above it)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="folder for per-task results, so that an interrupted run resumes",
    )
    parser.add_argument("--no-report", action="store_true", help="only fill the cache")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="report only the tasks already in the cache (a partial run, said so in the report)",
    )
    parser.add_argument(
        "--targets", default=None, help="only tasks whose target letter is in this string"
    )
    parser.add_argument(
        "--quick", action="store_true", help="SURF tasks into DSLR, 200 rows per domain"
    )
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.targets, args.max_samples = ["office_caltech10_surf"], "D", 200
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
    results = {"seed": args.seed, "max_samples": args.max_samples, "suites": {}}
    for d in args.datasets:
        tasks = run_suite(
            d, args.seed, args.max_samples, args.cache, args.targets, args.cached_only
        )
        if len(tasks) < 3:
            continue
        results["suites"][d] = {
            "classifier": SUITES[d]["classifier"],
            "tasks": tasks,
            "correlations": correlations(tasks),
        }
    if args.no_report:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metrics_correlation.json").write_text(json.dumps(results, indent=2))
    write_markdown(results)
    plot(results)
    print((RESULTS / "metrics_correlation.md").read_text())


if __name__ == "__main__":
    main()
