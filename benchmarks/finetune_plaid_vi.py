"""ImageNet-pretrained EfficientNet-Lite0 on PLAID V-I trajectory images vs a CNN from scratch.

Protocol (measured by this script; 5-fold stratified cross-validation x 3 seeds, the
seed shuffles the folds and initialises the networks):

* data: the 250-event PLAID 2018 subset (12 appliances, one mains cycle of V and I per
  event, each row already one cycle from a rising voltage zero crossing) through
  ``transferkit.datasets.load_plaid_subset``; each event becomes a binary 32x32 V-I image
  (``transferkit.nilm.vi_image(voltage, current, 32, "binary")``, the same pixels as the
  ``vi_binary_image`` the committed table was made with);
* ImageNet input: the binary image is resized to 64x64 (bilinear), repeated to RGB and
  scaled ``(x - 127) / 128`` on 0..255;
* ``pixels + logreg``: logistic regression on the 1024 raw binary pixels (no transfer);
* ``scratch CNN``: ``small_cnn`` (16/32/64 channels) on the 32x32 images, random init,
  Adam 1e-3, batch 32, up to 20 epochs, early stopping (patience 5) on a stratified 15 % split
  of the training fold;
* ``linear probe``: logistic regression (C=1, standardised) on the frozen EfficientNet
  ``head`` features (1280-d, global average pooled);
* ``linear probe, multi-layer``: the same on pooled ``stage4 + stage6 + head`` (1552-d);
* ``fine-tune last k``: new linear head, the last ``k`` stages trainable (``LastKStages``),
  Adam 5e-4, batch 32, up to 15 epochs with the same early stopping; the frozen prefix's
  output is computed once (``Backbone.split``) since it does not change;
* ``fine-tune full`` (only with ``--full``): every stage trainable, Adam 2e-4, same schedule.

Metric: macro-F1 on the held-out fold, mean ± std over the 15 fold x seed runs. The
subset has no house ids, so folds are not house-disjoint (PLAID papers that split by house
report lower numbers).

``--quick`` (seconds, writes nothing): 1 seed, the first fold of a 2-fold CV on the first
14 events of each appliance (168: the fewest for which the training fold still has a
stratified 15 % validation split), features extracted afresh (no cache), 1 epoch per
network, every method.

Run: ``python benchmarks/finetune_plaid_vi.py`` (or ``--seed-list 0`` / ``1`` / ``2`` in
parallel processes, optionally split further with ``--fold-list``, then ``--report-only``;
``--full`` adds full fine-tuning, which is too slow for the shared 1-core CI machine and
is not in the committed table).
Writes ``benchmarks/results/finetune_plaid_vi.{md,json,png}``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment, write_json, write_markdown
from transferkit import seed_everything
from transferkit.datasets import load_plaid_subset
from transferkit.finetune import (
    SmallCNN,
    TransferNet,
    extract_features,
    load_backbone,
    predict_logits,
    train_net,
)
from transferkit.finetune.transforms import imagenet_scale, resize, to_rgb
from transferkit.nilm import vi_image

SIZE = 32
WIDTHS = (16, 32, 64)  # scratch CNN, small enough for a shared CPU
NET_SIZE = 64
QUICK_PER_CLASS = 14
CACHE = Path(__file__).resolve().parent / ".cache"


def imagenet_input(x: torch.Tensor) -> torch.Tensor:
    return imagenet_scale(to_rgb(resize(x, NET_SIZE)))


def logreg() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))


def macro_f1(y_true, y_pred) -> float:
    return float(f1_score(y_true, y_pred, average="macro"))


def train_eval_net(net, Xtr, ytr, Xte, yte, *, lr, epochs, patience, seed, policy="full"):
    seed_everything(seed)
    train_net(
        net,
        Xtr,
        ytr,
        policy=policy,
        epochs=epochs,
        lr=lr,
        batch_size=32,
        val_fraction=0.15,
        patience=patience,
        random_state=seed,
        verbose=False,
    )
    return macro_f1(yte, predict_logits(net, Xte).argmax(1).numpy())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--full",
        action="store_true",
        help="also fine-tune every stage (slow on a shared CPU: not in the committed table)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="1 fold of 168 events, 1 epoch per network, no cache, no files written",
    )
    ap.add_argument(
        "--seed-list",
        type=int,
        nargs="+",
        help="run only these seeds and store their runs (to run seeds in parallel processes)",
    )
    ap.add_argument(
        "--fold-list", type=int, nargs="+", help="run only these folds (with --seed-list)"
    )
    ap.add_argument(
        "--report-only", action="store_true", help="aggregate the stored runs of all seeds"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    seeds = [0] if args.quick else list(range(args.seeds))
    if args.report_only:
        return report_stored(seeds, args)
    if args.seed_list:
        seeds = list(args.seed_list)

    plaid = load_plaid_subset()
    y = plaid.labels
    imgs = vi_image(plaid.voltage, plaid.current, size=SIZE, encoding="binary").astype(np.float32)
    cache, epochs = CACHE, {"scratch": 20, "finetune": 15}
    if args.quick:  # the first 14 events of each appliance, every step computed afresh
        keep = np.concatenate([np.flatnonzero(y == c)[:QUICK_PER_CLASS] for c in np.unique(y)])
        y, imgs, cache, epochs = y[keep], imgs[keep], None, {"scratch": 1, "finetune": 1}
        args.folds = 2
    X32 = torch.from_numpy(imgs[:, None])  # (n, 1, 32, 32); n = 250
    X_in = imagenet_input(X32)  # (n, 3, 64, 64)
    n_classes = int(y.max()) + 1

    t0 = time.perf_counter()
    backbone = load_backbone("efficientnet_lite0", pretrained=True)
    F_head = extract_features(backbone, X_in, "head", cache_dir=cache, verbose=False)
    F_multi = extract_features(
        backbone, X_in, ["stage4", "stage6", "head"], cache_dir=cache, verbose=False
    )
    # frozen prefixes for "last k" fine-tuning (eval mode: BN statistics are ImageNet's)
    prefixes = {}
    for k in (2, 4):
        prefix, _ = backbone.split(k)
        with torch.no_grad():
            prefixes[k] = torch.cat(
                [prefix.eval()(X_in[s : s + 50]) for s in range(0, len(X_in), 50)]
            )
    timings = {"features_s": time.perf_counter() - t0}

    rows: list[dict] = []

    def add(method, seed, fold, f1, seconds):
        rows.append(dict(method=method, seed=seed, fold=fold, macro_f1=f1, seconds=seconds))

    for seed in seeds:
        skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=seed)
        for fold, (tr, te) in enumerate(skf.split(np.zeros(y.size), y)):
            if args.quick and fold >= 1:
                break
            if args.fold_list and fold not in args.fold_list:
                continue
            ytr, yte = y[tr], y[te]
            t = time.perf_counter()
            pix = imgs.reshape(len(y), -1)
            add(
                "pixels + logreg",
                seed,
                fold,
                macro_f1(yte, logreg().fit(pix[tr], ytr).predict(pix[te])),
                time.perf_counter() - t,
            )
            for name, F in (
                ("linear probe (head)", F_head),
                ("linear probe, multi-layer", F_multi),
            ):
                t = time.perf_counter()
                add(
                    name,
                    seed,
                    fold,
                    macro_f1(yte, logreg().fit(F[tr], ytr).predict(F[te])),
                    time.perf_counter() - t,
                )
            t = time.perf_counter()
            torch.manual_seed(seed)
            scratch = TransferNet(SmallCNN(in_channels=1, widths=WIDTHS), n_classes)
            add(
                "scratch CNN",
                seed,
                fold,
                train_eval_net(
                    scratch,
                    X32[tr],
                    ytr,
                    X32[te],
                    yte,
                    lr=1e-3,
                    epochs=epochs["scratch"],
                    patience=5,
                    seed=seed,
                ),
                time.perf_counter() - t,
            )
            for k in (2, 4):
                t = time.perf_counter()
                _, top = copy.deepcopy(backbone).split(k)
                net = TransferNet(top, n_classes)
                net.reset_head(generator=torch.Generator().manual_seed(seed))
                P = prefixes[k]
                add(
                    f"fine-tune last {k} stages",
                    seed,
                    fold,
                    train_eval_net(
                        net,
                        P[tr],
                        ytr,
                        P[te],
                        yte,
                        lr=5e-4,
                        epochs=epochs["finetune"],
                        patience=5,
                        seed=seed,
                    ),
                    time.perf_counter() - t,
                )
            if args.full:
                t = time.perf_counter()
                net = TransferNet(copy.deepcopy(backbone), n_classes)
                net.reset_head(generator=torch.Generator().manual_seed(seed))
                add(
                    "fine-tune full",
                    seed,
                    fold,
                    train_eval_net(
                        net,
                        X_in[tr],
                        ytr,
                        X_in[te],
                        yte,
                        lr=2e-4,
                        epochs=epochs["finetune"],
                        patience=5,
                        seed=seed,
                    ),
                    time.perf_counter() - t,
                )
            last = [r for r in rows if r["seed"] == seed and r["fold"] == fold]
            print(
                f"seed {seed} fold {fold}: "
                + ", ".join(
                    f"{r['method']}={r['macro_f1']:.3f} ({r['seconds']:.0f}s)" for r in last
                ),
                flush=True,
            )
    timings["total_s"] = time.perf_counter() - t0
    if args.quick:
        report(rows, timings, seeds, args)
        return
    RUNS.mkdir(parents=True, exist_ok=True)
    done = sorted({(r["seed"], r["fold"]) for r in rows})
    for seed, fold in done:
        payload = {
            "seed": seed,
            "fold": fold,
            "process_s": timings["total_s"] / len(done),
            "environment": environment(),
            "rows": [r for r in rows if r["seed"] == seed and r["fold"] == fold],
        }
        (RUNS / f"seed{seed}_fold{fold}.json").write_text(json.dumps(payload, indent=1) + "\n")
    if not args.seed_list:
        report_stored(list(range(args.seeds)), args)


RUNS = RESULTS / "finetune_plaid_vi_runs"


def report_stored(seeds, args) -> None:
    """Aggregate the stored runs; the table says how many (seed, fold) runs each row holds."""
    rows, total, missing = [], 0.0, []
    for seed in seeds:
        for fold in range(args.folds):
            path = RUNS / f"seed{seed}_fold{fold}.json"
            if not path.is_file():
                missing.append(f"seed {seed} fold {fold}")
                continue
            d = json.loads(path.read_text())
            rows += d["rows"]
            total += d["process_s"]
    if not rows:
        raise SystemExit("no stored runs: run with --seed-list first.")
    args.missing = missing
    report(rows, {"total_s": total}, sorted({r["seed"] for r in rows}), args)


def report(rows, timings, seeds, args) -> None:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    summary = {}
    lines = ["| method | macro-F1 (%) | runs | mean time per run (s) |", "|---|---|---|---|"]
    for m in methods:
        v = np.array([r["macro_f1"] for r in rows if r["method"] == m])
        s = np.array([r["seconds"] for r in rows if r["method"] == m])
        summary[m] = {
            "mean": float(v.mean()),
            "std": float(v.std()),
            "n": int(v.size),
            "seconds_mean": float(s.mean()),
        }
        lines.append(
            f"| {m} | {100 * v.mean():.1f} ± {100 * v.std():.1f} | {v.size} | {s.mean():.1f} |"
        )
    env = environment()
    md = (
        f"""# ImageNet-pretrained EfficientNet-Lite0 on PLAID V-I images

Produced by `benchmarks/finetune_plaid_vi.py` ({args.folds}-fold stratified CV x
seeds {seeds}; {timings["total_s"]:.0f} s of summed wall-clock time on a heavily shared
CPU, {env["threads"]} thread per process; torch {env["torch"]}, {env["date_utc"]} UTC).
250 PLAID 2018 events, 12 appliances, binary 32x32 V-I images (64x64 RGB for the
ImageNet network). Macro-F1 on the held-out folds, mean ± std over folds and seeds.
Folds are not house-disjoint (no house ids in this subset).

"""
        + "\n".join(lines)
        + """

![macro-F1](finetune_plaid_vi.png)
"""
    )
    missing = getattr(args, "missing", [])
    if missing:
        md += (
            f"\n**Not run** (the shared machine ran out of time before the deadline): "
            f"{len(missing)} of {len(missing) + len({(r['seed'], r['fold']) for r in rows})} "
            "(seed, fold) runs: " + "; ".join(missing) + ".\n"
        )
    print(md)
    if args.quick:
        return
    write_markdown("finetune_plaid_vi", md)
    write_json(
        "finetune_plaid_vi",
        {
            "environment": env,
            "timings": timings,
            "missing": missing,
            "summary": summary,
            "runs": rows,
        },
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    mu = [100 * summary[m]["mean"] for m in methods]
    sd = [100 * summary[m]["std"] for m in methods]
    ax.barh(
        range(len(methods)),
        mu,
        xerr=sd,
        capsize=3,
        color=["#999" if "pixels" in m or "scratch" in m else "#3a7" for m in methods],
    )
    ax.set_yticks(range(len(methods)), methods)
    ax.invert_yaxis()
    ax.set_xlabel("macro-F1 (%)")
    ax.set_xlim(min(mu) - 15, 100)
    ax.set_title("PLAID V-I images: ImageNet transfer (green) vs no transfer (grey)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "finetune_plaid_vi.png", dpi=120)


if __name__ == "__main__":
    main()
