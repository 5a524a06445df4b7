"""The Flower ``ClientApp``: local fine-tuning of the received body with the client's own head.

Each client owns a folder (its *client dir*) that nothing but the client reads or
writes: ``data.npz`` (its images ``X`` of shape ``(n, C, H, W)`` and class indices
``y``) and ``head.safetensors`` (its head, written after every round). On a ``train``
message the client

1. builds the network from the message's configuration, loads the received body and its
   own head (in the first round a fresh head, seeded by ``random_state`` and the
   partition id, or by ``random_state`` alone with ``shared-head-init``),
2. with ``head-epochs`` > 0, first trains its head alone on the received body (the body
   frozen: a linear probe) for that many epochs, then fine-tunes for ``local-epochs``
   epochs on its data with
   :func:`transferkit.finetune.train_net` (the shared engine; the fine-tuning policy
   decides which stages move),
3. saves its head in its client dir and replies with the **body only** (``backbone.*``
   arrays) and the metrics ``num-examples``, ``train-loss`` and ``partition-id``.

The head therefore never leaves the client: it is not in any reply. With
``local-batchnorm`` (FedBN, Li et al., ICLR 2021) the body's batch-norm layers (affine
weights and running statistics) stay on the client too: from round 2 on the client
replaces the received ones with its own (``batchnorm.safetensors``), and its reply
carries the body without them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.params import (
    BODY_PREFIX,
    HEAD_PREFIX,
    batchnorm_keys,
    body_arrays,
    build_net,
    head_arrays,
    load_arrays,
)
from transferkit.finetune.trainer import train_net

__all__ = [
    "CLIENT_BATCHNORM_FILE",
    "CLIENT_DATA_FILE",
    "CLIENT_HEAD_FILE",
    "client_seed",
    "load_client_data",
    "load_head",
    "load_local_batchnorm",
    "local_round",
    "make_client_app",
    "save_client_data",
]

CLIENT_DATA_FILE = "data.npz"
CLIENT_HEAD_FILE = "head.safetensors"
CLIENT_BATCHNORM_FILE = "batchnorm.safetensors"


def client_seed(random_state: int, server_round: int, partition_id: int) -> int:
    """Seed of one client's local training in one round (batch order, augmentation).

    Examples
    --------
    >>> client_seed(0, 1, 0) != client_seed(0, 1, 1) != client_seed(0, 2, 0)
    True
    """
    return ((int(random_state) * 1_000_003 + int(server_round)) * 1_009 + int(partition_id)) % (
        2**31 - 1
    )


def save_client_data(client_dir: str | Path, X: np.ndarray, y: np.ndarray) -> Path:
    """Write a client's images ``(n, C, H, W)`` and class indices into its client dir."""
    folder = Path(client_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLIENT_DATA_FILE
    np.savez(path, X=np.asarray(X, dtype=np.float32), y=np.asarray(y, dtype=np.int64))
    return path


def load_client_data(client_dir: str | Path) -> tuple[torch.Tensor, np.ndarray]:
    """Read a client's data from its client dir (a clear error if it is missing)."""
    path = Path(client_dir) / CLIENT_DATA_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"client data {str(path)!r} does not exist; write it with save_client_data "
            "(or give the SuperNode the right client-dir in --node-config)."
        )
    with np.load(path) as data:
        return torch.from_numpy(data["X"].copy()), data["y"].copy()


def load_head(client_dir: str | Path) -> dict[str, np.ndarray] | None:
    """The head a client saved after its last round, or ``None`` before the first."""
    path = Path(client_dir) / CLIENT_HEAD_FILE
    if not path.is_file():
        return None
    from safetensors.numpy import load_file

    return {HEAD_PREFIX + k: v for k, v in load_file(str(path)).items()}


def load_local_batchnorm(client_dir: str | Path) -> dict[str, np.ndarray] | None:
    """The client's own batch-norm arrays (``local-batchnorm`` runs), or ``None``."""
    path = Path(client_dir) / CLIENT_BATCHNORM_FILE
    if not path.is_file():
        return None
    from safetensors.numpy import load_file

    return {BODY_PREFIX + k: v for k, v in load_file(str(path)).items()}


def _save(client_dir: Path, name: str, arrays: dict[str, np.ndarray], prefix: str) -> None:
    from safetensors.numpy import save_file

    tmp = client_dir / (name + ".tmp")
    save_file({k[len(prefix) :]: np.ascontiguousarray(v) for k, v in arrays.items()}, tmp)
    os.replace(tmp, client_dir / name)


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def local_round(
    client_dir: str | Path, partition_id: int, body: dict, config: dict
) -> tuple[dict[str, np.ndarray], int, float]:
    """One client's round, exactly as the ``ClientApp`` runs it (no Flower needed).

    Parameters
    ----------
    client_dir : str or Path
        The client's folder (its ``data.npz``; its head, and its batch-norm layers with
        ``local-batchnorm``, are read from and written to it).
    partition_id : int
        The client's index (seeds its fresh head and its batch order).
    body : dict of str to ndarray
        The received body (every ``backbone.*`` array).
    config : dict
        The run configuration's training keys (``backbone``, ``backbone-kwargs``,
        ``n-classes``, ``policy``, ``local-epochs``, ``lr``, ``batch-size``,
        ``augment-shift``, ``random-state``, ``server-round``, optional
        ``local-batchnorm``, ``shared-head-init`` (every client's first head is drawn
        from ``random-state`` alone, not from its partition id) and ``head-epochs``:
        epochs of head-only training on the received body, with the body frozen, before
        the ``local-epochs`` of the policy).

    Returns
    -------
    body : dict of str to ndarray
        What the client sends back: the body's arrays, without the batch-norm ones under
        ``local-batchnorm``.
    n : int
        The client's number of training samples (its FedAvg weight).
    loss : float
        Its mean training loss in the last local epoch.
    """
    client_dir = Path(client_dir)
    X, y = load_client_data(client_dir)
    seed = int(config["random-state"])
    local_bn = bool(config.get("local-batchnorm", False))
    net = build_net(
        str(config["backbone"]), str(config["backbone-kwargs"]), int(config["n-classes"]), seed
    )
    load_arrays(net, body, BODY_PREFIX)
    bn_keys = batchnorm_keys(net) if local_bn else set()
    own_bn = load_local_batchnorm(client_dir) if local_bn else None
    if own_bn is not None:
        load_arrays(net, own_bn, BODY_PREFIX, keys=bn_keys)
    head = load_head(client_dir)
    if head is None:  # round 1: a fresh head, the same on every client with shared-head-init
        shared = bool(config.get("shared-head-init", False))
        head_seed = seed * 7_919 + (0 if shared else partition_id) + 1
        net.reset_head(generator=torch.Generator().manual_seed(head_seed))
    else:
        load_arrays(net, head, HEAD_PREFIX)
    round_seed = client_seed(seed, int(config["server-round"]), partition_id)
    head_epochs = int(config.get("head-epochs", 0))
    with _torch_threads(int(config.get("torch-threads", 1))):
        if head_epochs > 0:  # fit the head to the received body first (body frozen)
            train_net(
                net,
                X,
                y,
                policy="linear_probe",
                epochs=head_epochs,
                lr=float(config["lr"]),
                batch_size=int(config["batch-size"]),
                augment_shift=int(config["augment-shift"]),
                random_state=(round_seed + 1) % (2**31 - 1),
                device="cpu",
                verbose=False,
            )
        history = train_net(
            net,
            X,
            y,
            policy=str(config["policy"]),
            epochs=int(config["local-epochs"]),
            lr=float(config["lr"]),
            batch_size=int(config["batch-size"]),
            augment_shift=int(config["augment-shift"]),
            random_state=round_seed,
            device="cpu",
            verbose=False,
        )
    _save(client_dir, CLIENT_HEAD_FILE, head_arrays(net), HEAD_PREFIX)
    trained = body_arrays(net)
    if local_bn:
        _save(client_dir, CLIENT_BATCHNORM_FILE, {k: trained[k] for k in bn_keys}, BODY_PREFIX)
        trained = {k: v for k, v in trained.items() if k not in bn_keys}
    return trained, int(y.size), float(history.train_loss[-1])


def _client_dir(context, client_root: str | Path | None) -> tuple[Path, int]:
    node = context.node_config
    partition_id = int(node.get("partition-id", 0))
    if "client-dir" in node:
        return Path(str(node["client-dir"])), partition_id
    if client_root is None:
        raise FileNotFoundError(
            "this SuperNode has no client-dir: start it with --node-config "
            "'client-dir=\"/path/to/its/folder\" partition-id=K'."
        )
    return Path(client_root) / f"client-{partition_id}", partition_id


def make_client_app(client_root: str | Path | None = None):
    """The ``ClientApp`` of federated fine-tuning.

    Parameters
    ----------
    client_root : str or Path, optional
        In Flower's simulation, client ``k`` (``partition-id`` ``k``) uses
        ``client_root/client-k`` as its client dir. A SuperNode started with
        ``--node-config 'client-dir="..."'`` uses that folder instead.

    Returns
    -------
    flwr.clientapp.ClientApp
    """
    from flwr.app import Array, ArrayRecord, Context, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        client_dir, partition_id = _client_dir(context, client_root)
        received = {k: v.numpy() for k, v in msg.content["arrays"].items()}
        config = dict(msg.content["config"])
        body, n, loss = local_round(client_dir, partition_id, received, config)
        reply = RecordDict(
            {
                "arrays": ArrayRecord({k: Array(v) for k, v in body.items()}),
                "metrics": MetricRecord(
                    {"num-examples": n, "train-loss": loss, "partition-id": partition_id}
                ),
            }
        )
        return Message(content=reply, reply_to=msg)

    return app
