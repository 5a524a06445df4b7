"""Domain-balanced batches from tensors, arrays, ``Dataset``s or ``DataLoader``s.

An epoch draws one permutation of the source (and, when a target is given, enough
permutations of the target to pair every source batch with a target batch of the same
size) from a ``torch.Generator`` seeded by ``(random_state, epoch)``. The batch order of
an epoch is therefore a function of the seed and the epoch only: a run resumed at epoch
``k`` sees exactly the batches an uninterrupted run would. Under data parallelism
(``world_size > 1``) every rank computes the same global batch and keeps every
``world_size``-th sample of it, so that the ranks together see what one process sees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from transferkit._validation import TransferKitInputError

__all__ = ["Batch", "DomainBatches", "TensorSource", "as_source", "epoch_generator"]


def epoch_generator(random_state: int, epoch: int) -> torch.Generator:
    """The generator of one epoch: batch order and augmentation draws.

    Examples
    --------
    >>> a = torch.rand(2, generator=epoch_generator(0, 3))
    >>> bool((a == torch.rand(2, generator=epoch_generator(0, 3))).all())
    True
    """
    return torch.Generator().manual_seed(int(random_state) * 100_003 + int(epoch))


class TensorSource:
    """Indexable columns of equal length (features, labels...), kept as tensors."""

    def __init__(self, *columns: torch.Tensor) -> None:
        n = {int(c.shape[0]) for c in columns}
        if len(n) != 1:
            raise TransferKitInputError(
                f"the columns of a data source must have the same length; got {sorted(n)}."
            )
        self.columns = columns

    def __len__(self) -> int:
        return int(self.columns[0].shape[0])

    def take(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(c[idx] for c in self.columns)

    def fingerprint(self, h: Any) -> None:
        for c in self.columns:
            t = c.detach().cpu().contiguous()
            h.update(f"{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")


class DatasetSource:
    """A map-style ``torch.utils.data.Dataset`` whose items are tensors or tuples."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def take(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        items = [self.dataset[int(i)] for i in idx]
        if not isinstance(items[0], tuple | list):
            items = [(it,) for it in items]
        return tuple(
            torch.stack([torch.as_tensor(it[j]) for it in items]) for j in range(len(items[0]))
        )

    def fingerprint(self, h: Any) -> None:
        # A dataset may be lazy (files on disk): its class, length and first/last items.
        h.update(f"{type(self.dataset).__qualname__}|{len(self)}".encode())
        for i in {0, len(self) - 1}:
            for col in self.take(torch.tensor([i])):
                h.update(col.detach().cpu().contiguous().numpy().tobytes())


def _as_tensor(a: Any, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a if dtype is None else a.to(dtype)
    arr = np.asarray(a)
    if arr.dtype == object:
        raise TransferKitInputError(f"{name} must be numeric; got an object array.")
    t = torch.from_numpy(np.ascontiguousarray(arr))
    if dtype is not None:
        return t.to(dtype)
    return t.float() if t.is_floating_point() else t.long()


def as_source(X: Any, y: Any = None, *, name: str = "X") -> TensorSource | DatasetSource:
    """Wrap tensors/arrays ``(X, y)``, a ``Dataset`` or a ``DataLoader`` (its dataset).

    Examples
    --------
    >>> s = as_source(np.zeros((4, 3)), np.arange(4))
    >>> len(s), [tuple(c.shape) for c in s.take(torch.tensor([0, 2]))]
    (4, [(2, 3), (2,)])
    """
    from torch.utils.data import DataLoader, Dataset

    if isinstance(X, DataLoader):
        X = X.dataset
    if isinstance(X, Dataset) and not isinstance(X, torch.Tensor):
        if y is not None:
            raise TransferKitInputError(
                f"{name} is a Dataset: its items carry the labels; do not pass them separately."
            )
        if not hasattr(X, "__len__") or len(X) == 0:
            raise TransferKitInputError(f"{name} must be a non-empty map-style Dataset.")
        return DatasetSource(X)
    cols = [_as_tensor(X, name)]
    if y is not None:
        cols.append(_as_tensor(y, f"y of {name}"))
    if len(cols[0]) == 0:
        raise TransferKitInputError(f"{name} has no samples.")
    return TensorSource(*cols)


@dataclass
class Batch:
    """One training step's data.

    ``source`` holds the source columns (``x``, ``y``), ``target`` the target columns
    (``x``) or ``None``; ``generator`` continues the epoch's stream (augmentation draws);
    ``scale`` is the factor that makes the mean of the ranks' losses the global mean
    (1 in one process).
    """

    source: tuple[torch.Tensor, ...]
    target: tuple[torch.Tensor, ...] | None
    generator: torch.Generator
    scale: float = 1.0


def _split(perm: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    chunks = list(torch.split(perm, batch_size))
    if len(chunks) > 1 and chunks[-1].numel() == 1:  # batch norm cannot train on 1 sample
        chunks[-2] = torch.cat([chunks[-2], chunks[-1]])
        chunks.pop()
    return chunks


class DomainBatches:
    """Source batches, each paired with a target batch of the same size (if any).

    Parameters
    ----------
    source, target : data sources from :func:`as_source` (``target`` may be ``None``).
    batch_size : int
        Global batch size per domain.
    rank, world_size : int
        This process' share of every global batch (``idx[rank::world_size]``).
    device : torch.device
    """

    def __init__(
        self,
        source: Any,
        target: Any = None,
        *,
        batch_size: int = 32,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | str = "cpu",
    ) -> None:
        self.source, self.target = source, target
        self.batch_size, self.rank, self.world_size = int(batch_size), int(rank), int(world_size)
        self.device = torch.device(device)
        if world_size > 1 and batch_size < world_size:
            raise TransferKitInputError(
                f"batch_size={batch_size} is smaller than the number of processes "
                f"({world_size}); use batch_size >= {world_size}."
            )

    def steps_per_epoch(self) -> int:
        return len(_split(torch.arange(len(self.source)), self.batch_size))

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        self.source.fingerprint(h)
        if self.target is not None:
            h.update(b"|target|")
            self.target.fingerprint(h)
        return h.hexdigest()

    def _to(self, cols: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        return tuple(c.to(self.device, non_blocking=True) for c in cols)

    def epoch(self, generator: torch.Generator) -> Iterator[Batch]:
        src = _split(torch.randperm(len(self.source), generator=generator), self.batch_size)
        tgt: list[torch.Tensor] = []
        if self.target is not None:
            n_t, need = len(self.target), sum(b.numel() for b in src)
            perms = [torch.randperm(n_t, generator=generator) for _ in range(-(-need // n_t))]
            flat = torch.cat(perms)
            start = 0
            for b in src:
                tgt.append(flat[start : start + b.numel()])
                start += b.numel()
        for i, idx in enumerate(src):
            n_global = idx.numel()
            if self.world_size > 1:
                idx = idx[self.rank :: self.world_size]
            t_cols = None
            if self.target is not None:
                t_idx = tgt[i]
                if self.world_size > 1:
                    t_idx = t_idx[self.rank :: self.world_size]
                t_cols = self._to(self.target.take(t_idx))
            scale = idx.numel() * self.world_size / n_global
            yield Batch(self._to(self.source.take(idx)), t_cols, generator, scale)
