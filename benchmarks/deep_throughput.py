"""DANN training throughput on CPU: transferkit's engine beside TLlib's DANN code.

Same network (``transferkit.deep.lenet`` on 16x16 MNIST images, 500-d bottleneck, a
500-500 domain discriminator with dropout 0.5), same loss (cross-entropy + domain
adversarial loss through a gradient reversal layer), SGD with momentum, batches of 64
source + 64 target images, the same number of torch threads, in one process. The runs
alternate (ours, TLlib, ours, TLlib, ...) so that load from other users of a shared
machine hits both alike; the ratio is computed from the same run.

* **ours**: :class:`transferkit.engine.Engine` with :class:`transferkit.deep.AdaptationStep`
  (``method="dann"``), :class:`~transferkit.engine.DomainBatches` over tensors and the
  :class:`~transferkit.engine.AnnealedLR` callback;
* **TLlib**: ``tllib.alignment.dann.DomainAdversarialLoss`` with its
  ``WarmStartGradientReverseLayer`` and ``tllib.modules.domain_discriminator``
  (``batch_norm=False``), driven by the loop of TLlib's
  ``examples/domain_adaptation/image_classification/dann.py`` (``ForeverDataIterator`` over
  ``DataLoader``\\ s of a ``TensorDataset``, ``LambdaLR`` annealing, accuracy metering).
  TLlib is not a dependency: pass ``--tllib`` a folder holding its ``tllib`` package (a
  scratch copy of github.com/thuml/Transfer-Learning-Library; never committed here).

Throughput counts source + target images per second of training steps. Accuracy on USPS
after the timed steps is printed beside each run (a quality check that both train).

Run: ``python benchmarks/deep_throughput.py --tllib /tmp/tllib --threads 2``. Writes
``benchmarks/results/deep_throughput.{md,json}``. ``--quick``: one round of 5 steps on one
thread, writes nothing, and needs no TLlib: without ``--tllib`` (or when the folder holds
no ``tllib``) it measures transferkit only and says so.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json, write_markdown
from transferkit.datasets import load_domain
from transferkit.deep import AdaptationStep, DANNLoss, DomainDiscriminator, lenet
from transferkit.engine import AnnealedLR, DomainBatches, Engine
from transferkit.engine.data import TensorSource

BATCH = 64


def accuracy(net, X, y) -> float:
    net.eval()
    with torch.no_grad():
        return float((net(X).argmax(1) == y).float().mean())


def make_net(seed: int):
    torch.manual_seed(seed)
    return lenet((1, 16, 16), 10)


def run_ours(net0, Xs, ys, Xt, steps: int) -> tuple[float, torch.nn.Module]:
    net = copy.deepcopy(net0)
    loss = DANNLoss(DomainDiscriminator(net.features, (500, 500), dropout=0.5))
    step = AdaptationStep(net, "dann", loss)
    opt = torch.optim.SGD(step.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    n = steps * BATCH  # one "epoch" of exactly `steps` batches
    data = DomainBatches(TensorSource(Xs[:n], ys[:n]), TensorSource(Xt), batch_size=BATCH)
    t0 = time.perf_counter()
    Engine(1, random_state=0, callbacks=[AnnealedLR()]).fit(step, data, opt)
    return 2 * BATCH * steps / (time.perf_counter() - t0), net


def run_tllib(net0, Xs, ys, Xt, steps: int) -> tuple[float, torch.nn.Module]:
    from tllib.alignment.dann import DomainAdversarialLoss
    from tllib.modules.domain_discriminator import DomainDiscriminator as TDisc
    from tllib.utils.data import ForeverDataIterator
    from tllib.utils.metric import accuracy as t_accuracy
    from torch.utils.data import DataLoader, TensorDataset

    net = copy.deepcopy(net0)
    net.train()
    domain_adv = DomainAdversarialLoss(TDisc(net.features, 500, batch_norm=False))
    params = list(net.parameters()) + list(domain_adv.parameters())
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda x: (1.0 + 0.001 * float(x)) ** (-0.75))
    src = DataLoader(TensorDataset(Xs, ys), batch_size=BATCH, shuffle=True, drop_last=True)
    tgt = DataLoader(TensorDataset(Xt), batch_size=BATCH, shuffle=True, drop_last=True)
    it_s, it_t = ForeverDataIterator(src), ForeverDataIterator(tgt)
    domain_adv.train()
    t0 = time.perf_counter()
    for _ in range(steps):
        x_s, labels_s = next(it_s)[:2]
        (x_t,) = next(it_t)[:1]
        x = torch.cat((x_s, x_t), dim=0)
        y, f = net.forward_features(x)
        y_s, _ = y.chunk(2, dim=0)
        f_s, f_t = f.chunk(2, dim=0)
        cls_loss = F.cross_entropy(y_s, labels_s)
        transfer_loss = domain_adv(f_s, f_t)
        loss = cls_loss + transfer_loss * 1.0
        _ = t_accuracy(y_s, labels_s)[0]
        _ = (loss.item(), cls_loss.item(), domain_adv.domain_discriminator_accuracy)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return 2 * BATCH * steps / (time.perf_counter() - t0), net


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tllib", help="folder holding TLlib's tllib package (required, except with --quick)"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30, help="steps per timed run")
    ap.add_argument("--rounds", type=int, default=4, help="(ours, TLlib) pairs")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.rounds, args.threads = 5, 1, 1
    elif not args.tllib:
        ap.error("--tllib is required (except with --quick)")
    if args.tllib:
        sys.path.insert(0, str(Path(args.tllib).resolve()))
    have_tllib = importlib.util.find_spec("tllib") is not None
    if not have_tllib and not args.quick:
        ap.error(f"no tllib package in {args.tllib}")
    codes = (("transferkit", run_ours), ("TLlib", run_tllib))
    if not have_tllib:
        print("TLlib not found: measuring transferkit only (no ratio)", flush=True)
        codes = codes[:1]
    torch.set_num_threads(args.threads)
    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    Xs = torch.as_tensor(Xs, dtype=torch.float32).reshape(-1, 1, 16, 16)
    Xt = torch.as_tensor(Xt, dtype=torch.float32).reshape(-1, 1, 16, 16)
    ys, yt = torch.as_tensor(ys).long(), torch.as_tensor(yt).long()
    net0 = make_net(0)
    for _, fn in codes:  # warm-up both code paths
        fn(net0, Xs, ys, Xt, 3)
    rows = []
    for r in range(args.rounds):
        for name, fn in codes:
            rate, net = fn(net0, Xs, ys, Xt, args.steps)
            acc = accuracy(net, Xt, yt)
            rows.append({"round": r, "code": name, "samples_per_s": rate, "usps_accuracy": acc})
            print(f"round {r} {name:<11} {rate:8.0f} samples/s  USPS acc {acc:.3f}", flush=True)
    ours = np.array([r["samples_per_s"] for r in rows if r["code"] == "transferkit"])
    acc_ours = np.mean([r["usps_accuracy"] for r in rows if r["code"] == "transferkit"])
    each_ours = ", ".join(f"{v:.0f}" for v in ours)
    if not have_tllib:
        md = f"""# DANN training throughput on CPU: transferkit only (TLlib not installed)

Produced by `benchmarks/deep_throughput.py --quick` ({args.threads} torch thread,
{args.rounds} round of {args.steps} steps of 64 MNIST + 64 USPS images; torch
{torch.__version__}). TLlib was not found, so there is no comparison and no ratio.

| code | samples/s (median) | samples/s (each round) | USPS accuracy after the steps |
|---|---|---|---|
| transferkit engine | {np.median(ours):.0f} | {each_ours} | {acc_ours:.3f} |
"""
        print(md)
        return
    theirs = np.array([r["samples_per_s"] for r in rows if r["code"] == "TLlib"])
    ratio = float(np.median(ours / theirs))
    acc_theirs = np.mean([r["usps_accuracy"] for r in rows if r["code"] == "TLlib"])
    each_theirs = ", ".join(f"{v:.0f}" for v in theirs)
    md = f"""# DANN training throughput on CPU: transferkit vs TLlib (same network, same run)

Produced by `benchmarks/deep_throughput.py` ({args.threads} torch threads, {args.rounds}
interleaved rounds of {args.steps} steps of 64 MNIST + 64 USPS images; torch
{torch.__version__}; a CPU shared with other users). Network: `transferkit.deep.lenet`
(16x16 input, 500-d bottleneck) and a 500-500 discriminator with dropout, identical in
both; see the script's docstring for what each side runs.

| code | samples/s (median) | samples/s (each round) | USPS accuracy after the steps |
|---|---|---|---|
| transferkit engine | {np.median(ours):.0f} | {each_ours} | {acc_ours:.3f} |
| TLlib loss + its example loop | {np.median(theirs):.0f} | {each_theirs} | {acc_theirs:.3f} |

Median of the per-round ratios (ours / TLlib, each pair run back to back): **{ratio:.2f}x**.
"""
    print(md)
    if not args.quick:
        write_markdown("deep_throughput", md)
        write_json(
            "deep_throughput",
            {
                "environment": environment(),
                "threads": args.threads,
                "steps": args.steps,
                "rows": rows,
                "ratio": ratio,
            },
        )


if __name__ == "__main__":
    main()
