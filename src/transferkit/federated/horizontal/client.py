"""The Flower ``ClientApp``: local fine-tuning of the received body with the client's own head.

Each client owns a folder (its *client dir*) that nothing but the client reads or
writes: ``data.npz`` (its images ``X`` of shape ``(n, C, H, W)`` and class indices
``y``) and ``head.safetensors`` (its head, written after every round). On a ``train``
message the client

1. builds the network from the message's configuration, loads the received body and its
   own head (a fresh head seeded by ``(random_state, partition id)`` in the first round),
2. fine-tunes it for ``local-epochs`` epochs on its data with
   :func:`transferkit.finetune.train_net` (the shared engine; the fine-tuning policy
   decides which stages move),
3. saves its head in its client dir and replies with the **body only** (``backbone.*``
   arrays) and the metrics ``num-examples``, ``train-loss`` and ``partition-id``.

The head therefore never leaves the client: it is not in any reply.
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
    HEAD_PREFIX,
    body_arrays,
    build_net,
    head_arrays,
    load_arrays,
)
from transferkit.finetune.trainer import train_net

__all__ = [
    "CLIENT_DATA_FILE",
    "CLIENT_HEAD_FILE",
    "client_seed",
    "load_client_data",
    "load_head",
    "make_client_app",
    "save_client_data",
]

CLIENT_DATA_FILE = "data.npz"
CLIENT_HEAD_FILE = "head.safetensors"


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


def _save_head(client_dir: Path, head: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    tmp = client_dir / (CLIENT_HEAD_FILE + ".tmp")
    save_file({k[len(HEAD_PREFIX) :]: np.ascontiguousarray(v) for k, v in head.items()}, tmp)
    os.replace(tmp, client_dir / CLIENT_HEAD_FILE)


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def local_round(client_dir: Path, partition_id: int, body: dict, config: dict) -> tuple:
    """One client's round: returns ``(body arrays, n samples, final train loss)``."""
    X, y = load_client_data(client_dir)
    seed = int(config["random-state"])
    net = build_net(
        str(config["backbone"]), str(config["backbone-kwargs"]), int(config["n-classes"]), seed
    )
    load_arrays(net, body, "backbone.")
    head = load_head(client_dir)
    if head is None:
        net.reset_head(generator=torch.Generator().manual_seed(seed * 7_919 + partition_id + 1))
    else:
        load_arrays(net, head, HEAD_PREFIX)
    with _torch_threads(int(config.get("torch-threads", 1))):
        history = train_net(
            net,
            X,
            y,
            policy=str(config["policy"]),
            epochs=int(config["local-epochs"]),
            lr=float(config["lr"]),
            batch_size=int(config["batch-size"]),
            augment_shift=int(config["augment-shift"]),
            random_state=client_seed(seed, int(config["server-round"]), partition_id),
            device="cpu",
            verbose=False,
        )
    _save_head(client_dir, head_arrays(net))
    return body_arrays(net), int(y.size), float(history.train_loss[-1])


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
