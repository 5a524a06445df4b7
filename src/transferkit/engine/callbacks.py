"""Callbacks of the training engine: early stopping, schedules, logging, progress bar.

A callback sees the :class:`~transferkit.engine.TrainState` at the start and end of the
run, of every epoch and of every batch. Callbacks run in ``order`` (lower first): early
stopping (10) decides before the checkpoint (20) is written, user callbacks (50) run
after both, the progress bar (90) last. A callback that keeps state across epochs
returns it from :meth:`Callback.state_dict` (tensors, numbers, strings, lists and dicts
only) so that it is saved in the checkpoint and restored on resume, and states the
settings that change the run in :meth:`Callback.settings` (part of the checkpoint key).
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from transferkit._validation import check_positive

if TYPE_CHECKING:  # pragma: no cover
    from transferkit.engine.loop import TrainState

__all__ = [
    "AnnealedLR",
    "Callback",
    "EarlyStopping",
    "LambdaCallback",
    "LoggingCallback",
    "ProgressBar",
    "dann_lambda",
]


class Callback:
    """Base class; every hook does nothing by default."""

    order: int = 50

    def on_train_start(self, state: TrainState) -> None: ...
    def on_epoch_start(self, state: TrainState) -> None: ...
    def on_batch_start(self, state: TrainState) -> None: ...
    def on_batch_end(self, state: TrainState) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_train_end(self, state: TrainState) -> None: ...

    def close(self) -> None:
        """Release resources; called even when training is interrupted."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def settings(self) -> dict[str, Any]:
        """What about this callback changes the trained model (for the checkpoint key)."""
        return {}


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=print)``."""

    def __init__(self, **hooks: Callable[[TrainState], None]) -> None:
        for name, fn in hooks.items():
            if not hasattr(Callback, name) or not name.startswith("on_"):
                raise TypeError(f"unknown hook {name!r}; use on_epoch_end, on_batch_end, ...")
            setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when ``monitor`` (lower is better) has not improved for ``patience`` epochs.

    The weights of the best epoch are restored at the end (``restore_best``). Needs the
    step to report ``monitor`` from its ``validate()``.
    """

    order = 10

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 1e-6,
        restore_best: bool = True,
    ) -> None:
        check_positive("patience", patience, integer=True)
        self.monitor, self.patience = monitor, int(patience)
        self.min_delta, self.restore_best = float(min_delta), bool(restore_best)
        self.best, self.bad, self.best_epoch, self.best_state = math.inf, 0, -1, None
        self.stopped_early = False

    def on_epoch_end(self, state: TrainState) -> None:
        if self.monitor not in state.epoch_logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which the step does not report "
                f"(it reports {sorted(state.epoch_logs)})."
            )
        value = float(state.epoch_logs[self.monitor])
        if value < self.best - self.min_delta:
            self.best, self.bad, self.best_epoch = value, 0, state.epoch
            self.best_state = copy.deepcopy(state.module.state_dict())
        else:
            self.bad += 1
        if self.bad >= self.patience:
            self.stopped_early = True
            state.stop = True

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best and self.best_state is not None:
            state.module.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        d = {
            "best": self.best,
            "bad": self.bad,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
        }
        if self.best_state is not None:
            d["best_state"] = self.best_state
        return d

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad = float(state["best"]), int(state["bad"])
        self.best_epoch, self.stopped_early = int(state["best_epoch"]), bool(state["stopped_early"])
        self.best_state = state.get("best_state")

    def settings(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "patience": self.patience, "min_delta": self.min_delta}


def dann_lambda(progress: float, gamma: float = 10.0) -> float:
    r"""The adaptation weight schedule of Ganin et al. (JMLR 2016, §5.2.2).

    .. math:: \lambda_p = \frac{2}{1 + \exp(-\gamma p)} - 1,

    rising from 0 at the start (:math:`p = 0`) to almost 1 at the end (:math:`p = 1`),
    which keeps the noisy early domain-classifier gradients from hurting the features.

    Examples
    --------
    >>> dann_lambda(0.0), round(dann_lambda(1.0), 4)
    (0.0, 0.9999)
    """
    return 2.0 / (1.0 + math.exp(-gamma * float(progress))) - 1.0


class AnnealedLR(Callback):
    r"""Learning rate annealing of Ganin et al. (JMLR 2016, §5.2.2), per step.

    .. math:: \eta_p = \frac{\eta_0}{(1 + \alpha p)^{\beta}},

    with :math:`p \in [0, 1]` the training progress and :math:`\eta_0` each parameter
    group's starting learning rate (defaults :math:`\alpha = 10`, :math:`\beta = 0.75`).
    """

    order = 5

    def __init__(self, alpha: float = 10.0, beta: float = 0.75) -> None:
        self.alpha, self.beta = float(alpha), float(beta)
        self._base: list[float] | None = None

    def on_train_start(self, state: TrainState) -> None:
        self._base = [float(g.get("initial_lr", g["lr"])) for g in state.optimizer.param_groups]
        for g, lr in zip(state.optimizer.param_groups, self._base, strict=True):
            g["initial_lr"] = lr

    def on_batch_start(self, state: TrainState) -> None:
        factor = (1.0 + self.alpha * state.progress) ** (-self.beta)
        for g, lr in zip(state.optimizer.param_groups, self._base or [], strict=True):
            g["lr"] = lr * factor

    def settings(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta}


class LoggingCallback(Callback):
    """Log every epoch's mean losses (and validation numbers) with :mod:`logging`."""

    order = 80

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger("transferkit.engine")
        self.level = level

    def on_epoch_end(self, state: TrainState) -> None:
        if state.rank == 0:
            logs = " ".join(f"{k}={v:.4g}" for k, v in state.epoch_logs.items())
            self.logger.log(self.level, "epoch %d/%d %s", state.epoch + 1, state.epochs, logs)


class ProgressBar(Callback):
    """A rich progress bar over the steps with the live running losses (rank 0 only).

    The package's one progress style (:mod:`transferkit._progress`, as ``transferkit
    bench``) on stderr; it disappears when training ends.
    """

    order = 90

    def __init__(self, desc: str = "train") -> None:
        self.desc = desc
        self._bar: Any = None

    def on_train_start(self, state: TrainState) -> None:
        if state.rank != 0:
            return
        from rich.console import Console
        from rich.progress import Progress, TextColumn

        from transferkit._progress import progress_columns

        self._bar = Progress(
            *progress_columns(),
            TextColumn("{task.fields[losses]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        total = state.epochs * state.steps_per_epoch
        self._task = self._bar.add_task(
            self.desc, total=total, completed=state.global_step, losses=""
        )

    def on_batch_end(self, state: TrainState) -> None:
        if self._bar is not None:
            losses = " ".join(f"{k}={v:.3f}" for k, v in state.running_logs().items())
            self._bar.update(
                self._task, advance=1, losses=f"epoch {state.epoch + 1}/{state.epochs} {losses}"
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
