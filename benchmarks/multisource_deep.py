"""Three sources to one target with a deep multi-source method: M3SDA against pooling.

Office-Caltech10 SURF (A, C, D, W) and Amazon reviews (B, D, E, K; 400 features): each
domain in turn is the target and the other three are the labelled sources (4 tasks per
data set), features L1-normalised then z-scored per domain (``preprocessing="standard"``).

Deep rows (3 seeds; the seed moves initialisation, batches, dropout and the held-out
source split): one MLP (800 or 400 -> 256 ReLU, dropout 0.5), SGD (Nesterov, lr 0.01,
momentum 0.9, weight decay 5e-4, annealed), batches of 64 source + 64 target samples, 20
epochs, the epoch kept chosen by DEV (no target label):

* ``MLP pool``: ``DeepSourceOnly`` on the three sources stacked as one;
* ``M3SDA λ=0``: per-source classifiers averaged with equal weights (M3SDA's default
  combination, ``combination="uniform"``), no alignment (what the per-source heads alone
  do);
* ``M3SDA λ=0.01`` and ``λ=0.1``: the moment distance (K=2 moments) with that weight;
* ``M3SDA (λ by DEV)``: of the two, the run with the lower DEV risk (label-free).

The same M3SDA runs with the combination weighted by each source's moment distance to the
target (``combination="moment"``, w_i ∝ exp(-d_i/d̄), the default
before this table was re-run) are kept in the JSON as ``... (distance weights)`` rows and
summarised in a second table: training does not depend on the combination, only the
prediction and the DEV-chosen epoch do.

``oracle epoch`` is the best target accuracy over the 20 epochs (looks at the labels, an
upper bound on the selection). Shallow rows: logistic regression (C=0.1) on the same
features, pooled and the best single source (oracle); and the committed rows of
``benchmarks/results/multisource_standard.md`` (``source only`` under each scheme, on the
same L1 + z-score features; ``multisource.md`` holds them on the raw features) read from
that file. Diagnostics: each source classifier's target accuracy, the combination weights,
and the moment distance :math:`MD^2` between the domains in the learned features, also
divided by the mean feature norm (so that a shrinking of the features does not count as
alignment).

Run: ``python benchmarks/multisource_deep.py`` (about an hour on a shared 2-core
machine; resumes from ``results/multisource_deep.json``), ``--quick`` (SURF -> dslr,
one seed, 2 epochs, seconds) or ``--diagnose`` (seed 0, SURF -> webcam and SURF ->
dslr: does the alignment keep the classes apart? a few minutes). Results:
``benchmarks/results/multisource_deep.md`` and ``multisource_deep_diagnosis.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from _paths import COMMITTED_RESULTS, RESULTS
from transferkit import SourceOnly
from transferkit.datasets import load_domain
from transferkit.deep import M3SDA, DeepSourceOnly, moment_distance

DATASETS = {
    "office_caltech10_surf": ["amazon", "caltech", "dslr", "webcam"],
    "amazon_review_400": ["books", "dvd", "elec", "kitchen"],
}
LAMBDAS = (0.01, 0.1)
COMMITTED = [
    ("pool", "pool"),
    ("best single (oracle)", "oracle"),
    ("best single (label-free)", "label_free"),
    ("select 2 of 3", "select2"),
    ("weighted ensemble", "weighted"),
]


def deep_settings(quick: bool) -> dict:
    if quick:
        return dict(hidden=(32,), epochs=2)
    return dict(hidden=(256,), epochs=20)


def features(model, X: np.ndarray) -> torch.Tensor:
    """Bottleneck features of a fitted deep model (M3SDA or DeepSourceOnly)."""
    if isinstance(model, M3SDA):
        return torch.as_tensor(model.embed(X))
    with torch.no_grad():
        model.net_.eval()
        return model.net_.forward_features(torch.as_tensor(X, dtype=torch.float32))[1].double()


def alignment(model, X, ids, Xt) -> dict:
    f, ft = features(model, X), features(model, Xt)
    md = float(moment_distance([f[torch.as_tensor(ids == i)] for i in np.unique(ids)], ft, 2))
    scale = float(torch.cat([f, ft]).norm(dim=1).mean())
    return {"md": md, "md_rel": md / max(scale, 1e-12)}


def epoch_accuracies(model, Xt, yt) -> list[float]:
    kept = model.selected_epoch_
    accs = [model.use_epoch(e).score(Xt, yt) for e in range(model.n_epochs_recorded_)]
    model.use_epoch(kept)
    return accs


def run_deep(name, dataset, target, seed, data, quick) -> dict:
    X, y, ids, Xt, yt = data
    kw = dict(deep_settings(quick), random_state=seed)
    start = time.perf_counter()
    if name == "MLP pool":
        model = DeepSourceOnly(**kw).fit(X, y, X_target=Xt)
    else:
        lam = float(name.split("=")[1])
        model = M3SDA(trade_off=lam, **kw).fit(X, y, X_target=Xt, sample_domain=ids)
    row = {
        "dataset": dataset,
        "target": target,
        "seed": seed,
        "method": name,
        "accuracy": model.score(Xt, yt),
        "dev": float(model.selection_scores_["dev"][model.selected_epoch_]),
        "selected_epoch": int(model.selected_epoch_),
        "epoch_accuracies": epoch_accuracies(model, Xt, yt),
        "seconds": time.perf_counter() - start,
        **alignment(model, X, ids, Xt),
    }
    if isinstance(model, M3SDA):
        with torch.no_grad():
            f = torch.as_tensor(model.embed(Xt), dtype=torch.float32)
            heads = [z.argmax(1).numpy() for z in model.net_.head_logits(f)]
        row["head_accuracies"] = [float(np.mean(model.classes_[h] == yt)) for h in heads]
        row["weights"] = model.source_weights_.round(3).tolist()
        row["combination"] = model.combination
    return row


def shallow_rows(dataset, target, sources, domains, data) -> dict:
    X, y, _, Xt, yt = data
    lr = LogisticRegression(C=0.1, max_iter=2000)
    single = {s: SourceOnly(lr).fit(*domains[s], X_target=Xt).score(Xt, yt) for s in sources}
    return {
        "dataset": dataset,
        "target": target,
        "method": "LR",
        "pool": SourceOnly(lr).fit(X, y, X_target=Xt).score(Xt, yt),
        "oracle": max(single.values()),
        "oracle_source": max(single, key=single.get),
    }


def committed_rows(path: Path) -> dict:
    """``(dataset, target) -> {column: accuracy}`` of the 'source only' rows of a
    ``multisource*.md`` table."""
    out: dict = {}
    if not path.exists():
        return out
    dataset = None
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            dataset = line[3:].strip()
        elif line.startswith("| method |"):
            header = [c.strip() for c in line.strip("|").split("|")]
        elif line.startswith("| source only |") and dataset:
            cells = [c.strip() for c in line.strip("|").split("|")]
            values = {}
            for label, key in COMMITTED:
                if label in header:
                    m = re.match(r"([\d.]+)", cells[header.index(label)])
                    values[key] = float(m.group(1)) / 100 if m else float("nan")
            out[(dataset, cells[1])] = values
    return out


def load_results(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def save_results(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    os.replace(tmp, path)


DISTANCE = " (distance weights)"


def with_dev_choice(rows: list[dict]) -> list[dict]:
    """Add, per (dataset, target, seed), the M3SDA run with the lower DEV risk (for each
    combination of the source classifiers)."""
    out = [r for r in rows if not r["method"].startswith("M3SDA (λ by DEV)")]
    keys = {(r["dataset"], r["target"], r["seed"]) for r in out if "seed" in r}
    for suffix in ("", DISTANCE):
        for key in sorted(keys):
            cands = [
                r
                for r in out
                if (r.get("dataset"), r.get("target"), r.get("seed")) == key
                and r["method"] in {f"M3SDA λ={lam}{suffix}" for lam in LAMBDAS}
            ]
            if cands:
                best = min(cands, key=lambda r: (r["dev"], r["method"]))
                out.append(
                    {**best, "method": f"M3SDA (λ by DEV){suffix}", "chosen": best["method"]}
                )
    return out


def mean_std(values, n_expected: int = 3) -> str:
    a = 100 * np.asarray(values, dtype=float)
    note = f" (n={a.size})" if a.size < n_expected else ""
    return f"{a.mean():.2f} ± {a.std():.2f}{note}"


DEEP = ["MLP pool", "M3SDA λ=0", *(f"M3SDA λ={lam}" for lam in LAMBDAS), "M3SDA (λ by DEV)"]


def report(rows, committed, quick, seconds) -> str:
    deep = [r for r in rows if "seed" in r]
    shallow = {(r["dataset"], r["target"]): r for r in rows if r.get("method") == "LR"}
    methods = [m for m in DEEP if any(r["method"] == m for r in deep)]
    n_seeds = 1 if quick else 3
    lines = [
        "# Multi-source transfer with a deep method: M3SDA against pooling",
        "",
        "Produced by `python benchmarks/multisource_deep.py`"
        + (" --quick (a subset)" if quick else "")
        + f" ({seconds / 60:.1f} minutes of fitting on a shared 2-core machine); protocol in "
        "the script's docstring. Target accuracy (%); deep rows: mean ± std over 3 seeds, "
        "epoch chosen by DEV; (n=...) marks a cell with fewer seeds. Columns marked * are "
        "the committed rows of [multisource_standard.md](multisource_standard.md) "
        "(logistic regression, source only, on the same L1 + z-score features as the deep "
        "rows); `LR` columns are recomputed here on those features.",
        "",
    ]
    for dataset in dict.fromkeys(r["dataset"] for r in deep):
        targets = list(dict.fromkeys(r["target"] for r in deep if r["dataset"] == dataset))
        lines += [f"## {dataset}", ""]
        head = [f"{lab}*" for lab, _ in COMMITTED] + ["LR pool", "LR best single (oracle)"]
        lines.append("| target | " + " | ".join(head + methods) + " |")
        lines.append("|---|" + "---:|" * (len(head) + len(methods)))
        per_seed: dict = {}
        for target in targets:
            cells = []
            c = committed.get((dataset, target), {})
            cells += [f"{100 * c[k]:.2f}" if k in c else "" for _, k in COMMITTED]
            s = shallow.get((dataset, target))
            cells += [f"{100 * s['pool']:.2f}", f"{100 * s['oracle']:.2f}"] if s else ["", ""]
            for m in methods:
                accs = {
                    r["seed"]: r["accuracy"]
                    for r in deep
                    if (r["dataset"], r["target"], r["method"]) == (dataset, target, m)
                }
                for seed, acc in accs.items():
                    per_seed.setdefault(m, {}).setdefault(seed, []).append(acc)
                cells.append(mean_std(list(accs.values()), n_seeds) if accs else "")
            lines.append(f"| {target} | " + " | ".join(cells) + " |")
        avg = []
        for _, k in COMMITTED:
            vals = [committed.get((dataset, t), {}).get(k) for t in targets]
            avg.append(f"{100 * np.mean(vals):.2f}" if None not in vals else "")
        for k in ("pool", "oracle"):
            vals = [shallow[(dataset, t)][k] for t in targets if (dataset, t) in shallow]
            avg.append(f"{100 * np.mean(vals):.2f}" if len(vals) == len(targets) else "")
        for m in methods:
            seeds = per_seed.get(m, {})
            full = [np.mean(v) for v in seeds.values() if len(v) == len(targets)]
            avg.append(mean_std(full, n_seeds) if full else "")
        lines.append("| **average** | " + " | ".join(avg) + " |")
        lines.append("")
        lines += combination_table(deep, dataset, targets, n_seeds)
        lines += diagnostics(deep, dataset, targets, methods)
    return "\n".join(lines)


def combination_table(deep, dataset, targets, n_seeds) -> list[str]:
    """Equal weights (the default) against distance weights, on the same trained runs."""
    pairs = [
        (m, m + DISTANCE)
        for m in DEEP[1:]
        if any(r["method"] == m + DISTANCE and r["dataset"] == dataset for r in deep)
    ]
    if not pairs:
        return []
    lines = [
        f"Combination of the source classifiers ({dataset}): equal weights (the default, "
        "the table above) against weights ∝ exp(-d_i/d̄) from each source's moment distance "
        'to the target (`combination="moment"`), on the seeds run under both.',
        "",
        "| target | " + " | ".join(f"{m} | {m}{DISTANCE}" for m, _ in pairs) + " |",
        "|---|" + "---:|" * (2 * len(pairs)),
    ]
    per_seed: dict = {}
    for target in [*targets, "**average**"]:
        cells = []
        for pair in pairs:
            for m in pair:
                if target == "**average**":
                    seeds = per_seed.get(m, {})
                    full = [np.mean(v) for v in seeds.values() if len(v) == len(targets)]
                    cells.append(mean_std(full, n_seeds) if full else "")
                    continue
                both = [  # the seeds run under both combinations
                    {r["seed"] for r in deep if (r["dataset"], r["target"], r["method"]) == key}
                    for key in ((dataset, target, pair[0]), (dataset, target, pair[1]))
                ]
                accs = {
                    r["seed"]: r["accuracy"]
                    for r in deep
                    if (r["dataset"], r["target"], r["method"]) == (dataset, target, m)
                    and r["seed"] in both[0] & both[1]
                }
                for seed, acc in accs.items():
                    per_seed.setdefault(m, {}).setdefault(seed, []).append(acc)
                cells.append(mean_std(list(accs.values()), n_seeds) if accs else "")
        lines.append(f"| {target} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def diagnostics(deep, dataset, targets, methods) -> list[str]:
    lines = [
        f"Diagnostics ({dataset}; means over seeds): the accuracy at the best epoch (oracle "
        "epoch), each source classifier's target accuracy and its weight (sources in the "
        "order of the other three domains), and the moment distance MD² between the "
        "domains in the learned features (absolute / divided by the mean feature norm).",
        "",
        "| target | method | accuracy | oracle epoch | source classifiers (acc) | weights "
        "| MD² | MD² / norm |",
        "|---|---|---:|---:|---|---|---:|---:|",
    ]
    for target in targets:
        for m in methods:
            rs = [
                r for r in deep if (r["dataset"], r["target"], r["method"]) == (dataset, target, m)
            ]
            if not rs:
                continue
            heads = weights = ""
            if "head_accuracies" in rs[0]:
                heads = ", ".join(
                    f"{100 * v:.1f}" for v in np.mean([r["head_accuracies"] for r in rs], 0)
                )
                weights = ", ".join(f"{v:.2f}" for v in np.mean([r["weights"] for r in rs], 0))
            chosen = ""
            if "chosen" in rs[0]:
                chosen = " (" + ", ".join(r["chosen"].split(" ")[1] for r in rs) + ")"
            lines.append(
                f"| {target} | {m}{chosen} | {100 * np.mean([r['accuracy'] for r in rs]):.2f} "
                f"| {100 * np.mean([max(r['epoch_accuracies']) for r in rs]):.2f} | {heads} "
                f"| {weights} | {np.mean([r['md'] for r in rs]):.3f} "
                f"| {np.mean([r['md_rel'] for r in rs]):.3f} |"
            )
    lines.append("")
    return lines


DIAGNOSE_TASKS = [("office_caltech10_surf", "webcam"), ("office_caltech10_surf", "dslr")]


def class_alignment(model, X, y, Xt, yt) -> dict:
    """Does alignment keep the classes apart? (reads the target labels: a diagnostic.)

    ``centroid_acc``: share of target samples whose nearest source class mean (in the
    learned features) is their own class; ``conditional_md``: the mean over classes of
    the moment distance between the source and target samples of that class, divided by
    the mean feature norm.
    """
    f, ft = features(model, X), features(model, Xt)
    classes = np.unique(y)
    centroids = torch.stack([f[torch.as_tensor(y == c)].mean(0) for c in classes])
    nearest = classes[torch.cdist(ft, centroids).argmin(1).numpy()]
    scale = float(torch.cat([f, ft]).norm(dim=1).mean())
    per_class = [
        float(moment_distance([f[torch.as_tensor(y == c)]], ft[torch.as_tensor(yt == c)], 2))
        for c in classes
        if (yt == c).any()
    ]
    return {
        "centroid_acc": float(np.mean(nearest == yt)),
        "conditional_md": float(np.mean(per_class)) / max(scale, 1e-12),
    }


def diagnose(output: Path) -> None:
    """Seed 0, two tasks: what alignment does to the classes and to source fitting."""
    rows = []
    for dataset, target in DIAGNOSE_TASKS:
        domains = DATASETS[dataset]
        loaded = {d: load_domain(dataset, d, preprocessing="standard") for d in domains}
        sources = [d for d in domains if d != target]
        X = np.vstack([loaded[s][0] for s in sources])
        y = np.concatenate([loaded[s][1] for s in sources])
        ids = np.concatenate([np.full(len(loaded[s][1]), k + 1) for k, s in enumerate(sources)])
        Xt, yt = loaded[target]
        for name in ["MLP pool", "M3SDA λ=0", *(f"M3SDA λ={lam}" for lam in LAMBDAS)]:
            kw = dict(deep_settings(False), random_state=0)
            if name == "MLP pool":
                model = DeepSourceOnly(**kw).fit(X, y, X_target=Xt)
            else:
                lam = float(name.split("=")[1])
                model = M3SDA(trade_off=lam, **kw).fit(X, y, X_target=Xt, sample_domain=ids)
            rows.append(
                {
                    "dataset": dataset,
                    "target": target,
                    "method": name,
                    "accuracy": model.score(Xt, yt),
                    "source_accuracy": model.score(X, y, domain="source"),
                    "final_ce": model.history_["ce"][-1] if "ce" in model.history_ else None,
                    **alignment(model, X, ids, Xt),
                    **class_alignment(model, X, y, Xt, yt),
                }
            )
            print(rows[-1], flush=True)
    (output / "multisource_deep_diagnosis.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "# Why M3SDA does not beat pooling here: alignment against class structure",
        "",
        "Produced by `python benchmarks/multisource_deep.py --diagnose` (seed 0, the settings "
        "of the main table). `MD² / norm`: the moment distance between the domains in the "
        "learned features divided by the mean feature norm (what M3SDA minimises). "
        "`class-conditional MD² / norm`: the same distance between the source and target "
        "samples of each class, averaged over classes. `centroid acc.`: share of target "
        "samples whose nearest source class mean is their own class. The last two read "
        "the target labels (diagnostics, not model selection). `source acc.`: accuracy on "
        "the sources (training data) — how well the classes are still separated there.",
        "",
        "| task | method | target acc. | source acc. | MD² / norm "
        "| class-conditional MD² / norm | centroid acc. |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} -> {r['target']} | {r['method']} | {100 * r['accuracy']:.2f} "
            f"| {100 * r['source_accuracy']:.2f} | {r['md_rel']:.3f} "
            f"| {r['conditional_md']:.3f} | {100 * r['centroid_acc']:.2f} |"
        )
    (output / "multisource_deep_diagnosis.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {output / 'multisource_deep_diagnosis.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="SURF -> dslr, one seed, 2 epochs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--diagnose", action="store_true", help="seed 0, two tasks: alignment vs classes"
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        help="run only these data sets (the report covers every row of the JSON)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the report from the JSON"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.output.mkdir(parents=True, exist_ok=True)
    if args.diagnose:
        diagnose(args.output)
        return
    stem = "multisource_deep_quick" if args.quick else "multisource_deep"
    json_path = args.output / f"{stem}.json"
    rows = [] if args.quick else load_results(json_path)
    done = {(r["dataset"], r["target"], r.get("seed"), r["method"]) for r in rows}
    seeds = [0] if args.quick else [0, 1, 2]
    names = ["MLP pool", "M3SDA λ=0.1"] if args.quick else DEEP[:-1]
    cache: dict = {}
    for seed in seeds:  # every task once per seed, so that a partial run covers all tasks
        for dataset, domains in DATASETS.items():
            if args.report_only or dataset not in args.datasets:
                continue
            if args.quick and dataset != "office_caltech10_surf":
                continue
            if dataset not in cache:
                cache[dataset] = {
                    d: load_domain(dataset, d, preprocessing="standard") for d in domains
                }
            loaded = cache[dataset]
            for target in ["dslr"] if args.quick else domains:
                sources = [d for d in domains if d != target]
                X = np.vstack([loaded[s][0] for s in sources])
                y = np.concatenate([loaded[s][1] for s in sources])
                ids = np.concatenate(
                    [np.full(len(loaded[s][1]), k + 1) for k, s in enumerate(sources)]
                )
                data = (X, y, ids, *loaded[target])
                if (dataset, target, None, "LR") not in done:
                    rows.append(shallow_rows(dataset, target, sources, loaded, data))
                    done.add((dataset, target, None, "LR"))
                    save_results(json_path, rows)
                for name in names:
                    if (dataset, target, seed, name) in done:
                        continue
                    rows.append(run_deep(name, dataset, target, seed, data, args.quick))
                    save_results(json_path, rows)
                    r = rows[-1]
                    print(
                        f"{dataset} {target} seed {seed} {name}: {100 * r['accuracy']:.2f} "
                        f"({r['seconds']:.0f} s)",
                        flush=True,
                    )
    rows = with_dev_choice(rows)
    seconds = sum(
        r.get("seconds", 0.0) for r in rows if not r["method"].startswith("M3SDA (λ by DEV)")
    )
    committed = committed_rows(COMMITTED_RESULTS / "multisource_standard.md")
    (args.output / f"{stem}.md").write_text(report(rows, committed, args.quick, seconds))
    print(f"wrote {args.output / (stem + '.md')}")


if __name__ == "__main__":
    main()
