"""The training loop: one engine for fine-tuning and deep domain adaptation.

The *method* is a :class:`TrainStep`, a ``torch.nn.Module`` that holds the networks
and returns the loss of one batch; the *engine* (:class:`Engine`) owns everything else:
batches (:class:`~transferkit.engine.DomainBatches`), the optimiser step, callbacks,
checkpoints and exact resume, the device, randomness and data parallelism.

Randomness without global state
    Batch order and augmentation come from a local ``torch.Generator`` per epoch
    (:func:`~transferkit.engine.epoch_generator`). Layers that draw from torch's global
    generator (dropout) run inside :func:`torch.random.fork_rng`, re-seeded from
    ``(random_state, epoch, rank)`` at every epoch: the run is reproducible, resumes
    exactly, and the caller's global random state is the same after ``fit`` as before.

Exact resume
    After every epoch the checkpoint holds the module, the optimiser, the callbacks'
    state and the history. Because an epoch's randomness depends on the seed and the
    epoch only, a run interrupted after epoch ``k`` and resumed ends with bit-identical
    parameters.

Data parallelism
    Under ``torchrun`` (``torch.distributed`` initialised, e.g. gloo on CPU) the step is
    wrapped in :class:`~torch.nn.parallel.DistributedDataParallel`; every rank takes
    every ``world_size``-th sample of each global batch and its loss is scaled so that
    the averaged gradient is the gradient of the global batch's mean loss. For a step
    whose loss is a mean of per-sample terms (cross-entropy, DANN's domain loss) the
    model equals the one-process model up to floating-point rounding; batch statistics
    (batch norm, MMD, CORAL) are computed per rank.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit._validation import check_option, check_positive
from transferkit.engine.callbacks import Callback, ProgressBar
from transferkit.engine.checkpoint import (
    CheckpointError,
    check_checkpoint_path,
    load_checkpoint_file,
    run_key,
    save_checkpoint_file,
    state_sha256,
)
from transferkit.engine.data import Batch, DomainBatches, epoch_generator

__all__ = ["Engine", "TrainState", "TrainStep", "distributed_context"]


class TrainStep(nn.Module):
    """A method's losses. Subclasses implement :meth:`forward`.

    ``forward(batch, state)`` returns ``(loss, logs)``: the scalar to minimise on this
    batch and a dict of named floats/tensors shown in the progress bar and kept (as
    epoch means) in the history. The step may also override :meth:`on_epoch_start`
    (e.g. freeze stages), :meth:`validate` (numbers for early stopping and selection)
    and :meth:`settings` (everything that changes the result, for the checkpoint key).
    """

    def on_epoch_start(self, epoch: int) -> None:
        self.train()

    def validate(self) -> dict[str, float]:
        return {}

    def settings(self) -> dict[str, Any]:
        return {}


@dataclass
class TrainState:
    """What callbacks see."""

    module: TrainStep
    optimizer: torch.optim.Optimizer
    epochs: int
    steps_per_epoch: int
    rank: int = 0
    world_size: int = 1
    epoch: int = 0
    global_step: int = 0
    progress: float = 0.0
    batch_logs: dict[str, float] = field(default_factory=dict)
    epoch_logs: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    stop: bool = False
    resumed_from_epoch: int | None = None
    _sums: dict[str, float] = field(default_factory=dict)
    _count: int = 0

    def running_logs(self) -> dict[str, float]:
        """Mean of each log over the batches of the current epoch so far."""
        return {k: v / max(self._count, 1) for k, v in self._sums.items()}


def distributed_context() -> tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` unless ``torch.distributed`` is initialised."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _to_float(v: Any) -> float:
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


class Engine:
    """Train a :class:`TrainStep` over :class:`DomainBatches`.

    Parameters
    ----------
    epochs : int
    random_state : int, default=0
        Seeds every epoch's batch order, augmentation and global-RNG layers (dropout).
    callbacks : sequence of Callback
    checkpoint_path : str or Path, optional
        Written after every epoch (atomically). A folder is refused before training.
    resume : bool, default=False
        Continue from ``checkpoint_path`` when it exists and was written by the same run
        (same key). ``epochs`` is not part of the key unless ``key_epochs``: a run can be
        resumed to train longer, never shorter.
    on_mismatch : {"error", "restart"}
        A checkpoint of another run: raise :class:`CheckpointError`, or warn and train
        anew (overwriting it).
    settings : dict, optional
        Every setting of the caller that changes the result (part of the key).
    key_epochs : bool, default=False
        Put ``epochs`` in the key (for schedules that depend on the training length).
    verbose : bool, default=False
        Show a progress bar with the live losses.
    desc : str
        Progress bar label.
    device : str or torch.device, optional
        Where the step is trained (default: where its parameters are).
    find_unused_parameters : bool, default=False
        Passed to DistributedDataParallel.

    Examples
    --------
    >>> import torch
    >>> from transferkit.engine import DomainBatches, Engine, TrainStep, as_source
    >>> class LeastSquares(TrainStep):
    ...     def __init__(self):
    ...         super().__init__(); self.lin = torch.nn.Linear(2, 1)
    ...     def forward(self, batch, state):
    ...         x, y = batch.source
    ...         loss = ((self.lin(x).squeeze(1) - y) ** 2).mean()
    ...         return loss, {"mse": loss}
    >>> X = torch.randn(64, 2); y = X @ torch.tensor([1.0, -2.0])
    >>> step = LeastSquares()
    >>> data = DomainBatches(as_source(X, y), batch_size=16)
    >>> opt = torch.optim.SGD(step.parameters(), lr=0.1)
    >>> state = Engine(epochs=30, random_state=0).fit(step, data, opt)
    >>> state.history["mse"][-1] < 1e-3
    True
    """

    def __init__(
        self,
        epochs: int,
        *,
        random_state: int = 0,
        callbacks: Sequence[Callback] = (),
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
        on_mismatch: str = "error",
        settings: dict[str, Any] | None = None,
        key_epochs: bool = False,
        verbose: bool = False,
        desc: str = "train",
        device: str | torch.device | None = None,
        find_unused_parameters: bool = False,
    ) -> None:
        check_positive("epochs", epochs, integer=True)
        check_option("on_mismatch", on_mismatch, ("error", "restart"))
        if isinstance(random_state, bool) or not isinstance(random_state, int) or random_state < 0:
            from transferkit._validation import TransferKitInputError

            raise TransferKitInputError(
                f"random_state must be a non-negative integer; got {random_state!r}."
            )
        if resume and checkpoint_path is None:
            from transferkit._validation import TransferKitInputError

            raise TransferKitInputError("resume=True needs checkpoint_path.")
        self.epochs = int(epochs)
        self.random_state = int(random_state)
        self.callbacks = list(callbacks)
        self.checkpoint_path = check_checkpoint_path(checkpoint_path)
        self.resume = bool(resume)
        self.on_mismatch = on_mismatch
        self.settings = dict(settings or {})
        self.key_epochs = bool(key_epochs)
        self.verbose = bool(verbose)
        self.desc = desc
        self.device = None if device is None else torch.device(device)
        self.find_unused_parameters = bool(find_unused_parameters)

    # ------------------------------------------------------------------ key, resume
    def _key(self, step: TrainStep, data: DomainBatches, optimizer: torch.optim.Optimizer) -> str:
        opt = {
            "class": type(optimizer).__name__,
            "defaults": {k: v for k, v in optimizer.defaults.items() if k != "params"},
            "groups": [
                {k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups
            ],
        }
        settings = {
            "caller": self.settings,
            "step": {"class": type(step).__qualname__, **step.settings()},
            "optimizer": opt,
            "callbacks": [
                {"class": type(c).__qualname__, **c.settings()}
                for c in self.callbacks
                if c.settings()
            ],
            "random_state": self.random_state,
            "batch_size": data.batch_size,
            "world_size": data.world_size,
            "epochs": self.epochs if self.key_epochs else None,
        }
        return run_key(settings, state_sha256(step.state_dict()), data.fingerprint())

    def _try_resume(self, step, optimizer, callbacks, state: TrainState, key: str) -> int:
        path = self.checkpoint_path
        if not (self.resume and path is not None and path.exists()):
            return 0
        ck = load_checkpoint_file(
            path, ("key", "module", "optimizer", "epoch", "history", "callbacks", "stop")
        )
        done = int(ck["epoch"]) + 1
        reason = None
        if ck["key"] != key:
            reason = (
                "was written for other data or settings (data, labels, starting weights, "
                "hyper-parameters, seed, optimiser, batch size, callbacks)"
            )
        elif done > self.epochs:
            reason = f"has {done} finished epochs, more than epochs={self.epochs}"
        if reason is not None:
            if self.on_mismatch == "error":
                raise CheckpointError(
                    f"checkpoint {str(path)!r} {reason}; delete it or use another checkpoint_path."
                )
            warnings.warn(
                f"checkpoint {str(path)!r} {reason}; training anew (it will be overwritten).",
                UserWarning,
                stacklevel=3,
            )
            return 0
        try:
            step.load_state_dict(ck["module"])
            optimizer.load_state_dict(ck["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint {str(path)!r} does not fit this model or optimiser ({exc}); "
                "delete it or use another checkpoint_path."
            ) from None
        states = ck["callbacks"]
        for i, cb in enumerate(callbacks):
            if i < len(states) and states[i]:
                cb.load_state_dict(states[i])
        state.history = {k: list(v) for k, v in ck["history"].items()}
        state.stop = bool(ck["stop"])
        state.resumed_from_epoch = done
        state.global_step = done * state.steps_per_epoch
        return self.epochs if state.stop else done

    def _save(self, step, optimizer, callbacks, state: TrainState, key: str) -> None:
        if self.checkpoint_path is None or state.rank != 0:
            return
        payload = {
            "key": key,
            "module": step.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": state.epoch,
            "history": state.history,
            "callbacks": [cb.state_dict() for cb in callbacks],
            "stop": state.stop,
        }
        save_checkpoint_file(payload, self.checkpoint_path)

    # ------------------------------------------------------------------ the loop
    def fit(
        self, step: TrainStep, data: DomainBatches, optimizer: torch.optim.Optimizer
    ) -> TrainState:
        """Train ``step`` in place; return the final :class:`TrainState` (with history)."""
        rank, world = distributed_context()
        if (rank, world) != (data.rank, data.world_size):
            data.rank, data.world_size = rank, world
        device = self.device
        if device is None:
            p = next(step.parameters(), None)
            device = p.device if p is not None else torch.device("cpu")
        step.to(device)
        data.device = device
        callbacks = sorted(self.callbacks, key=lambda c: c.order)
        if self.verbose:
            callbacks.append(ProgressBar(self.desc))
        state = TrainState(
            module=step,
            optimizer=optimizer,
            epochs=self.epochs,
            steps_per_epoch=data.steps_per_epoch(),
            rank=rank,
            world_size=world,
        )
        devices = [device.index or 0] if device.type == "cuda" else []
        self._devices = devices
        with torch.random.fork_rng(devices=devices):
            # The key hashes the data and the weights: only a checkpoint needs it.
            key = self._key(step, data, optimizer) if self.checkpoint_path is not None else ""
            start = self._try_resume(step, optimizer, callbacks, state, key)
            try:
                for cb in callbacks:
                    cb.on_train_start(state)
                self._epochs(step, data, optimizer, callbacks, state, key, start, world)
                for cb in callbacks:
                    cb.on_train_end(state)
            finally:
                for cb in callbacks:
                    cb.close()
        losses = state.history.get("loss", [])
        if not all(math.isfinite(v) for v in losses):
            warnings.warn(
                "training loss became non-finite; lower lr.", RuntimeWarning, stacklevel=2
            )
        return state

    def _epochs(self, step, data, optimizer, callbacks, state, key, start, world) -> None:
        model: nn.Module = step
        trainable: tuple[bool, ...] | None = None
        total = max(self.epochs * state.steps_per_epoch, 1)
        for epoch in range(start, self.epochs):
            state.epoch, state._sums, state._count = epoch, {}, 0
            _seed_forked(self._devices, (self.random_state * 1_000_003 + epoch) * 131 + state.rank)
            step.on_epoch_start(epoch)
            if world > 1:
                flags = tuple(p.requires_grad for p in step.parameters())
                if flags != trainable:
                    from torch.nn.parallel import DistributedDataParallel

                    model = DistributedDataParallel(
                        step, find_unused_parameters=self.find_unused_parameters
                    )
                    trainable = flags
            for cb in callbacks:
                cb.on_epoch_start(state)
            weight_sum = 0.0
            for i, batch in enumerate(data.epoch(epoch_generator(self.random_state, epoch))):
                state.progress = (epoch * state.steps_per_epoch + i) / total
                for cb in callbacks:
                    cb.on_batch_start(state)
                loss, logs = model(batch, state)
                optimizer.zero_grad(set_to_none=True)
                (loss * batch.scale if batch.scale != 1.0 else loss).backward()
                optimizer.step()
                n = _batch_len(batch)
                state.batch_logs = {
                    "loss": _to_float(loss),
                    **{k: _to_float(v) for k, v in logs.items()},
                }
                for k, v in state.batch_logs.items():
                    state._sums[k] = state._sums.get(k, 0.0) + v * n
                state._count += n
                weight_sum += n
                state.global_step += 1
                for cb in callbacks:
                    cb.on_batch_end(state)
            state.epoch_logs = {k: v / max(weight_sum, 1) for k, v in state._sums.items()}
            was = step.training
            state.epoch_logs.update(step.validate())
            step.train(was)
            for k, v in state.epoch_logs.items():
                state.history.setdefault(k, []).append(float(v))
            state.progress = (epoch + 1) * state.steps_per_epoch / total
            for cb in callbacks:
                if cb.order > 15:
                    break
                cb.on_epoch_end(state)
            self._save(step, optimizer, callbacks, state, key)
            for cb in callbacks:
                if cb.order > 15:
                    cb.on_epoch_end(state)
            if state.stop:
                break


def _seed_forked(devices: list[int], seed: int) -> None:
    """Seed the (forked) global generators that layers such as dropout draw from."""
    torch.default_generator.manual_seed(seed)
    for d in devices:  # pragma: no cover - no GPU in the test suite
        torch.cuda.default_generators[d].manual_seed(seed)


def _batch_len(batch: Batch) -> int:
    return int(batch.source[0].shape[0])
