r"""The shared body and the local head of a client's network, and FedAvg over bodies.

A client's network is a :class:`~transferkit.finetune.TransferNet`: a backbone
:math:`\phi` (the *body*, state-dict keys ``backbone.*``) and a linear head :math:`h_k`
(keys ``head.*``). Only the body is federated; each client keeps its head (FedPer,
Arivazhagan et al., "Federated Learning with Personalization Layers", 2019).

FedAvg (McMahan et al., AISTATS 2017) replaces the body by the mean of the clients'
bodies weighted by their numbers of training samples :math:`n_k`:

.. math:: \phi \leftarrow \sum_{k=1}^{K} \frac{n_k}{\sum_j n_j}\, \phi_k .
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from transferkit._validation import TransferKitInputError
from transferkit.finetune.backbones import load_backbone
from transferkit.finetune.policies import TransferNet

__all__ = [
    "BODY_PREFIX",
    "HEAD_PREFIX",
    "batchnorm_keys",
    "body_arrays",
    "build_net",
    "fedavg",
    "head_arrays",
    "load_arrays",
]

BODY_PREFIX = "backbone."
HEAD_PREFIX = "head."


def build_net(
    backbone: str,
    backbone_kwargs: Mapping[str, Any] | str | None,
    n_classes: int,
    seed: int,
    *,
    pretrained: bool = False,
) -> TransferNet:
    """A :class:`TransferNet` initialised from ``seed`` (the global RNG is left alone).

    ``backbone_kwargs`` may be a JSON string (as it travels in Flower configurations).

    Examples
    --------
    >>> a = build_net("small_cnn", {"widths": (4, 8, 8)}, 3, seed=0)
    >>> b = build_net("small_cnn", '{"widths": [4, 8, 8]}', 3, seed=0)
    >>> all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    True
    """
    kwargs = json.loads(backbone_kwargs) if isinstance(backbone_kwargs, str) else backbone_kwargs
    kwargs = dict(kwargs or {})
    if "widths" in kwargs:
        kwargs["widths"] = tuple(kwargs["widths"])
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(int(seed))
        net = TransferNet(load_backbone(backbone, pretrained=pretrained, **kwargs), int(n_classes))
    return net


def _arrays(net: torch.nn.Module, prefix: str) -> dict[str, np.ndarray]:
    return {
        k: v.detach().cpu().numpy().copy()
        for k, v in net.state_dict().items()
        if k.startswith(prefix)
    }


def body_arrays(net: TransferNet) -> dict[str, np.ndarray]:
    """The body's state (``backbone.*``: weights and batch-norm buffers) as numpy arrays."""
    return _arrays(net, BODY_PREFIX)


def head_arrays(net: TransferNet) -> dict[str, np.ndarray]:
    """The head's state (``head.*``) as numpy arrays."""
    return _arrays(net, HEAD_PREFIX)


def batchnorm_keys(net: torch.nn.Module) -> set[str]:
    """The body's batch-norm state keys (affine weights, running statistics, counters).

    FedBN (Li, Jiang, Zhang, Kamp, Dou, "FedBN: Federated Learning on Non-IID Features
    via Local Batch Normalization", ICLR 2021) keeps exactly these on the clients.

    Examples
    --------
    >>> net = build_net("small_cnn", {"widths": (4, 8, 8)}, 3, seed=0)
    >>> sorted(k[len("backbone.stages.") :] for k in batchnorm_keys(net) if "block1" in k)
    ... # doctest: +NORMALIZE_WHITESPACE
    ['block1.1.bias', 'block1.1.num_batches_tracked', 'block1.1.running_mean',
     'block1.1.running_var', 'block1.1.weight']
    """
    keys: set[str] = set()
    for name, module in net.named_modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            keys |= {f"{name}.{k}" for k in module.state_dict()}
    return {k for k in keys if k.startswith(BODY_PREFIX)}


def load_arrays(
    net: TransferNet,
    arrays: Mapping[str, np.ndarray],
    prefix: str,
    keys: set[str] | None = None,
) -> None:
    """Copy ``arrays`` into ``net`` in place.

    ``arrays`` must hold exactly ``keys`` (default: every state key under ``prefix``).
    """
    own = {k for k in net.state_dict() if k.startswith(prefix)} if keys is None else set(keys)
    if set(arrays) != own:
        missing, extra = sorted(own - set(arrays)), sorted(set(arrays) - own)
        raise TransferKitInputError(
            f"the arrays do not fit the network's {prefix!r} part: missing {missing[:3]}, "
            f"unexpected {extra[:3]}; use the same backbone and backbone_kwargs everywhere."
        )
    state = {k: torch.as_tensor(np.asarray(v)) for k, v in arrays.items()}
    net.load_state_dict(state, strict=False)


def fedavg(updates: Sequence[tuple[Mapping[str, np.ndarray], float]]) -> dict[str, np.ndarray]:
    r"""Weighted mean of parameter sets, :math:`\sum_k n_k \phi_k / \sum_k n_k`.

    Accumulates in float64 in the order given (callers sort the updates, so that the
    result does not depend on the order in which replies arrived), then casts back to
    each array's dtype; integer buffers (batch-norm ``num_batches_tracked``) are rounded.

    Parameters
    ----------
    updates : sequence of (arrays, weight)
        The same keys and shapes in every set; weights are sample counts (> 0).

    Examples
    --------
    >>> a = {"w": np.array([0.0, 1.0], dtype=np.float32)}
    >>> b = {"w": np.array([3.0, 5.0], dtype=np.float32)}
    >>> fedavg([(a, 1), (b, 3)])["w"]
    array([2.25, 4.  ], dtype=float32)
    """
    if not updates:
        raise TransferKitInputError("fedavg needs at least one (arrays, weight) update.")
    weights = np.array([float(w) for _, w in updates])
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise TransferKitInputError(
            f"FedAvg weights must be positive sample counts; got {weights.tolist()}."
        )
    keys = set(updates[0][0])
    for i, (arrays, _) in enumerate(updates):
        if set(arrays) != keys:
            raise TransferKitInputError(
                f"update {i} has keys {sorted(set(arrays) ^ keys)[:3]} that update 0 lacks "
                "(or the other way round); every client must send the same body."
            )
    total = weights.sum()
    out: dict[str, np.ndarray] = {}
    for key in updates[0][0]:
        first = np.asarray(updates[0][0][key])
        acc = np.zeros(first.shape, dtype=np.float64)
        for (arrays, _), w in zip(updates, weights, strict=True):
            value = np.asarray(arrays[key])
            if value.shape != first.shape:
                raise TransferKitInputError(
                    f"array {key!r} has shape {value.shape} in one update and "
                    f"{first.shape} in another; every client must use the same backbone."
                )
            acc += (w / total) * value.astype(np.float64)
        if np.issubdtype(first.dtype, np.integer):
            acc = np.rint(acc)
        out[key] = np.asarray(acc, dtype=np.float64).astype(first.dtype)
    return out
