"""DANN training throughput on CPU: transferkit's engine beside TLlib's and skada's DANN code.

Same network (``transferkit.deep.lenet`` on 16x16 MNIST images, 500-d bottleneck, a
500-500 domain discriminator with dropout 0.5, the same initial weights), the same loss
(cross-entropy + domain adversarial loss through a gradient reversal layer), SGD with
Nesterov momentum 0.9, weight decay 5e-4, lr 0.05, batches of 64 source + 64 target
images, the same number of torch threads, in one process. The codes alternate within
each round (ours, TLlib, skada, ours, ...) so that load from other users of a shared
machine hits them alike; the ratios are computed from the same run, pair by pair.

* **ours**: what :class:`transferkit.deep.DANN` runs: :class:`transferkit.engine.Engine`
  with :class:`transferkit.deep.AdaptationStep` (``method="dann"``),
  :class:`~transferkit.engine.DomainBatches` over tensors, the
  :class:`~transferkit.engine.AnnealedLR` callback, fused SGD, and the LeNet trunk in the
  channels-last memory format (``lenet``'s default), here with TLlib's learning-rate
  schedule, :math:`(1 + 0.001 x)^{-0.75}` over iterations :math:`x` (``AnnealedLR(alpha=0.001
  * steps)``), so that the accuracy column compares like with like;
* **TLlib**: ``tllib.alignment.dann.DomainAdversarialLoss`` with its
  ``WarmStartGradientReverseLayer`` and ``tllib.modules.domain_discriminator``
  (``batch_norm=False``), driven by the loop of TLlib's
  ``examples/domain_adaptation/image_classification/dann.py`` (``ForeverDataIterator`` over
  ``DataLoader``\\ s of a ``TensorDataset``, ``LambdaLR`` annealing, accuracy metering), on
  the same LeNet in torch's default NCHW layout. Pass ``--tllib`` a folder holding its
  ``tllib`` package (a scratch copy of github.com/thuml/Transfer-Learning-Library; never
  committed here);
* **skada**: ``skada.deep.DANN`` (0.6; skorch ``DomainAwareNet``, its
  ``DomainBalancedDataLoader``, its ``GradientReversalLayer`` and BCE loss) on the same
  LeNet (features read at ``layer_name="neck"``) with our discriminator (+ sigmoid, as its
  BCE loss needs) as ``domain_classifier``; one ``fit`` of ``max_epochs=1`` over exactly
  ``steps`` batches, timed whole (skorch's set-up included). Pass ``--skada`` the
  ``site-packages`` folder of a scratch virtual environment holding skada and skorch
  (never a dependency here).

Throughput counts source + target images per second of training: wall-clock, and per
CPU-second of this process (``time.process_time``; on a shared machine it is far less
disturbed by other users' load than the wall-clock). Accuracy on all 1800 USPS images
after the timed steps is reported beside each code (a check that all train alike).

Run: ``python benchmarks/deep_throughput.py --tllib /tmp/tllib --skada
/tmp/skada-venv/lib/python3.11/site-packages --threads 1 2``. Writes
``benchmarks/results/deep_throughput.{md,json}`` (``--quick``: a few steps of our code and
of whatever else is given, writes nothing).
"""

from __future__ import annotations

import argparse
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
from transferkit.engine import AnnealedLR, DomainBatches, Engine, as_source

BATCH = 64
LR = 0.05


def accuracy(net, X, y) -> float:
    net.eval()
    with torch.no_grad():
        return float((net(X).argmax(1) == y).float().mean())


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def init_weights(seed: int) -> tuple[dict, dict]:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = lenet((1, 16, 16), 10, channels_last=False)
        disc = DomainDiscriminator(net.features, (500, 500), dropout=0.5)
    return net.state_dict(), disc.state_dict()


def build(weights, channels_last: bool):
    net = lenet((1, 16, 16), 10, channels_last=channels_last)
    net.load_state_dict(weights[0])
    disc = DomainDiscriminator(net.features, (500, 500), dropout=0.5)
    disc.load_state_dict(weights[1])
    return net, disc


def run_ours(weights, Xs, ys, Xt, steps: int):
    net, disc = build(weights, channels_last=True)
    step = AdaptationStep(net, "dann", DANNLoss(disc))
    opt = torch.optim.SGD(
        step.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4, nesterov=True, fused=True
    )
    n = steps * BATCH  # one "epoch" of exactly `steps` batches
    data = DomainBatches(as_source(Xs[:n], ys[:n]), as_source(Xt), batch_size=BATCH)
    with torch.random.fork_rng(), Timer() as t:
        # TLlib's schedule, (1 + 0.001 x)^-0.75 over iterations x, in our progress p = x / steps
        schedule = AnnealedLR(alpha=0.001 * steps)
        Engine(1, random_state=0, callbacks=[schedule]).fit(step, data, opt)
    return t, net


def run_tllib(weights, Xs, ys, Xt, steps: int):
    from tllib.alignment.dann import DomainAdversarialLoss
    from tllib.modules.domain_discriminator import DomainDiscriminator as TDisc
    from tllib.utils.data import ForeverDataIterator
    from tllib.utils.metric import accuracy as t_accuracy
    from torch.utils.data import DataLoader, TensorDataset

    net, disc = build(weights, channels_last=False)
    tdisc = TDisc(net.features, 500, batch_norm=False)
    # the same weights: TLlib's discriminator is Linear-ReLU-Dropout x2, Linear, Sigmoid
    src = [m for m in disc.modules() if isinstance(m, torch.nn.Linear)]
    dst = [m for m in tdisc.modules() if isinstance(m, torch.nn.Linear)]
    for a, b in zip(src, dst, strict=True):
        b.load_state_dict(a.state_dict())
    domain_adv = DomainAdversarialLoss(tdisc)
    net.train()
    params = list(net.parameters()) + list(domain_adv.parameters())
    opt = torch.optim.SGD(params, lr=LR, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda x: (1.0 + 0.001 * float(x)) ** (-0.75))
    g = torch.Generator().manual_seed(0)
    src_dl = DataLoader(
        TensorDataset(Xs, ys), batch_size=BATCH, shuffle=True, drop_last=True, generator=g
    )
    tgt_dl = DataLoader(
        TensorDataset(Xt), batch_size=BATCH, shuffle=True, drop_last=True, generator=g
    )
    it_s, it_t = ForeverDataIterator(src_dl), ForeverDataIterator(tgt_dl)
    domain_adv.train()
    with torch.random.fork_rng(), Timer() as t:
        torch.manual_seed(0)
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
    return t, net


class _SkadaDiscriminator(torch.nn.Module):
    """Our discriminator behind skada's gradient reversal layer, giving probabilities."""

    def __init__(self, disc):
        super().__init__()
        self.disc = disc

    def forward(self, x, sample_weight=None):
        from skada.deep.modules import GradientReversalLayer

        return torch.sigmoid(self.disc(GradientReversalLayer.apply(x, 1.0)))


def run_skada(weights, Xs, ys, Xt, steps: int):
    import skada.deep

    net, disc = build(weights, channels_last=False)
    n = steps * BATCH
    xt = Xt[torch.arange(n) % Xt.shape[0]]
    X = torch.cat([Xs[:n], xt]).numpy()
    y = np.r_[ys[:n].numpy(), -np.ones(n, dtype=np.int64)]
    domain = np.r_[np.ones(n, dtype=np.int64), -np.ones(n, dtype=np.int64)]
    clf = skada.deep.DANN(
        net,
        layer_name="neck",
        reg=1.0,
        domain_classifier=_SkadaDiscriminator(disc),
        batch_size=BATCH,
        max_epochs=1,
        train_split=None,
        optimizer=torch.optim.SGD,
        lr=LR,
        optimizer__momentum=0.9,
        optimizer__weight_decay=5e-4,
        optimizer__nesterov=True,
        verbose=0,
    )
    with torch.random.fork_rng(), Timer() as t:
        torch.manual_seed(0)
        clf.fit(X, y, sample_domain=domain)
    return t, net


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tllib", help="folder holding TLlib's tllib package")
    ap.add_argument("--skada", help="site-packages folder holding skada and skorch")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=30, help="steps per timed run")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per thread count")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.rounds, args.threads = 4, 1, [1]
    codes = {"transferkit": run_ours}
    if args.tllib:
        sys.path.insert(0, str(Path(args.tllib).resolve()))
        codes["TLlib"] = run_tllib
    if args.skada:
        sys.path.append(str(Path(args.skada).resolve()))  # after ours: numpy, torch stay
        codes["skada"] = run_skada
    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    Xs = torch.as_tensor(Xs, dtype=torch.float32).reshape(-1, 1, 16, 16)
    Xt = torch.as_tensor(Xt, dtype=torch.float32).reshape(-1, 1, 16, 16)
    ys, yt = torch.as_tensor(ys).long(), torch.as_tensor(yt).long()
    weights = init_weights(0)
    threads_before = torch.get_num_threads()
    rows = []
    try:
        for threads in args.threads:
            torch.set_num_threads(threads)
            for fn in codes.values():  # warm-up every code path
                fn(weights, Xs, ys, Xt, 2)
            for r in range(args.rounds):
                for name, fn in codes.items():
                    t, net = fn(weights, Xs, ys, Xt, args.steps)
                    n = 2 * BATCH * args.steps
                    row = {
                        "threads": threads,
                        "round": r,
                        "code": name,
                        "samples_per_s": n / t.wall,
                        "samples_per_cpu_s": n / t.cpu,
                        "usps_accuracy": accuracy(net, Xt, yt),
                    }
                    rows.append(row)
                    print(
                        f"{threads} thread(s) round {r} {name:<11} {row['samples_per_s']:7.0f}"
                        f" samples/s {row['samples_per_cpu_s']:7.0f} per CPU-s  USPS acc "
                        f"{row['usps_accuracy']:.3f}",
                        flush=True,
                    )
                report(args, codes, rows, final=False)  # an interrupted run keeps its rounds
    finally:
        torch.set_num_threads(threads_before)

    report(args, codes, rows, final=True)


def report(args, codes, rows, final: bool) -> None:
    """Write the tables of what has been measured so far (after every round)."""
    lines = []
    ratios: dict[str, dict[str, float]] = {}
    for threads in args.threads:
        sub = [r for r in rows if r["threads"] == threads]
        if not sub:
            continue
        for name in codes:
            mine = [r for r in sub if r["code"] == name]
            ours = [r for r in sub if r["code"] == "transferkit"]
            wall = np.array([r["samples_per_s"] for r in mine])
            cpu = np.array([r["samples_per_cpu_s"] for r in mine])
            if name == "transferkit":
                ratio = "—"
            else:
                rw = np.median(
                    [
                        o["samples_per_s"] / m["samples_per_s"]
                        for o, m in zip(ours, mine, strict=True)
                    ]
                )
                rc = np.median(
                    [
                        o["samples_per_cpu_s"] / m["samples_per_cpu_s"]
                        for o, m in zip(ours, mine, strict=True)
                    ]
                )
                ratios[f"{threads}-{name}"] = {"wall": float(rw), "cpu": float(rc)}
                ratio = f"**{rw:.2f}x** / **{rc:.2f}x**"
            acc = np.mean([r["usps_accuracy"] for r in mine])
            lines.append(
                f"| {threads} | {name} | {np.median(wall):.0f} "
                f"({', '.join(f'{v:.0f}' for v in wall)}) | {np.median(cpu):.0f} | {ratio} "
                f"| {acc:.3f} |"
            )
    table = "\n".join(lines)
    done = {t: len({r["round"] for r in rows if r["threads"] == t}) for t in args.threads}
    finished = "; ".join(f"{t} thread(s): {n} of {args.rounds}" for t, n in done.items())
    md = f"""# DANN training throughput on CPU: transferkit vs TLlib and skada (same network)

Produced by `benchmarks/deep_throughput.py` ({args.rounds} interleaved rounds of
{args.steps} steps of 64 MNIST + 64 USPS images per thread count; torch {torch.__version__};
a 2-core CPU shared with other users while it ran). Network: `transferkit.deep.lenet`
(16x16 input, 500-d bottleneck) and a 500-500 discriminator with dropout, with the same
initial weights in every code; see the script's docstring for what each side runs.

| threads | code | samples/s, median (rounds) | per CPU-s | ours/theirs (wall/CPU) | USPS acc. |
|---|---|---|---|---|---|
{table}

Rounds finished: {finished}. Ratios: the median over rounds of ours / theirs, each pair
run back to back in the same process. Samples per CPU-second count the CPU time of this
process only (all its threads), which other users' load disturbs far less than the
wall-clock.
"""
    if final:
        print(md)
    if not args.quick:
        write_markdown("deep_throughput", md)
        write_json(
            "deep_throughput",
            {
                "environment": environment(),
                "threads": args.threads,
                "steps": args.steps,
                "rounds": args.rounds,
                "rows": rows,
                "ratios": ratios,
            },
        )


if __name__ == "__main__":
    main()
