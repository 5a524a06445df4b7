"""Real cross-country appliance recognition: PLAID 2018 (US, 60 Hz) -> HFHAD-C (China, 50 Hz).

Protocol (measured by this script):

* data: :func:`transferkit.nilm.load_cross_country`, the classes both subsets measure
  as :func:`transferkit.nilm.align_labels` finds them with the package's label map
  (air conditioner, fridge, kettle, laptop; other resistive heaters are not merged into
  the kettle, see ``docs/nilm.md``): 80 PLAID events (one cycle
  each, on and off events) as the labelled source, 80 HFHAD-C recordings (one steady cycle
  from 10 averaged) as the target; 128 points per cycle;
* features: ``pixels`` = 32x32 binary V-I image blurred by 0.7 px
  (:func:`transferkit.nilm.vi_features`); ``EfficientNet`` = the 1280-d ``head``
  features of ImageNet EfficientNet-Lite0 (frozen) on the binary image resized to 64x64
  and repeated to RGB (:func:`transferkit.nilm.vi_cnn_features`);
* labelled target: ``k`` in {0, 1, 5} records per class drawn at random (the seed;
  :func:`transferkit.experiments.draw_labelled_per_class`, the draw of a config's
  ``target_labels: {per_class: K}``);
  every other target record is scored (accuracy and macro-F1). HFHAD-C has no house ids,
  so this is a random split (optimistic for a new house);
* no transfer: ``source only`` (logistic regression, C=1, on the source; with k > 0 on
  the source plus the k labelled target records, ``pooled``) and ``target only`` (the k
  labelled target records alone);
* shallow transfer (same classifier, labelled target records added to its training set):
  CORAL (lambda in {0.1, 1, 10}), TCA, JDA (linear, k in {5, 20}) and subspace
  alignment (k in {5, 20}), on both feature sets;
* fine-tuned: ``FineTuneClassifier`` with ImageNet EfficientNet-Lite0, pre-trained on the
  source (5 epochs) then its last stage + new head fine-tuned on the k labelled target
  records (15 epochs, Adam 1e-3); k >= 1 only;
* deep: DANN and TADA (``transferkit.deep``, LeNet on the 1x32x32 blurred image, 30
  epochs, SGD 0.01, batch 32; labelled target records join the source);
* selection: **label-free** = DEV (deep embedded validation; shallow grids through
  ``transferkit.selection.select``, deep epochs through ``selection="dev"``) and
  **oracle** = the candidate / epoch with the best accuracy on the scored target records
  (an upper bound, not a usable method).

Run: ``nice -n 10 python benchmarks/nilm_cross_country.py`` (1 thread; results are written
after every cell to ``benchmarks/results/nilm_cross_country.json``, and a rerun skips the
cells already there); ``--report-only`` rewrites the table and plot from the JSON;
``--quick`` (seconds: one seed, k in {0, 1}, pixels, CORAL and SA, DANN for 2 epochs)
writes nothing.
Writes ``benchmarks/results/nilm_cross_country.{md,json,png}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment, write_json, write_markdown
from transferkit import CORAL, JDA, TCA, SourceOnly, SubspaceAlignment, make_transfer_pipeline
from transferkit.deep import DANN, TADA
from transferkit.experiments import draw_labelled_per_class
from transferkit.finetune import FineTuneClassifier
from transferkit.nilm import load_cross_country, vi_cnn_features, vi_features
from transferkit.selection import select

NAME = "nilm_cross_country"
KS = (0, 1, 5)
SEEDS = (0, 1, 2)


def clf():
    return LogisticRegression(C=1.0, max_iter=3000)


def scores(y, pred):
    return float(np.mean(pred == y)), float(f1_score(y, pred, average="macro"))


def shallow_grid(quick: bool):
    grid = {
        "CORAL": (make_transfer_pipeline(CORAL(), clf()), {"coral__lambda_": [0.1, 1.0, 10.0]}),
        "SA": (
            make_transfer_pipeline(SubspaceAlignment(5), clf()),
            {"subspacealignment__n_components": [5, 20]},
        ),
    }
    if not quick:
        grid["TCA"] = (
            make_transfer_pipeline(TCA(5, kernel="linear"), clf()),
            {"tca__n_components": [5, 20]},
        )
        grid["JDA"] = (
            make_transfer_pipeline(JDA(5, kernel="linear"), clf()),
            {"jda__n_components": [5, 20]},
        )
    return grid


def candidates(grid: dict) -> list[dict]:
    (key, values), *rest = grid.items()
    assert not rest
    return [{key: v} for v in values]


def run_cell(data, seed, k, quick, log):
    """Every method for one (seed, k): list of result rows."""
    Xs_p, Xt_p, Xs_e, Xt_e, ys, yt = data
    labelled, _ = draw_labelled_per_class(yt, k, seed)  # the draw of target_labels.per_class
    partial = np.full(len(yt), -1)
    partial[labelled] = yt[labelled]
    lab, test = partial >= 0, partial < 0
    rows = []

    def add(method, features, acc_f1, free=None, oracle=None, seconds=0.0):
        rows.append(
            {
                "seed": seed,
                "k": k,
                "method": method,
                "features": features,
                "accuracy": acc_f1[0],
                "macro_f1": acc_f1[1],
                "label_free": free,
                "oracle": oracle,
                "seconds": round(seconds, 2),
            }
        )
        log(f"seed {seed} k={k} {method} [{features}] acc {100 * acc_f1[0]:.1f}")

    feature_sets = [("pixels", Xs_p, Xt_p)]
    if not quick:
        feature_sets.append(("EfficientNet", Xs_e, Xt_e))
    for fname, Xs, Xt in feature_sets:
        t = time.process_time()
        if k:
            m = clone(clf()).fit(np.vstack([Xs, Xt[lab]]), np.concatenate([ys, yt[lab]]))
            add("source only (pooled)", fname, scores(yt[test], m.predict(Xt[test])))
            m = clone(clf()).fit(Xt[lab], yt[lab])
            add("target only", fname, scores(yt[test], m.predict(Xt[test])))
        else:
            m = SourceOnly(clf()).fit(Xs, ys, X_target=Xt)
            add("source only", fname, scores(yt[test], m.predict(Xt[test])), seconds=0)
        for name, (est, grid) in shallow_grid(quick).items():
            t = time.process_time()
            cands = candidates(grid)
            accs = []
            for params in cands:
                m = clone(est).set_params(**params).fit(Xs, ys, X_target=Xt, y_target=partial)
                accs.append(scores(yt[test], m.predict(Xt[test])))
            sel = select(
                est,
                grid,
                Xs,
                ys,
                Xt,
                criterion="dev",
                cv=3,
                y_target=partial,
                refit=False,
                random_state=seed,
            )
            free = cands.index({key: sel.best_params[key] for key in cands[0]})
            best = int(np.argmax([a for a, _ in accs]))
            add(
                name,
                fname,
                accs[free],
                free=str(cands[free]),
                oracle={
                    "params": str(cands[best]),
                    "accuracy": accs[best][0],
                    "macro_f1": accs[best][1],
                },
                seconds=time.process_time() - t,
            )
    # deep methods on the 1x32x32 blurred images; labelled target records join the source
    X_src = np.vstack([Xs_p, Xt_p[lab]]) if k else Xs_p
    y_src = np.concatenate([ys, yt[lab]]) if k else ys
    deep = {"DANN": DANN} if quick else {"DANN": DANN, "TADA": TADA}
    for name, cls in deep.items():
        t = time.process_time()
        net = cls(
            image_shape=(1, 32, 32),
            network="lenet",
            epochs=2 if quick else 30,
            batch_size=32,
            lr=0.01,
            selection="dev",
            val_fraction=0.1,
            random_state=seed,
        ).fit(X_src.astype(np.float32), y_src, X_target=Xt_p.astype(np.float32))
        free = scores(yt[test], net.predict(Xt_p[test].astype(np.float32)))
        chosen = int(net.selected_epoch_) if hasattr(net, "selected_epoch_") else None
        per_epoch = []
        for e in range(net.n_epochs_recorded_):
            net.use_epoch(e)
            per_epoch.append(scores(yt[test], net.predict(Xt_p[test].astype(np.float32))))
        best = int(np.argmax([a for a, _ in per_epoch]))
        add(
            name,
            "pixels (LeNet)",
            free,
            free=f"epoch {chosen}",
            oracle={
                "params": f"epoch {best}",
                "accuracy": per_epoch[best][0],
                "macro_f1": per_epoch[best][1],
            },
            seconds=time.process_time() - t,
        )
    if k and not quick:
        t = time.process_time()
        ft = FineTuneClassifier(
            backbone="efficientnet_lite0",
            image_shape=(1, 32, 32),
            pretrained=True,
            imagenet_input=True,
            resize_to=64,
            policy="last_k",
            pretrain_epochs=5,
            epochs=15,
            pretrain_lr=1e-3,
            lr=1e-3,
            batch_size=16,
            random_state=seed,
        ).fit(Xs_p.astype(np.float32), ys, X_target=Xt_p.astype(np.float32), y_target=partial)
        add(
            "fine-tuned EfficientNet-Lite0",
            "pixels (ImageNet CNN)",
            scores(yt[test], ft.predict(Xt_p[test].astype(np.float32))),
            free="fixed",
            oracle=None,
            seconds=time.process_time() - t,
        )
    return rows


def summarise(runs: list[dict], metric: str = "accuracy") -> tuple[str, list[dict]]:
    """Markdown table (mean ± std over seeds) of ``metric`` and the rows behind it."""
    keys = []
    for r in runs:
        key = (r["method"], r["features"])
        if key not in keys:
            keys.append(key)
    table = []
    for method, features in keys:
        line = {"method": method, "features": features}
        for k in KS:
            cell = [
                r for r in runs if (r["method"], r["features"], r["k"]) == (method, features, k)
            ]
            if not cell:
                continue
            acc = np.array([r[metric] for r in cell])
            line[f"k{k}"] = (acc.mean(), acc.std(), len(cell))
            orc = [r["oracle"][metric] for r in cell if r["oracle"]]
            if orc:
                line[f"k{k}_oracle"] = (np.mean(orc), np.std(orc), len(orc))
        table.append(line)
    fmt = lambda c: f"{100 * c[0]:.1f} ± {100 * c[1]:.1f} (n={c[2]})" if c else "n/a"  # noqa: E731
    lines = [
        "| method | features | "
        + " | ".join(f"k={k} label-free | k={k} oracle" for k in KS)
        + " |",
        "|---|---|" + "---|---|" * len(KS),
    ]
    for line in table:
        cells = []
        for k in KS:
            cells.append(fmt(line.get(f"k{k}")))
            cells.append(fmt(line.get(f"k{k}_oracle")))
        lines.append(f"| {line['method']} | {line['features']} | " + " | ".join(cells) + " |")
    return "\n".join(lines), table


def paired(runs: list[dict], a: str = "TADA", b: str = "DANN") -> str:
    """``a`` minus ``b`` per (seed, k), same data, seeds and backbone: markdown lines."""
    lines = [
        f"| k | {a} - {b}, label-free (per seed) | mean | {a} - {b}, oracle epoch (per seed) "
        "| mean |",
        "|---|---|---|---|---|",
    ]
    for k in KS:
        free, orc = [], []
        for seed in SEEDS:
            g = {r["method"]: r for r in runs if (r["seed"], r["k"]) == (seed, k)}
            if a in g and b in g:
                free.append(100 * (g[a]["accuracy"] - g[b]["accuracy"]))
                orc.append(100 * (g[a]["oracle"]["accuracy"] - g[b]["oracle"]["accuracy"]))
        if free:
            lines.append(
                f"| {k} | {' / '.join(f'{d:+.1f}' for d in free)} | {np.mean(free):+.1f} | "
                f"{' / '.join(f'{d:+.1f}' for d in orc)} | {np.mean(orc):+.1f} |"
            )
    return "\n".join(lines)


def plot(table: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 0.35 * len(table) + 1.5))
    ax = fig.subplots()
    labels = [f"{t['method']} [{t['features']}]" for t in table]
    y = np.arange(len(table))[::-1]
    width = 0.8 / len(KS)
    for j, k in enumerate(KS):
        vals = [t.get(f"k{k}", (np.nan, 0, 0))[0] for t in table]
        errs = [t.get(f"k{k}", (0, 0, 0))[1] for t in table]
        ax.barh(y + (j - 1) * width, vals, height=width, xerr=errs, label=f"k={k} labelled/class")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("target accuracy, HFHAD-C (label-free selection; mean ± std over seeds)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(path, dpi=100, bbox_inches="tight")


def report(payload: dict) -> None:
    text, table = summarise(payload["runs"])
    done = {(r["seed"], r["k"]) for r in payload["runs"]}
    missing = [f"seed {s} k={k}" for s in SEEDS for k in KS if (s, k) not in done]
    md = [
        "# NILM cross-country transfer: PLAID 2018 (US) -> HFHAD-C (China)",
        "",
        "Produced by `benchmarks/nilm_cross_country.py` (protocol in its docstring). Target "
        "accuracy on the HFHAD-C records that are not labelled, mean ± std over seeds "
        "(n = number of seeds in the cell). *label-free*: hyper-parameters / epoch chosen "
        "by DEV without target labels; *oracle*: the best candidate on the scored target "
        "records (upper bound). k = labelled target records per class. Classes: "
        + ", ".join(payload["classes"])
        + ".",
        "",
        text,
        "",
        "Macro-F1 (%) on the same scored records, same runs (the oracle candidate is the "
        "one with the best accuracy, so its macro-F1 can fall below the label-free one):",
        "",
        summarise(payload["runs"], "macro_f1")[0],
        "",
        "TADA vs DANN on the same LeNet backbone, data, seeds and schedule: target accuracy "
        "difference in points per seed (0 / 1 / 2), with the DEV-chosen epoch and with the "
        "oracle epoch:",
        "",
        paired(payload["runs"]),
        "",
        f"Cells missing: {', '.join(missing) if missing else 'none'}.",
        "",
        f"Environment: {payload['environment']}",
    ]
    write_markdown(NAME, "\n".join(md))
    try:
        plot(table, RESULTS / f"{NAME}.png")
    except ImportError:
        print("matplotlib is missing: no plot")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="seconds; writes nothing")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    path = RESULTS / f"{NAME}.json"
    if args.report_only:
        report(json.loads(path.read_text()))
        return
    cc = load_cross_country()
    Xs_p, imgs = vi_features(cc.voltage_source, cc.current_source)
    Xt_p, imgt = vi_features(cc.voltage_target, cc.current_target)
    if args.quick:
        Xs_e = Xt_e = None
    else:
        Xs_e, Xt_e = vi_cnn_features(imgs), vi_cnn_features(imgt)
    classes = np.array(cc.classes)
    ys, yt = np.searchsorted(classes, cc.y_source), np.searchsorted(classes, cc.y_target)
    data = (Xs_p, Xt_p, Xs_e, Xt_e, ys, yt)
    log = print
    if args.quick:
        for k in (0, 1):
            rows = run_cell(data, 0, k, True, log)
            assert all(0 <= r["accuracy"] <= 1 for r in rows)
        return
    payload = (
        json.loads(path.read_text())
        if path.exists()
        else {"classes": list(cc.classes), "environment": environment(), "runs": []}
    )
    for seed in args.seeds:
        for k in KS:
            if any(r["seed"] == seed and r["k"] == k for r in payload["runs"]):
                continue
            payload["runs"] += run_cell(data, seed, k, False, log)
            payload["environment"] = environment()
            write_json(NAME, payload)
            report(payload)


if __name__ == "__main__":
    main()
