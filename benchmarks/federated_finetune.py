"""Federated fine-tuning of an MNIST-pretrained CNN by USPS clients: local-only vs FedAvg
with local heads vs centralised fine-tuning.

Protocol (everything below is measured by this script):

* data: the JDA MNIST/USPS files (16x16 grey, pixels in [0, 1]) through
  ``transferkit.datasets.load_domain``;
* the shared pretrained model: ``small_cnn`` (widths 16/32/64) trained on all 2000 MNIST
  digits (Adam 1e-3, batch 64, ``--pretrain-epochs`` epochs), its body saved as
  ``.safetensors``;
* clients: the 1800 USPS digits split over ``--clients`` clients with label skew
  (class proportions per client drawn from a Dirichlet(0.5)); each client labels
  ``--labels`` of its digits for training and tests on the others;
* local-only: each client fine-tunes the pretrained network (new head) on its own labels
  for ``rounds x local_epochs`` epochs; FedAvg + local heads:
  ``FederatedFineTune(initial_body=..., rounds, local_epochs)`` in Flower's simulation
  runtime (Ray, one CPU); centralised: one network fine-tuned on the union of the
  clients' labels for the same number of epochs. Every method: full fine-tuning, Adam 1e-3,
  batch 32, one torch thread. Accuracy is each client's test accuracy, then the mean over
  clients.

Run: ``python benchmarks/federated_finetune.py`` (a few CPU-minutes), or ``--quick``
(seconds plus Ray's start-up). Writes ``benchmarks/results/federated_finetune.{md,json}``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json, write_markdown
from transferkit.datasets import load_domain
from transferkit.federated.horizontal import BODY_PREFIX, FederatedFineTune
from transferkit.finetune import SmallCNN, TransferNet, predict_logits, train_net
from transferkit.finetune.transforms import as_images

SHAPE = (1, 16, 16)


def split_clients(y: np.ndarray, n_clients: int, n_labels: int, n_test: int, seed: int):
    """Label-skewed client partitions: (train idx, test idx) per client."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    owner = np.empty(y.size, dtype=int)
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        share = rng.dirichlet(np.full(n_clients, 0.5))
        cuts = (np.cumsum(share)[:-1] * idx.size).astype(int)
        for k, part in enumerate(np.split(idx, cuts)):
            owner[part] = k
    out = []
    for k in range(n_clients):
        idx = rng.permutation(np.flatnonzero(owner == k))
        out.append((np.sort(idx[:n_labels]), np.sort(idx[n_labels : n_labels + n_test])))
    return out


def net_from(body_state: dict, widths, n_classes: int, seed: int) -> TransferNet:
    torch.manual_seed(seed)
    net = TransferNet(SmallCNN(widths=widths), n_classes)
    net.load_state_dict(body_state, strict=False)
    return net


def accuracy(net, X, y) -> float:
    return float((predict_logits(net, as_images(X, SHAPE)).argmax(1).numpy() == y).mean())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 clients, tiny network (smoke run)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--labels", type=int, default=60, help="labelled digits per client")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--local-epochs", type=int, default=2)
    ap.add_argument("--pretrain-epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    widths = (16, 32, 64)
    n_test, n_mnist = 250, None
    if args.quick:
        args.clients, args.labels, args.rounds, args.local_epochs = 2, 20, 2, 1
        args.pretrain_epochs, widths, n_test, n_mnist = 1, (4, 8, 8), 60, 300

    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    classes = np.unique(ys)
    ys, yt = np.searchsorted(classes, ys), np.searchsorted(classes, yt)
    if n_mnist is not None:
        keep = np.random.default_rng(args.seed).permutation(ys.size)[:n_mnist]
        Xs, ys = Xs[keep], ys[keep]

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    pre = TransferNet(SmallCNN(widths=widths), classes.size)
    train_net(
        pre,
        as_images(Xs, SHAPE),
        ys,
        epochs=args.pretrain_epochs,
        lr=1e-3,
        batch_size=64,
        random_state=args.seed,
        verbose=False,
    )
    pretrain_s = time.perf_counter() - start
    body = {k: v.clone() for k, v in pre.state_dict().items() if k.startswith(BODY_PREFIX)}
    parts = split_clients(yt, args.clients, args.labels, n_test, args.seed)
    epochs = args.rounds * args.local_epochs
    common = dict(lr=1e-3, batch_size=32, random_state=args.seed, verbose=False)

    results: dict[str, list[float]] = {
        "local-only": [],
        "FedAvg + local heads": [],
        "centralised": [],
    }
    start = time.perf_counter()
    for k, (tr, te) in enumerate(parts):
        net = net_from(body, widths, classes.size, args.seed + 1 + k)
        train_net(net, as_images(Xt[tr], SHAPE), yt[tr], epochs=epochs, **common)
        results["local-only"].append(accuracy(net, Xt[te], yt[te]))
    local_s = time.perf_counter() - start

    start = time.perf_counter()
    pooled = np.concatenate([tr for tr, _ in parts])
    net = net_from(body, widths, classes.size, args.seed)
    train_net(net, as_images(Xt[pooled], SHAPE), yt[pooled], epochs=epochs, **common)
    results["centralised"] = [accuracy(net, Xt[te], yt[te]) for _, te in parts]
    central_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        from safetensors.torch import save_file

        path = Path(tmp) / "body.safetensors"
        save_file({k: v.contiguous() for k, v in body.items()}, str(path))
        fed = FederatedFineTune(
            backbone="small_cnn",
            backbone_kwargs={"widths": widths},
            image_shape=SHAPE,
            initial_body=str(path),
            rounds=args.rounds,
            local_epochs=args.local_epochs,
            lr=1e-3,
            batch_size=32,
            random_state=args.seed,
        )
        start = time.perf_counter()
        datasets = [(Xt[tr], yt[tr]) for tr, _ in parts]
        fed.fit(datasets)
        fed_s = time.perf_counter() - start
    results["FedAvg + local heads"] = [
        fed.score(Xt[te], yt[te], client=k) for k, (_, te) in enumerate(parts)
    ]
    hist = fed.history_
    per_round = [row["seconds"] for row in hist]
    payload = {
        "protocol": {
            "clients": args.clients,
            "labels_per_client": args.labels,
            "rounds": args.rounds,
            "local_epochs": args.local_epochs,
            "pretrain_epochs": args.pretrain_epochs,
            "widths": list(widths),
            "seed": args.seed,
            "quick": args.quick,
            "test_per_client": [int(te.size) for _, te in parts],
            "classes_per_client": [int(np.unique(yt[tr]).size) for tr, _ in parts],
        },
        "accuracy": {m: {"per_client": v, "mean": float(np.mean(v))} for m, v in results.items()},
        "seconds": {
            "pretrain": pretrain_s,
            "local_only_total": local_s,
            "centralised_total": central_s,
            "federated_total": fed_s,
            "per_round": per_round,
        },
        "bytes_per_round": {"down": hist[-1]["bytes_down"], "up": hist[-1]["bytes_up"]},
        "train_loss_per_round": [row.get("train_loss") for row in hist],
        "environment": environment(),
    }
    lines = [
        "# Federated fine-tuning: USPS clients, MNIST-pretrained small CNN",
        "",
        f"{args.clients} clients with label-skewed USPS partitions (Dirichlet 0.5), "
        f"{args.labels} labels each, tested on up to {n_test} of their own other digits; "
        f"{args.rounds} rounds x {args.local_epochs} local epochs (the same "
        f"{epochs} epochs for local-only and centralised). Flower simulation (Ray, 1 CPU). "
        f"Seed {args.seed}{' (--quick smoke run)' if args.quick else ''}.",
        "",
        "| method | mean accuracy | per client |",
        "|---|---|---|",
    ]
    for m, v in results.items():
        lines.append(
            f"| {m} | {100 * np.mean(v):.1f} % | " + ", ".join(f"{100 * a:.1f}" for a in v) + " |"
        )
    lines += [
        "",
        "| federated run | value |",
        "|---|---|",
        f"| rounds | {len(hist)} |",
        "| seconds per round (round 1 includes Ray's start-up) | "
        + ", ".join(f"{s:.1f}" for s in per_round)
        + " |",
        f"| bytes per round, server to clients (body x clients) | {hist[-1]['bytes_down']:,} |",
        f"| bytes per round, clients to server (bodies only) | {hist[-1]['bytes_up']:,} |",
        f"| whole federated fit (s) | {fed_s:.1f} |",
        f"| local-only, all clients (s) / centralised (s) | {local_s:.1f} / {central_s:.1f} |",
        "",
        "Bytes are Flower's count of the serialised arrays (`ArrayRecord.count_bytes`: .npy "
        "bytes with headers, plus names). The heads never leave the clients; the body "
        "includes the batch-norm statistics, which FedAvg averages too.",
    ]
    write_markdown("federated_finetune", "\n".join(lines))
    write_json("federated_finetune", payload)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
