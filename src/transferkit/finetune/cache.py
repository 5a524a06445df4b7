"""An in-process cache of source-pretrained networks, shared by fine-tuning runs.

Several fine-tuning runs often start from the same network pre-trained on the same
source (the rows of a policy study, the cells of a ``transferkit run`` config with one
seed and several policies or label budgets). :class:`~transferkit.finetune.FewShotFineTune`
keeps its pre-trained network here, keyed by **everything that determines its weights**:

* a SHA-256 digest of the source images and class indices (values, dtype and shape);
* the number of classes, the backbone name, its keyword arguments and the image shape;
* the seed of the initial weights and of the training (batch order, augmentation);
* every pre-training setting (epochs, learning rate, batch size, augmentation);
* the device, the torch version and the number of torch threads (results on CPU may
  differ in the last bits between thread counts).

A hit returns a deep copy of the stored network, so the cached weights never change and a
cached run gives bit-for-bit the weights of an uncached one (tested). The cache lives in
one process: a fresh process, or a Ray worker, pre-trains again, with the same result. It
holds at most :data:`MAX_ENTRIES` networks (least recently used dropped first).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import torch

from transferkit._validation import TransferKitInputError

__all__ = ["MAX_ENTRIES", "clear_pretrain_cache", "pretrain_cache_info", "pretrain_key"]

#: Networks kept at most (a small CNN holds well under a megabyte of weights).
MAX_ENTRIES = 8

_LOCK = threading.Lock()
_ENTRIES: OrderedDict[str, Any] = OrderedDict()
_STATS = {"hits": 0, "misses": 0}


def pretrain_key(X: torch.Tensor, y: np.ndarray, settings: dict[str, Any]) -> str:
    """The cache key (hex SHA-256) of pre-training on images ``X``, labels ``y``.

    ``settings`` holds every other input of the pre-training (JSON-serialisable; tuples
    are written as lists). The device-independent parts of the environment (torch
    version, torch threads) are added here.

    Examples
    --------
    >>> import torch, numpy as np
    >>> X = torch.zeros(4, 1, 2, 2); y = np.array([0, 1, 0, 1])
    >>> pretrain_key(X, y, {"epochs": 1}) == pretrain_key(X.clone(), y.copy(), {"epochs": 1})
    True
    >>> pretrain_key(X, y, {"epochs": 1}) == pretrain_key(X, y, {"epochs": 2})
    False
    """
    if not isinstance(X, torch.Tensor):
        raise TransferKitInputError(
            f"X must be a torch.Tensor of images; got {type(X).__name__} (convert it with "
            "transferkit.finetune.transforms.as_images)."
        )
    if np.ndim(y) != 1 or len(y) != X.shape[0]:
        raise TransferKitInputError(
            f"y must hold one class index per image of X: X has {X.shape[0]} images, y has "
            f"shape {np.shape(y)}."
        )
    if not isinstance(settings, dict):
        raise TransferKitInputError(
            f"settings must be a dict of the pre-training settings; got {type(settings).__name__}."
        )
    h = hashlib.sha256()
    x = X.detach().cpu().contiguous()
    h.update(f"{tuple(x.shape)}|{x.dtype}".encode())
    h.update(x.numpy().tobytes())
    yy = np.ascontiguousarray(np.asarray(y, dtype=np.int64))
    h.update(f"{yy.shape}".encode())
    h.update(yy.tobytes())
    env = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    h.update(json.dumps({**settings, **env}, sort_keys=True, default=repr).encode())
    return h.hexdigest()


def get(key: str) -> tuple[torch.nn.Module, Any] | None:
    """A deep copy of the cached ``(network, history)`` under ``key``, or ``None``."""
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is None:
            _STATS["misses"] += 1
            return None
        _ENTRIES.move_to_end(key)
        _STATS["hits"] += 1
        return copy.deepcopy(entry)


def put(key: str, net: torch.nn.Module, history: Any) -> None:
    """Store a deep copy of ``(net, history)`` under ``key`` (the caller keeps its own)."""
    entry = copy.deepcopy((net, history))
    with _LOCK:
        _ENTRIES[key] = entry
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)


def clear_pretrain_cache() -> None:
    """Forget every cached pre-trained network (and reset the hit counts).

    Examples
    --------
    >>> clear_pretrain_cache(); pretrain_cache_info()["entries"]
    0
    """
    with _LOCK:
        _ENTRIES.clear()
        _STATS.update(hits=0, misses=0)


def pretrain_cache_info() -> dict[str, int]:
    """``{"entries", "hits", "misses", "max_entries"}`` of this process's cache.

    Examples
    --------
    >>> sorted(pretrain_cache_info())
    ['entries', 'hits', 'max_entries', 'misses']
    """
    with _LOCK:
        return {"entries": len(_ENTRIES), **_STATS, "max_entries": MAX_ENTRIES}
