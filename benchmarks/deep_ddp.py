"""Data-parallel DANN on MNIST->USPS: 2 processes under ``torchrun`` beside 1 process.

The same code trains in every run: :class:`transferkit.engine.Engine` with
:class:`transferkit.deep.AdaptationStep` (``method="dann"``) on
:func:`transferkit.deep.lenet` (16x16 digits, 500-d bottleneck, a 500-500 discriminator
with dropout 0.5), SGD (Nesterov momentum 0.9, weight decay 5e-4, lr 0.05 annealed as
:math:`\\eta_0(1+10p)^{-0.75}`), global batches of 64 MNIST + 64 USPS images, all 2000
labelled MNIST and 1800 unlabelled USPS images, ``--epochs`` epochs. Three runs, one after
the other, each in a fresh process:

* **1 process, 1 thread**;
* **1 process, 2 threads** (the same two cores as the next run, used by torch's threads;
  ``--skip-two-threads`` leaves it out: on an oversubscribed CPU OpenMP threads crawl);
* **2 processes x 1 thread** under ``torchrun --standalone --nproc_per_node 2`` (gloo on
  CPU): the engine wraps the step in ``DistributedDataParallel``; each rank takes every
  second sample of each global batch (32 + 32) and the gradients are averaged, so that the
  two ranks together take the steps of one process.

Reported: the wall-clock of every epoch (rank 0; the first epoch includes warm-up), and the
USPS accuracy of the final model (all target labels; none is read in training). With
dropout the 2-process model is not bit-identical to the 1-process one (each rank draws
the dropout masks of its half of the batch); without dropout it is, up to floating-point
rounding (``tests/engine/test_distributed.py``).

Run: ``python benchmarks/deep_ddp.py`` (it starts ``torchrun`` itself; ``--quick``: 1 short
epoch on 512 MNIST images, 1 and 2 processes, writes nothing). Writes
``benchmarks/results/deep_ddp.{md,json}``.
A run under ``torchrun`` directly: ``torchrun --standalone --nproc_per_node 2
benchmarks/deep_ddp.py --worker --out run.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH = 64


def worker(args: argparse.Namespace) -> None:
    """One training run (one process, or one rank under torchrun)."""
    import torch
    import torch.distributed as dist

    from transferkit.datasets import load_domain
    from transferkit.deep import AdaptationStep, DANNLoss, DomainDiscriminator, lenet
    from transferkit.engine import AnnealedLR, DomainBatches, Engine, LambdaCallback, as_source

    torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if world > 1 else 0
    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    if args.n_source:
        Xs, ys = Xs[: args.n_source], ys[: args.n_source]
    Xs = torch.as_tensor(Xs, dtype=torch.float32).reshape(-1, 1, 16, 16)
    Xt = torch.as_tensor(Xt, dtype=torch.float32).reshape(-1, 1, 16, 16)
    with torch.random.fork_rng():
        torch.manual_seed(args.seed)
        net = lenet((1, 16, 16), 10)
        loss = DANNLoss(DomainDiscriminator(net.features, (500, 500), dropout=0.5))
    step = AdaptationStep(net, "dann", loss)
    opt = torch.optim.SGD(
        step.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True
    )
    data = DomainBatches(as_source(Xs, ys), as_source(Xt), batch_size=BATCH)
    times: list[float] = []
    clock = LambdaCallback(
        on_epoch_start=lambda s: times.append(-time.perf_counter()),
        on_epoch_end=lambda s: times.__setitem__(-1, times[-1] + time.perf_counter()),
    )
    Engine(args.epochs, random_state=args.seed, callbacks=[AnnealedLR(), clock]).fit(
        step, data, opt
    )
    net.eval()
    with torch.no_grad():
        acc = float((net(Xt).argmax(1).numpy() == yt).mean())
    if rank == 0:
        out = {
            "processes": world,
            "threads": args.threads,
            "epoch_seconds": times,
            "usps_accuracy": acc,
            "steps_per_epoch": data.steps_per_epoch(),
        }
        Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    if world > 1:
        dist.destroy_process_group()


def _run(cmd: list[str], threads: int) -> None:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    subprocess.run(cmd, check=True, env=env)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--n-source", type=int, default=0, help="first n MNIST images (0: all)")
    ap.add_argument("--worker", action="store_true", help="train once (under torchrun or not)")
    ap.add_argument("--out", default="deep_ddp_run.json", help="--worker: result file")
    ap.add_argument(
        "--skip-two-threads",
        action="store_true",
        help="leave out 1 process x 2 threads (OpenMP threads crawl on an oversubscribed CPU)",
    )
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return
    if args.quick:
        args.epochs, args.n_source = 1, 512
    me = str(Path(__file__).resolve())
    common = ["--epochs", str(args.epochs), "--seed", str(args.seed)]
    common += ["--n-source", str(args.n_source)]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = [
            ("1 process, 1 thread", [sys.executable, me], 1),
            ("1 process, 2 threads", [sys.executable, me], 2),
            (
                "2 processes x 1 thread (torchrun, gloo)",
                [
                    sys.executable,
                    "-m",
                    "torch.distributed.run",
                    "--standalone",
                    "--nproc_per_node",
                    "2",
                    me,
                ],
                1,
            ),
        ]
        if args.quick or args.skip_two_threads:  # 1 process and 2 processes, 1 thread each
            configs = [configs[0], configs[2]]
        for i, (label, cmd, threads) in enumerate(configs):
            out = Path(tmp) / f"run{i}.json"
            t0 = time.perf_counter()
            _run([*cmd, "--worker", "--threads", str(threads), "--out", str(out), *common], threads)
            run = json.loads(out.read_text(encoding="utf-8"))
            run["label"] = label
            run["process_seconds"] = time.perf_counter() - t0
            runs.append(run)
            print(
                f"{label:<42} epochs {[round(t, 2) for t in run['epoch_seconds']]} s  "
                f"USPS acc {run['usps_accuracy']:.3f}",
                flush=True,
            )
    import torch

    def per_epoch(run: dict) -> float:  # the first epoch includes warm-up when there are more
        t = run["epoch_seconds"]
        return float(np.median(t[1:] if len(t) > 1 else t))

    base = per_epoch(runs[0])
    rows = "\n".join(
        f"| {r['label']} | {per_epoch(r):.2f} | "
        f"{', '.join(f'{t:.2f}' for t in r['epoch_seconds'])} | {base / per_epoch(r):.2f}x | "
        f"{r['usps_accuracy']:.3f} |"
        for r in runs
    )
    md = f"""# DANN data-parallel on CPU: 2 processes (torchrun, gloo) vs 1 process

Produced by `benchmarks/deep_ddp.py` (MNIST -> USPS 16x16, LeNet-style DANN, global
batches of {BATCH} + {BATCH} images, {runs[0]["steps_per_epoch"]} steps per epoch,
{args.epochs} epochs, seed {args.seed}; torch {torch.__version__}; a 2-core CPU shared
with other users). The same script and code in each run; the 2-process run is
`torchrun --standalone --nproc_per_node 2 benchmarks/deep_ddp.py --worker`.

| run | s/epoch (median after the 1st) | each epoch (s) | speed-up | USPS accuracy |
|---|---|---|---|---|
{rows}

Each rank of the 2-process run computes half of every batch and the ranks average their
gradients through gloo after every step; the accuracy column checks that the data-parallel
run trains as well as one process (its dropout masks differ, so the numbers are close,
not identical). On a CPU shared with other users, 2 processes also get twice the
scheduler's share of one process, which is part of the speed-up measured here.
Speed-up: against 1 process with 1 thread, on the per-epoch medians; USPS
accuracy: of the final model, on all 1800 USPS images.
"""
    print(md)
    if not args.quick:
        from _common import environment, write_json, write_markdown

        write_markdown("deep_ddp", md)
        write_json("deep_ddp", {"environment": environment(), "runs": runs})


if __name__ == "__main__":
    main()
