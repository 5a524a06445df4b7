"""Why is FedAvg with local heads below local-only training? Diagnostic runs.

The study of ``benchmarks/federated_finetune.py`` (USPS clients with label-skewed
partitions fine-tuning an MNIST-pretrained small CNN) found FedAvg + local heads below
local-only training. This script measures candidate causes one at a time, on the same
data, pretrained body, client split and budget, over several seeds.

FedAvg is run here without Flower, in this process: every client's round is
:func:`transferkit.federated.horizontal.local_round` (the very function the Flower
``ClientApp`` runs) and the server step is :func:`~transferkit.federated.horizontal.fedavg`
over the replies sorted by client (what the Flower ``ServerApp`` does), so the bodies are
those of a Flower run with the same settings (``tests/federated/horizontal`` checks this
equality) without Ray's start-up cost per run.

Variants (each changes one thing against the baseline, 4 clients x 60 labels, Dirichlet
0.5 label skew, 4 rounds x 2 local epochs, Adam 1e-3, batch 32, full fine-tuning):

* ``local-only``: each client alone, 8 epochs in one go (the study's baseline);
* ``local-only, restarted each round``: each client alone, but trained exactly as in
  FedAvg (4 calls of ``local_round``, fresh optimiser each time) - isolates the effect of
  restarting the optimiser every round;
* ``FedAvg (baseline)``: the study's federated run;
* ``... before the last average``: the same run, each client scored with its own body
  after its last local training (its head was trained with that body) - separates what
  averaging does to the final model from what it does to training;
* ``FedBN``: batch-norm layers local (``local-batchnorm``);
* ``... + head refit``: after the last round each client trains its head only
  (``linear_probe``, 2 epochs) on the final body;
* ``8 rounds x 1 epoch``: the same epoch budget, more communication; ``16 rounds x 1``
  and ``8 rounds x 2`` double it;
* ``lr 3e-4``: a smaller local learning rate;
* ``IID clients``: the same run with near-uniform class proportions (Dirichlet 1000),
  to measure the effect of label skew (local-only on that split beside it).

Run: ``python benchmarks/federated_diagnosis.py`` (about 10 CPU-minutes per seed on a
shared machine), ``--quick`` for a smoke run. Writes
``benchmarks/results/federated_diagnosis.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json, write_markdown
from federated_finetune import SHAPE, split_clients
from transferkit.datasets import load_domain
from transferkit.federated.horizontal import (
    BODY_PREFIX,
    HEAD_PREFIX,
    batchnorm_keys,
    build_net,
    fedavg,
    load_arrays,
    load_head,
    load_local_batchnorm,
    local_round,
    save_client_data,
)
from transferkit.finetune import SmallCNN, TransferNet, predict_logits, train_net
from transferkit.finetune.transforms import as_images


def pretrain(Xs, ys, widths, epochs, seed) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    net = TransferNet(SmallCNN(widths=widths), int(ys.max()) + 1)
    train_net(
        net,
        as_images(Xs, SHAPE),
        ys,
        epochs=epochs,
        lr=1e-3,
        batch_size=64,
        random_state=seed,
        verbose=False,
    )
    return {k: v.numpy().copy() for k, v in net.state_dict().items() if k.startswith(BODY_PREFIX)}


class Study:
    """One seed's data, split and pretrained body; runs the variants."""

    def __init__(self, Xt, yt, body, widths, parts, seed, workdir: Path):
        self.Xt, self.yt, self.body, self.widths = Xt, yt, body, widths
        self.parts, self.seed, self.workdir = parts, seed, workdir
        self.kwargs = json.dumps({"in_channels": 1, "widths": list(widths)})

    def config(self, **over) -> dict:
        base = {
            "backbone": "small_cnn",
            "backbone-kwargs": self.kwargs,
            "n-classes": 10,
            "policy": "full",
            "local-epochs": 2,
            "lr": 1e-3,
            "batch-size": 32,
            "augment-shift": 0,
            "random-state": self.seed,
            "local-batchnorm": False,
            "head-epochs": 0,
            "shared-head-init": False,
        }
        return base | over

    def _dirs(self, tag: str, parts) -> list[Path]:
        dirs = []
        for k, (tr, _) in enumerate(parts):
            d = self.workdir / tag / f"client-{k}"
            save_client_data(d, as_images(self.Xt[tr], SHAPE).numpy(), self.yt[tr])
            dirs.append(d)
        return dirs

    def score(self, client_dir: Path, body: dict, te: np.ndarray, config: dict) -> float:
        net = build_net("small_cnn", self.kwargs, 10, self.seed)
        load_arrays(net, body, BODY_PREFIX)
        load_arrays(net, load_head(client_dir), HEAD_PREFIX)
        if config["local-batchnorm"]:
            load_arrays(net, load_local_batchnorm(client_dir), BODY_PREFIX, batchnorm_keys(net))
        pred = predict_logits(net, as_images(self.Xt[te], SHAPE)).argmax(1).numpy()
        return float((pred == self.yt[te]).mean())

    def fedavg(self, tag, rounds, parts=None, federate=True, head_refit=0, **over) -> dict:
        """Returns per-client accuracies: final model, and each client's own last model."""
        parts = self.parts if parts is None else parts
        config = self.config(**over)
        dirs = self._dirs(tag, parts)
        global_body = dict(self.body)
        own = [dict(self.body) for _ in parts]
        net = build_net("small_cnn", self.kwargs, 10, self.seed)
        fixed = batchnorm_keys(net) if config["local-batchnorm"] else set()
        for r in range(1, rounds + 1):
            updates = []
            for k, d in enumerate(dirs):
                start = global_body if federate else own[k]
                body, n, _ = local_round(d, k, start, config | {"server-round": r})
                updates.append((body, n))
                own[k] = body | {key: self.body[key] for key in fixed}
            if federate:
                global_body = fedavg(updates) | {key: self.body[key] for key in fixed}
        final = global_body if federate else None
        out = {
            "final": [
                self.score(d, final if federate else own[k], te, config)
                for k, (d, (_, te)) in enumerate(zip(dirs, parts, strict=True))
            ]
        }
        if federate:
            out["own"] = [
                self.score(d, own[k], te, config)
                for k, (d, (_, te)) in enumerate(zip(dirs, parts, strict=True))
            ]
        if head_refit:
            refit = config | {"policy": "linear_probe", "local-epochs": head_refit}
            out["refit"] = []
            for k, (d, (_, te)) in enumerate(zip(dirs, parts, strict=True)):
                local_round(d, k, final, refit | {"server-round": rounds + 1})
                out["refit"].append(self.score(d, final, te, config))
        return out

    def local_only(self, epochs, parts=None) -> list[float]:
        parts = self.parts if parts is None else parts
        accs = []
        for k, (tr, te) in enumerate(parts):
            torch.manual_seed(self.seed + 1 + k)
            net = TransferNet(SmallCNN(widths=self.widths), 10)
            net.load_state_dict({k2: torch.as_tensor(v) for k2, v in self.body.items()}, False)
            train_net(
                net,
                as_images(self.Xt[tr], SHAPE),
                self.yt[tr],
                epochs=epochs,
                lr=1e-3,
                batch_size=32,
                random_state=self.seed,
                verbose=False,
            )
            pred = predict_logits(net, as_images(self.Xt[te], SHAPE)).argmax(1).numpy()
            accs.append(float((pred == self.yt[te]).mean()))
        return accs


def variants(s: Study, R: int, E: int, iid) -> list[tuple[str, object]]:
    """(row name, thunk); a thunk returns the per-client accuracies of its row."""
    bn = {"local-batchnorm": True}
    warm = {"head-epochs": 2}
    shared = {"shared-head-init": True}
    cache: dict[str, dict] = {}

    def fed(tag, rounds, key="final", **kw):
        def run():
            if tag not in cache:
                cache[tag] = s.fedavg(tag, rounds, **kw)
            return cache[tag][key]

        return run

    return [
        ("local-only", lambda: s.local_only(R * E)),
        ("local-only, restarted each round", fed("restart", R, federate=False)),
        ("FedAvg (baseline)", fed("base", R, head_refit=2)),
        (
            "FedAvg, each client's model before the last average",
            fed("base", R, "own", head_refit=2),
        ),
        ("FedAvg + head refit", fed("base", R, "refit", head_refit=2)),
        ("FedBN", fed("bn", R, head_refit=2, **bn)),
        ("FedBN + head refit", fed("bn", R, "refit", head_refit=2, **bn)),
        (f"FedAvg, {R * E} rounds x 1 epoch", fed("r8", R * E, **{"local-epochs": 1})),
        (f"FedBN, {R * E} rounds x 1 epoch", fed("bn8", R * E, **{"local-epochs": 1}, **bn)),
        (f"FedAvg, {2 * R} rounds x {E} epochs (2x budget)", fed("r2x", 2 * R)),
        (f"local-only, {2 * R * E} epochs (2x budget)", lambda: s.local_only(2 * R * E)),
        ("FedAvg, lr 3e-4", fed("lr", R, lr=3e-4)),
        ("FedAvg, lr 3e-3", fed("lr3", R, lr=3e-3)),
        ("local-only, restarted each round, lr 3e-3", fed("lr3l", R, federate=False, lr=3e-3)),
        ("FedAvg, shared initial head", fed("sh", R, **shared)),
        (
            "local-only, restarted each round, 2 head epochs first",
            fed("hwl", R, federate=False, **warm),
        ),
        ("FedAvg, 2 head epochs first", fed("hw", R, **warm)),
        ("FedAvg, 2 head epochs first, lr 3e-3", fed("hw3", R, lr=3e-3, **warm)),
        ("FedBN, 2 head epochs first", fed("hwbn", R, **warm, **bn)),
        ("FedAvg, shared initial head, lr 3e-3", fed("sh3", R, lr=3e-3, **shared)),
        ("FedAvg, shared initial head, 2 head epochs first", fed("shw", R, **shared, **warm)),
        (
            "FedAvg, shared initial head, 2 head epochs first, lr 3e-3",
            fed("shw3", R, lr=3e-3, **shared, **warm),
        ),
        (
            "FedBN, shared initial head, 2 head epochs first, lr 3e-3",
            fed("shwbn3", R, lr=3e-3, **shared, **warm, **bn),
        ),
        (
            "local-only, restarted each round, 2 head epochs first, lr 3e-3",
            fed("hwl3", R, federate=False, lr=3e-3, **warm),
        ),
        ("IID clients: local-only", lambda: s.local_only(R * E, parts=iid)),
        ("IID clients: FedAvg", fed("iid", R, parts=iid)),
        ("IID clients: FedAvg, 2 head epochs first", fed("iidhw", R, parts=iid, **warm)),
    ]


def run_seed(seed, args, Xs, ys, Xt, yt, widths, n_test) -> dict[str, list[float]]:
    body = pretrain(Xs, ys, widths, args.pretrain_epochs, seed)
    parts = split_clients(yt, args.clients, args.labels, n_test, seed)
    iid = split_iid(yt, args.clients, args.labels, n_test, seed)
    res: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        s = Study(Xt, yt, body, widths, parts, seed, Path(tmp))
        for name, run in variants(s, args.rounds, args.local_epochs, iid):
            if args.only is None or any(o in name for o in args.only):
                res[name] = run()
    return res


def split_iid(y, n_clients, n_labels, n_test, seed):
    """Near-uniform class proportions: the same sizes as ``split_clients``, no skew."""
    rng = np.random.default_rng(seed + 10_000)
    idx = rng.permutation(y.size)
    per = idx.size // n_clients
    out = []
    for k in range(n_clients):
        mine = idx[k * per : (k + 1) * per]
        out.append((np.sort(mine[:n_labels]), np.sort(mine[n_labels : n_labels + n_test])))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, tiny network (smoke run)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--labels", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--local-epochs", type=int, default=2)
    ap.add_argument("--pretrain-epochs", type=int, default=3)
    ap.add_argument("--only", nargs="+", help="run only the rows whose names contain these")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    widths, n_test, n_mnist = (16, 32, 64), 250, None
    if args.quick:
        args.seeds, args.clients, args.labels, args.rounds, args.local_epochs = [0], 2, 20, 2, 1
        args.pretrain_epochs, widths, n_test, n_mnist = 1, (4, 8, 8), 40, 300
    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none")
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none")
    classes = np.unique(ys)
    ys, yt = np.searchsorted(classes, ys), np.searchsorted(classes, yt)
    if n_mnist is not None:
        keep = np.random.default_rng(0).permutation(ys.size)[:n_mnist]
        Xs, ys = Xs[keep], ys[keep]
    per_seed = {}
    start = time.perf_counter()
    for seed in args.seeds:
        per_seed[seed] = run_seed(seed, args, Xs, ys, Xt, yt, widths, n_test)
        print(f"seed {seed} done after {time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start
    names = list(per_seed[args.seeds[0]])
    means = {n: [100 * float(np.mean(per_seed[s][n])) for s in args.seeds] for n in names}
    lines = [
        "# Federated fine-tuning: why FedAvg + local heads fell below local-only",
        "",
        f"USPS clients fine-tuning an MNIST-pretrained small CNN (widths {list(widths)}): "
        f"{args.clients} clients, {args.labels} labels each, Dirichlet-0.5 label skew, "
        f"{args.rounds} rounds x {args.local_epochs} local epochs unless the row says "
        "otherwise, Adam 1e-3, batch 32, full fine-tuning, one torch thread. FedAvg runs "
        "in-process through `local_round` (the ClientApp's function) and `fedavg` (the "
        "ServerApp's aggregation). Mean client accuracy (%), mean +- std over seeds "
        f"{args.seeds} (each seed: its own pretraining, client split and initialisation)"
        f"{'; --quick smoke run' if args.quick else ''}.",
        "",
        "| variant | mean +- std | per seed |",
        "|---|---|---|",
    ]
    for n in names:
        v = means[n]
        lines.append(
            f"| {n} | {np.mean(v):.1f} +- {np.std(v):.1f} | "
            + ", ".join(f"{a:.1f}" for a in v)
            + " |"
        )
    lines += ["", f"Whole run: {seconds:.0f} s."]
    write_markdown("federated_diagnosis", "\n".join(lines))
    write_json(
        "federated_diagnosis",
        {
            "protocol": vars(args) | {"widths": list(widths), "n_test": n_test},
            "per_seed_per_client": {str(s): v for s, v in per_seed.items()},
            "mean_accuracy_per_seed": means,
            "seconds": seconds,
            "environment": environment(),
        },
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
