"""Deep domain adaptation on MNIST<->USPS (16x16, LeNet-style): source-only, DANN, DAN,
Deep CORAL, CDAN+E and TADA, with label-free epoch selection next to the oracle bound.

Protocol (everything below is measured by this script):

* data: the JDA MNIST/USPS files (2000 MNIST, 1800 USPS, 16x16 grey, pixels in [0, 1],
  ``preprocessing="none"``) through the ``digits_pixels`` suite (mnist->usps is its task
  M->U, usps->mnist U->M); all labelled source images and all unlabelled target images
  are used for training (10 % of the source held out for IWCV/DEV); accuracy on all
  target images;
* estimators: each row is built by its registered benchmark entry
  (:mod:`transferkit.bench.methods_deep_digits`: ``deep_source_only_lenet_digits``,
  ``dann_lenet_digits``, ``dan_lenet_digits``, ``deep_coral_lenet_digits``,
  ``cdan_lenet_digits``, ``tada_lenet_digits``, with ``--epochs`` and ``--lr`` set on
  it), the estimator a ``transferkit run`` cell of ``benchmarks/configs/deep_digits.yaml``
  builds;
* network: :func:`transferkit.deep.lenet` (conv5(20)-pool-ReLU, conv5(50)-pool-ReLU,
  FC 500 + dropout 0.5, linear classifier), the same for every method; discriminators
  500-500 with dropout 0.5 (TADA: 16 region discriminators with 64 hidden units each);
* optimisation: SGD (Nesterov momentum 0.9, weight decay 5e-4), learning rate annealed as
  :math:`\\eta_0 (1 + 10p)^{-0.75}` from :math:`\\eta_0 = 0.05` (the paper's 0.01 needs far
  more steps than a shared CPU gives here), batches of 64 source + 64 target images,
  ``--epochs`` epochs (default 10, 28 steps each), trade-off 1, gradient-reversal schedule
  :math:`2/(1+e^{-10p}) - 1`; CDAN with entropy conditioning (CDAN+E); DAN with the
  linear-time MK-MMD on the bottleneck and the logits; Deep CORAL on the logits;
* selection: after every epoch the weights are scored by DEV, IWCV (domain classifier on
  the bottleneck features), SND and the target prediction entropy -- no target label is
  read; "last" keeps the final epoch; "oracle" picks the epoch with the best target
  accuracy (an upper bound, as in most published deep tables);
* ``--seeds`` seeds (default 3: 0, 1, 2), mean ± std. One thread per process. The JSON
  and the tables are rewritten after every run, and a new run with the same ``--epochs``
  and ``--lr`` skips the runs the JSON already holds (runs are bit-for-bit deterministic
  per seed: with the same code a re-run of a stored run gives the same per-epoch
  accuracies; after a change of the numerics, delete the JSON and re-run), so an
  interrupted run resumes and ``--methods`` can fill the table in any order; each row says
  how many seeds it holds. ``--report`` only rewrites the markdown from the JSON.

Run: ``python benchmarks/deep_digits.py`` (``--quick``: every method, 1 seed, 1 epoch on
320 evenly spaced images of each domain (every class), mnist->usps only; seconds, writes
nothing).
Writes ``benchmarks/results/deep_digits.{md,json}``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, mean_std, write_json, write_markdown
from _deep_common import SELECT, fit_and_score, progress, stored_runs, table_parser
from transferkit.bench import get_method, get_suite
from transferkit.bench.methods_deep_digits import DIGITS_ENTRIES

#: The table's rows -> the registered entries that build them (suite ``digits_pixels``).
METHODS = DIGITS_ENTRIES
#: The script's task names -> the tasks of the ``digits_pixels`` suite.
TASKS = {"mnist->usps": "M->U", "usps->mnist": "U->M"}
#: ``--quick``: images per domain (5 batches of 64), evenly spaced over the class-sorted files.
QUICK_SIZE = 320


def load_tasks(tasks) -> dict:
    """``task -> (Xs, ys, Xt, yt)`` through the ``digits_pixels`` suite (as a config)."""
    suite = get_suite("digits_pixels")
    return {task: suite.load(suite.task(TASKS[task])) for task in tasks}


def run_one(name: str, Xs, ys, Xt, yt, seed: int, epochs: int, lr: float) -> dict:
    """One run of row ``name``: its registered entry with ``epochs`` and ``lr``, every
    epoch scored (``transferkit run`` builds the same estimator for its cells)."""
    clf = get_method(METHODS[name]).build(seed, {"epochs": epochs, "lr": lr})
    return fit_and_score(clf, Xs, ys, Xt, yt)


def main(argv: list[str] | None = None) -> None:
    ap = table_parser(
        __doc__.splitlines()[0],
        methods=list(METHODS),
        tasks=list(TASKS),
        epochs=10,
        lr=0.05,
        out="deep_digits",
    )
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    unknown = [t for t in args.tasks if t not in TASKS]
    if unknown:
        ap.error(f"unknown --tasks {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    torch.set_num_threads(1)
    if args.quick:
        args.epochs, args.seeds, args.tasks = 1, 1, ["mnist->usps"]
    rows: list[dict] = []
    if not args.quick:  # resume: keep the runs made with these settings
        rows = stored_runs(
            args.out,
            lambda old: (
                old["runs"]
                if old.get("epochs") == args.epochs and old.get("lr", 0.05) == args.lr
                else []
            ),
        )
    if args.report:
        write_markdown(args.out, report(rows, args))
        return
    data = load_tasks(args.tasks)
    if args.quick:
        # evenly spaced images: the files are sorted by class, so the first ones would
        # all be zeros and ones
        data = {
            t: tuple(a[np.linspace(0, len(a) - 1, QUICK_SIZE).astype(int)] for a in arrays)
            for t, arrays in data.items()
        }
    done = {(r["task"], r["method"], r["seed"]) for r in rows}
    t0 = time.perf_counter()
    for seed in range(args.seeds):  # seed-major: a cut-short run still covers every cell
        for task in args.tasks:
            Xs, ys, Xt, yt = data[task]
            for name in args.methods:
                if (task, name, seed) in done:
                    continue
                r = run_one(name, Xs, ys, Xt, yt, seed, args.epochs, args.lr)
                rows.append({"task": task, "method": name, "seed": seed, **r})
                label = f"{task} {name:<12} seed {seed}"
                print(progress(label, r, time.perf_counter() - t0), flush=True)
                if not args.quick:
                    save(rows, args)
    print(report(rows, args))


def save(rows, args) -> None:
    write_markdown(args.out, report(rows, args))
    write_json(
        args.out,
        {"environment": environment(), "epochs": args.epochs, "lr": args.lr, "runs": rows},
    )


#: Published accuracies on this version of the data (2000 MNIST / 1800 USPS, 16x16), from
#: ``PUBLISHED_RESULTS.md`` section 2. Only shallow methods are published on it.
PUBLISHED = {
    "mnist->usps": (("JDA", 67.28, "[JDA], re-run here exactly"), ("MEDA", 89.5, "[MEDA] T3")),
    "usps->mnist": (("JDA", 59.65, "[JDA], re-run here exactly"), ("MEDA", 72.1, "[MEDA] T3")),
}


def _mean(rows, task, method, key):
    v = [r[key] for r in rows if r["task"] == task and r["method"] == method]
    return 100 * sum(v) / len(v) if v else None


def report(rows, args) -> str:
    fit_s = sum(r["fit_s"] for r in rows)
    lines = [
        "# Deep domain adaptation on MNIST <-> USPS (JDA 16x16 version, LeNet-style net)",
        "",
        f"Produced by `benchmarks/deep_digits.py` (up to {args.seeds} seeds, {args.epochs} epochs, "
        f"initial learning rate {args.lr}; {fit_s:.0f} s of training summed over the runs on a "
        f"CPU shared by several users, 1 thread; torch {torch.__version__}).",
        "Target accuracy (%) over all target images, mean ± std over seeds. Columns: the epoch",
        "kept by each label-free criterion (no target label read), the last epoch, and the",
        "oracle epoch (best target accuracy: an upper bound, not a result). Protocol: see the",
        "script's docstring.",
        "",
    ]
    for task in sorted({r["task"] for r in rows}, reverse=True):
        lines += [
            f"## {task}",
            "",
            "| method | last | DEV | IWCV | SND | entropy | oracle (bound) |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in METHODS:
            rs = [r for r in rows if r["task"] == task and r["method"] == m]
            if not rs:
                continue
            cells = [mean_std([r[k] for r in rs]) for k in SELECT]
            lines.append(f"| {m} (n={len(rs)}) | " + " | ".join(cells) + " |")
        lines.append("")
        pairs = [("DANN", "source_only"), ("TADA", "DANN"), ("TADA", "source_only")]
        diffs = []
        for a, b in pairs:
            ra = {r["seed"]: r for r in rows if r["task"] == task and r["method"] == a}
            rb = {r["seed"]: r for r in rows if r["task"] == task and r["method"] == b}
            seeds = sorted(set(ra) & set(rb))
            if seeds:
                d = {k: 100 * sum(ra[s][k] - rb[s][k] for s in seeds) / len(seeds) for k in SELECT}
                diffs.append(
                    f"{a} minus {b}, paired over seeds {seeds} (points): "
                    + ", ".join(f"{k} {v:+.1f}" for k, v in d.items())
                    + "."
                )
        best = [(m, _mean(rows, task, m, "dev")) for m in METHODS if _mean(rows, task, m, "dev")]
        if best and task in PUBLISHED:
            m, acc = max(best, key=lambda x: x[1])
            pub = "; ".join(
                f"{name} {v:.2f} ({src}): {acc - v:+.1f}" for name, v, src in PUBLISHED[task]
            )
            diffs.append(
                f"Best label-free (DEV) deep result here: {m} {acc:.1f}. Published on this "
                f"version of the data (shallow methods only): {pub}."
            )
        curves = []
        for m in METHODS:
            rs = [r for r in rows if r["task"] == task and r["method"] == m]
            if rs:
                n_ep = min(len(r["per_epoch"]) for r in rs)
                mean = [100 * sum(r["per_epoch"][e] for r in rs) / len(rs) for e in range(n_ep)]
                curves.append(f"| {m} | " + " ".join(f"{a:.1f}" for a in mean) + " |")
        lines += [*(f"* {d}" for d in diffs), ""]
        lines += [
            "Target accuracy after each epoch (mean over seeds):",
            "",
            "| method | epochs 1, 2, ... |",
            "|---|---|",
            *curves,
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
