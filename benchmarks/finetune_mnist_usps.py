"""Source-pretrained vs scratch: MNIST -> USPS with 1, 5, 10, 50 labelled USPS digits per class.

Protocol (3 seeds; everything below is measured by this script):

* data: the JDA MNIST/USPS files (2000 MNIST, 1800 USPS, 16x16 grey, pixels in [0, 1],
  ``preprocessing="none"``) through ``transferkit.datasets.load_domain`` (the M->U task
  of the ``digits_pixels`` suite);
* backbone: ``small_cnn`` (3 conv-BN-ReLU stages, 16/32/64 channels), pre-trained on all
  of MNIST (Adam 1e-3, batch 64, 10 epochs, +-1 px random shifts);
* target: for each seed, ``k`` labelled USPS images per class are drawn with
  ``transferkit.experiments.draw_labelled_per_class(y_usps, k, seed)`` (the draw of
  ``target_labels: {per_class: k}`` in a ``transferkit run`` config); the other USPS
  images are the test set. Fine-tuning: new head, Adam 1e-3, batch 32, fixed budget of
  ``max(8, ceil(120 / batches per epoch))`` epochs (no early stopping: with 1 label per
  class there is nothing to validate on), +-1 px shifts;
* policies: linear probe, last-1 stage, full, discriminative LR (decay 0.3 per stage),
  gradual unfreezing (one more stage every quarter of the epochs); against the same CNN
  trained from scratch on the same labels with the same budget, and the source model
  applied unchanged ("source only", no target labels);
* regularisers: plain full fine-tuning vs L2-SP (alpha=0.1, beta=0.01, no weight decay)
  vs BSS (eta=0.001, k=1).

Every row is a registered benchmark method (``transferkit.bench.get_method``:
``finetune_source_only``, ``finetune_scratch``, ``finetune_linear_probe``,
``finetune_last_k``, ``finetune_full``, ``finetune_discriminative``, ``finetune_gradual``,
``finetune_l2sp``, ``finetune_bss``; a ``transferkit.finetune.FewShotFineTune`` each),
fitted on MNIST, all USPS images and the drawn labels, and scored on the USPS images not
drawn, exactly as a cell of ``benchmarks/configs/finetune_mnist_usps.yaml`` is: the config
reproduces these numbers. The rows of one seed share the pre-trained network (the
estimator's in-process cache), so a seed pre-trains once.

``--quick`` (seconds, writes nothing): 1 seed, k = 1, pre-training for 1 epoch on every
third MNIST digit and fine-tuning for 1 epoch, every policy and regulariser.

Run: ``python benchmarks/finetune_mnist_usps.py`` (about 5 CPU-minutes), or one process
per seed and shot count (``--seed-list 0 --shots-list 5``, ...), then ``--report-only`` to
aggregate the stored runs (``benchmarks/results/finetune_mnist_usps_runs/seed*_k*.json``).
Writes ``benchmarks/results/finetune_mnist_usps.{md,json,png}`` and
``benchmarks/results/finetune_regularizers.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment, mean_std, write_json, write_markdown
from transferkit.bench import get_method
from transferkit.datasets import load_domain
from transferkit.experiments import draw_labelled_per_class

SHOTS = (1, 5, 10, 50)
REG_SHOTS = SHOTS
POLICIES = ("linear_probe", "last_k", "full", "discriminative", "gradual")
#: table row -> registered benchmark method
ROWS = {
    "source_only": "finetune_source_only",
    "scratch": "finetune_scratch",
    **{policy: f"finetune_{policy}" for policy in POLICIES},
}
REG_ROWS = {"full+L2-SP": "finetune_l2sp", "full+BSS": "finetune_bss"}
QUICK = {"pretrain_epochs": 1, "epochs": 1, "min_steps": 0}


def held_out_accuracy(name, seed, Xs, ys, Xt, y_few, yt, held_out, quick=False):
    """Fit the registered method ``name`` as a cell does; accuracy on the held-out target."""
    spec = get_method(name)
    est = spec.build(seed, QUICK if quick else None)
    est.fit(Xs, ys, X_target=Xt, y_target=y_few if spec.uses_target_labels else None)
    predicted = np.asarray(est.predict(Xt))
    return float(np.mean(predicted[held_out] == yt[held_out])), est.epochs_


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--shots-list", type=int, nargs="+", help="run only these k (with --seed-list)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="1 seed, k = 1, every third MNIST digit, 1 epoch each (seconds; writes nothing)",
    )
    ap.add_argument(
        "--seed-list",
        type=int,
        nargs="+",
        help="run only these seeds and store their runs (to run seeds in parallel processes)",
    )
    ap.add_argument(
        "--report-only", action="store_true", help="aggregate the stored runs of all seeds"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    seeds = list(range(1 if args.quick else args.seeds))
    if args.report_only:
        return report_stored(seeds, args)
    if args.seed_list:
        seeds = list(args.seed_list)
    shots = (1,) if args.quick else tuple(args.shots_list or SHOTS)
    reg_shots = (1,) if args.quick else REG_SHOTS

    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    if args.quick:
        Xs, ys = Xs[::3], ys[::3]  # every class (the files are sorted by class)
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    rows: list[dict] = []
    reg_rows: list[dict] = []
    t0 = time.perf_counter()
    for seed in seeds:
        t_seed = time.perf_counter()
        for k in shots:
            labelled, held_out = draw_labelled_per_class(yt, k, seed)
            y_few = np.full_like(yt, -1)
            y_few[labelled] = yt[labelled]
            todo = {**ROWS, **(REG_ROWS if k in reg_shots else {})}
            epochs = 0
            for row, name in todo.items():
                acc, fitted_epochs = held_out_accuracy(
                    name, seed, Xs, ys, Xt, y_few, yt, held_out, args.quick
                )
                epochs = max(epochs, fitted_epochs)
                record = dict(seed=seed, shots=k, method=row, accuracy=acc)
                (reg_rows if row in REG_ROWS else rows).append(record)
                if row == "full" and k in reg_shots:
                    reg_rows.append(dict(record))
            done = [r for r in rows + reg_rows if r["seed"] == seed and r["shots"] == k]
            print(
                f"seed {seed} k={k:>2} epochs={epochs:>3} "
                + " ".join(f"{r['method']}={r['accuracy']:.3f}" for r in done)
                + f" ({time.perf_counter() - t0:.0f}s)",
                flush=True,
            )
        if not args.quick:
            store_seed(seed, shots, rows, reg_rows, time.perf_counter() - t_seed)
    if args.quick:
        report(rows, reg_rows, seeds, shots, reg_shots, time.perf_counter() - t0, args)
    elif not args.seed_list:
        report_stored(seeds, args)


RUNS = RESULTS / "finetune_mnist_usps_runs"


def store_seed(seed, shots, rows, reg_rows, elapsed) -> None:
    RUNS.mkdir(parents=True, exist_ok=True)
    for k in shots:
        payload = {
            "seed": seed,
            "shots": k,
            "elapsed_s": elapsed / len(shots),
            "environment": environment(),
            "rows": [r for r in rows if r["seed"] == seed and r["shots"] == k],
            "reg_rows": [r for r in reg_rows if r["seed"] == seed and r["shots"] == k],
        }
        (RUNS / f"seed{seed}_k{k}.json").write_text(json.dumps(payload, indent=1) + "\n")


def report_stored(seeds, args) -> None:
    """Aggregate the stored runs; cells report how many seeds they hold (``n``)."""
    rows, reg_rows, elapsed, missing = [], [], 0.0, []
    for seed in seeds:
        for k in SHOTS:
            path = RUNS / f"seed{seed}_k{k}.json"
            if not path.is_file():
                missing.append(f"seed {seed}, k={k}")
                continue
            d = json.loads(path.read_text())
            rows += d["rows"]
            reg_rows += d["reg_rows"]
            elapsed += d["elapsed_s"]
    if not rows:
        raise SystemExit("no stored runs: run with --seed-list first.")
    done_seeds = sorted({r["seed"] for r in rows})
    args.missing = missing
    report(rows, reg_rows, done_seeds, SHOTS, REG_SHOTS, elapsed, args)


def _table(rows, methods, shots) -> tuple[str, dict]:
    summary: dict = {}
    lines = [
        "| method | " + " | ".join(f"{k}/class" for k in shots) + " |",
        "|---|" + "---|" * len(shots),
    ]
    for m in methods:
        cells = []
        for k in shots:
            v = [r["accuracy"] for r in rows if r["method"] == m and r["shots"] == k]
            summary.setdefault(m, {})[str(k)] = {
                "mean": float(np.mean(v)) if v else float("nan"),
                "std": float(np.std(v)) if v else float("nan"),
                "n": len(v),
            }
            cells.append(f"{mean_std(v)} (n={len(v)})" if v else "not run")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines), summary


def report(rows, reg_rows, seeds, shots, reg_shots, elapsed, args) -> None:
    methods = ["source_only", "scratch", *POLICIES]
    table, summary = _table(rows, methods, shots)
    env = environment()
    gain = {
        str(k): summary["full"][str(k)]["mean"] - summary["scratch"][str(k)]["mean"] for k in shots
    }
    md = (
        f"""# Parameter transfer MNIST -> USPS: source-pretrained vs scratch

Produced by `benchmarks/finetune_mnist_usps.py` (seeds {seeds}; {elapsed:.0f} s of
summed wall-clock time of the runs on a heavily shared CPU, {env["threads"]} thread per
process; torch {env["torch"]}, {env["date_utc"]} UTC).
USPS test accuracy (%) on the USPS images that were not labelled, mean ± std over seeds.
Protocol: see the script's docstring (small CNN pre-trained on 2000 MNIST digits; new
head; k labelled USPS digits per class drawn with
`transferkit.experiments.draw_labelled_per_class`; fixed step budget; no target-label
model selection). Every row is a registered method (`finetune_<row>`); each per-seed
cell (`finetune_mnist_usps_runs/seed*_k*.json`) is what
`transferkit run benchmarks/configs/finetune_mnist_usps.yaml` gives.

{table}

Transfer gain of full fine-tuning over scratch (accuracy points): """
        + ", ".join(f"k={k}: {100 * g:+.1f}" for k, g in gain.items())
        + """

![learning curve](finetune_mnist_usps.png)
"""
    )
    missing = getattr(args, "missing", [])
    if missing:
        md += (
            "\n**Not run** (the shared machine ran out of time before the deadline): "
            + "; ".join(missing)
            + ". Cells give the number of seeds `n` they average.\n"
        )
    if reg_rows:
        rtable, rsummary = _table(reg_rows, ["full", "full+L2-SP", "full+BSS"], reg_shots)
    else:
        rtable, rsummary = "", {}
    if not args.quick:
        write_markdown("finetune_mnist_usps", md)
        write_json(
            "finetune_mnist_usps",
            {
                "environment": env,
                "elapsed_s": elapsed,
                "missing": missing,
                "summary": summary,
                "runs": rows,
            },
        )
        write_markdown(
            "finetune_regularizers",
            f"""# L2-SP and BSS vs plain fine-tuning (MNIST -> USPS)

Produced by `benchmarks/finetune_mnist_usps.py` (seeds {seeds}, same pre-trained
networks, splits and budget as the policy table). Full fine-tuning with Adam 1e-3; L2-SP
alpha=0.1, beta=0.01 (Li et al. 2018); BSS eta=0.001, k=1 (Chen et al. 2019). USPS test
accuracy (%), mean ± std.

{rtable}
""",
        )
        write_json(
            "finetune_regularizers", {"environment": env, "summary": rsummary, "runs": reg_rows}
        )
        plot(summary, shots)
    print(md)
    print(rtable)


def plot(summary, shots) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for m, style in [
        ("scratch", "k--o"),
        ("linear_probe", "-s"),
        ("last_k", "-^"),
        ("full", "-o"),
        ("discriminative", "-d"),
        ("gradual", "-v"),
    ]:
        mu = np.array([summary[m][str(k)]["mean"] for k in shots]) * 100
        sd = np.array([summary[m][str(k)]["std"] for k in shots]) * 100
        ax.errorbar(shots, mu, yerr=sd, fmt=style, capsize=3, label=m)
    so = np.mean([summary["source_only"][str(k)]["mean"] for k in shots]) * 100
    ax.axhline(so, color="grey", lw=1, ls=":", label="source only (no target labels)")
    ax.set_xscale("log")
    ax.set_xticks(shots, [str(k) for k in shots])
    ax.set_xlabel("labelled USPS images per class")
    ax.set_ylabel("USPS test accuracy (%)")
    ax.set_title("MNIST-pretrained small CNN fine-tuned on USPS (mean ± std over seeds run)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "finetune_mnist_usps.png", dpi=120)


if __name__ == "__main__":
    main()
