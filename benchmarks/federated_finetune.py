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
  for ``rounds x local_epochs`` epochs; local-only with the federated clients' recipe:
  each client runs the same ``local_round`` calls as in the federation (head-only epochs
  first every round) but keeps its own body (no averaging); FedAvg + local heads:
  ``FederatedFineTune(initial_body=..., rounds, local_epochs)`` in Flower's simulation
  runtime (Ray, one CPU), with its defaults and with the settings of the first study
  (each client's own random head, no head-only epochs); centralised: one network
  fine-tuned on the union of the clients' labels for the same number of epochs. Every
  method: full fine-tuning, Adam (``--lr``), batch 32, one torch thread. Accuracy is each
  client's test accuracy, then the mean over clients, then mean +- std over ``--seeds``.

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
from transferkit.federated.horizontal import (
    BODY_PREFIX,
    HEAD_PREFIX,
    FederatedFineTune,
    build_net,
    load_arrays,
    load_head,
    local_round,
    save_client_data,
)
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


def run_seed(args, seed, widths, n_test, data) -> dict:
    """One seed: its pretraining, client split, head initialisations and batch orders."""
    Xs, ys, Xt, yt, n_classes = data
    start = time.perf_counter()
    torch.manual_seed(seed)
    pre = TransferNet(SmallCNN(widths=widths), n_classes)
    train_net(
        pre,
        as_images(Xs, SHAPE),
        ys,
        epochs=args.pretrain_epochs,
        lr=1e-3,
        batch_size=64,
        random_state=seed,
        verbose=False,
    )
    pretrain_s = time.perf_counter() - start
    body = {k: v.clone() for k, v in pre.state_dict().items() if k.startswith(BODY_PREFIX)}
    parts = split_clients(yt, args.clients, args.labels, n_test, seed)
    epochs = args.rounds * args.local_epochs
    common = dict(lr=args.lr, batch_size=32, random_state=seed, verbose=False)

    results: dict[str, list[float]] = {}
    seconds: dict[str, float] = {"pretrain": pretrain_s}
    start = time.perf_counter()
    results["local-only"] = []
    for k, (tr, te) in enumerate(parts):
        net = net_from(body, widths, n_classes, seed + 1 + k)
        train_net(net, as_images(Xt[tr], SHAPE), yt[tr], epochs=epochs, **common)
        results["local-only"].append(accuracy(net, Xt[te], yt[te]))
    seconds["local-only"] = time.perf_counter() - start

    histories = {}
    with tempfile.TemporaryDirectory() as tmp:
        from safetensors.torch import save_file

        path = Path(tmp) / "body.safetensors"
        save_file({k: v.contiguous() for k, v in body.items()}, str(path))
        datasets = [(Xt[tr], yt[tr]) for tr, _ in parts]

        # local-only with the federated clients' recipe: the same local_round calls
        # (shared head initialisation, 2 head-only epochs, then local epochs, every
        # round), each client continuing from its own body instead of the average
        start = time.perf_counter()
        name = "local-only, the federated clients' recipe (no averaging)"
        recipe = FederatedFineTune(
            shared_head_init=True,
            head_epochs=2,
            backbone_kwargs={"widths": widths},
            image_shape=SHAPE,
            rounds=args.rounds,
            local_epochs=args.local_epochs,
            lr=args.lr,
            batch_size=32,
            random_state=seed,
        )
        recipe.classes_ = np.arange(n_classes)
        config = recipe.run_config(len(parts), Path(tmp) / "unused")
        results[name] = []
        for k, (tr, te) in enumerate(parts):
            folder = Path(tmp) / f"alone-{k}"
            save_client_data(folder, as_images(Xt[tr], SHAPE).numpy(), yt[tr])
            own = {key: v.numpy() for key, v in body.items()}
            for r in range(1, args.rounds + 1):
                own, _, _ = local_round(folder, k, own, config | {"server-round": r})
            net = build_net("small_cnn", config["backbone-kwargs"], n_classes, seed)
            load_arrays(net, own, BODY_PREFIX)
            load_arrays(net, load_head(folder), HEAD_PREFIX)
            results[name].append(accuracy(net, Xt[te], yt[te]))
        seconds[name] = time.perf_counter() - start

        federated = list(FEDERATED.items())[: 1 if args.quick else None]
        for name, options in federated:
            fed = FederatedFineTune(
                backbone="small_cnn",
                backbone_kwargs={"widths": widths},
                image_shape=SHAPE,
                initial_body=str(path),
                rounds=args.rounds,
                local_epochs=args.local_epochs,
                lr=args.lr,
                batch_size=32,
                random_state=seed,
                **options,
            )
            start = time.perf_counter()
            fed.fit(datasets)
            seconds[name] = time.perf_counter() - start
            results[name] = [fed.score(Xt[te], yt[te], client=k) for k, (_, te) in enumerate(parts)]
            histories[name] = fed.history_

    start = time.perf_counter()
    pooled = np.concatenate([tr for tr, _ in parts])
    net = net_from(body, widths, n_classes, seed)
    train_net(net, as_images(Xt[pooled], SHAPE), yt[pooled], epochs=epochs, **common)
    results["centralised"] = [accuracy(net, Xt[te], yt[te]) for _, te in parts]
    seconds["centralised"] = time.perf_counter() - start
    return {
        "accuracy": results,
        "seconds": seconds,
        "history": histories,
        "test_per_client": [int(te.size) for _, te in parts],
        "classes_per_client": [int(np.unique(yt[tr]).size) for tr, _ in parts],
    }


#: The federated runs: the setting the diagnosis found (clients share label semantics
#: here), and FederatedFineTune's defaults (each client's own random head, no head-only
#: epochs: the first study's settings, which lost to local-only).
FEDERATED = {
    "FedAvg + local heads, shared initial head, 2 head epochs per round": {
        "shared_head_init": True,
        "head_epochs": 2,
    },
    "FedAvg + local heads, defaults (own random heads, no head epochs; the first study)": {},
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="2 clients, tiny network, one federated run"
    )
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--labels", type=int, default=60, help="labelled digits per client")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--local-epochs", type=int, default=2)
    ap.add_argument("--pretrain-epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    widths = (16, 32, 64)
    n_test, n_mnist = 250, None
    if args.quick:
        args.clients, args.labels, args.rounds, args.local_epochs = 2, 20, 2, 1
        args.pretrain_epochs, widths, n_test, n_mnist, args.seeds = 1, (4, 8, 8), 60, 300, [0]

    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    classes = np.unique(ys)
    ys, yt = np.searchsorted(classes, ys), np.searchsorted(classes, yt)
    if n_mnist is not None:
        keep = np.random.default_rng(0).permutation(ys.size)[:n_mnist]
        Xs, ys = Xs[keep], ys[keep]
    data = (Xs, ys, Xt, yt, classes.size)
    runs = {seed: run_seed(args, seed, widths, n_test, data) for seed in args.seeds}

    methods = list(runs[args.seeds[0]]["accuracy"])
    means = {m: [float(np.mean(runs[s]["accuracy"][m])) for s in args.seeds] for m in methods}
    first = runs[args.seeds[0]]
    hist = first["history"][next(iter(FEDERATED))]
    per_round = [row["seconds"] for row in hist]
    payload = {
        "protocol": {
            "clients": args.clients,
            "labels_per_client": args.labels,
            "rounds": args.rounds,
            "local_epochs": args.local_epochs,
            "pretrain_epochs": args.pretrain_epochs,
            "lr": args.lr,
            "widths": list(widths),
            "seeds": args.seeds,
            "quick": args.quick,
            "federated_settings": FEDERATED,
        },
        "mean_accuracy_per_seed": means,
        "per_seed": {str(s): r for s, r in runs.items()},
        "bytes_per_round": {"down": hist[-1]["bytes_down"], "up": hist[-1]["bytes_up"]},
        "environment": environment(),
    }
    epochs = args.rounds * args.local_epochs
    lines = [
        "# Federated fine-tuning: USPS clients, MNIST-pretrained small CNN",
        "",
        f"{args.clients} clients with label-skewed USPS partitions (Dirichlet 0.5), "
        f"{args.labels} labels each, tested on up to {n_test} of their own other digits; "
        f"{args.rounds} rounds x {args.local_epochs} local epochs (the same "
        f"{epochs} epochs for local-only and centralised), Adam {args.lr:g}, batch 32, full "
        "fine-tuning, one torch thread. Flower simulation (Ray, 1 CPU). Mean client accuracy "
        f"(%), mean +- std over seeds {args.seeds} (each seed: its own MNIST pretraining, "
        "client split, head initialisations and batch orders)"
        f"{' (--quick smoke run)' if args.quick else ''}.",
        "",
        "| method | mean +- std over seeds | per seed (mean over clients) |",
        "|---|---|---|",
    ]
    for m in methods:
        v = 100 * np.asarray(means[m])
        lines.append(
            f"| {m} | {v.mean():.1f} +- {v.std():.1f} | " + ", ".join(f"{a:.1f}" for a in v) + " |"
        )
    lines += [
        "",
        f"| federated run (seed {args.seeds[0]}, shared initial head) | value |",
        "|---|---|",
        f"| rounds | {len(hist)} |",
        "| seconds per round (round 1 includes Ray's start-up) | "
        + ", ".join(f"{s:.1f}" for s in per_round)
        + " |",
        f"| bytes per round, server to clients (body x clients) | {hist[-1]['bytes_down']:,} |",
        f"| bytes per round, clients to server (bodies only) | {hist[-1]['bytes_up']:,} |",
        "| whole federated fit (s), per seed | "
        + ", ".join(f"{runs[s]['seconds'][next(iter(FEDERATED))]:.1f}" for s in args.seeds)
        + " |",
        "| local-only, all clients (s) / centralised (s), per seed | "
        + ", ".join(
            f"{runs[s]['seconds']['local-only']:.1f} / {runs[s]['seconds']['centralised']:.1f}"
            for s in args.seeds
        )
        + " |",
        "",
        "Bytes are Flower's count of the serialised arrays (`ArrayRecord.count_bytes`: .npy "
        "bytes with headers, plus names). The heads never leave the clients; the body "
        "includes the batch-norm statistics, which FedAvg averages too. Why the first "
        "study's settings lose: `benchmarks/results/federated_diagnosis.md`.",
    ]
    write_markdown("federated_finetune", "\n".join(lines))
    write_json("federated_finetune", payload)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
