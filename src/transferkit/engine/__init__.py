"""One training engine for everything torch: fine-tuning and deep domain adaptation.

The method owns its losses (a :class:`TrainStep`); the engine (:class:`Engine`) owns
the loop: domain-balanced batches (:class:`DomainBatches` over tensors, arrays,
``Dataset``s or ``DataLoader``s), callbacks (early stopping, learning-rate and
adaptation-weight schedules, logging, a progress bar with live losses), the device, a
local ``torch.Generator`` per epoch (``fit`` never changes process-wide random state),
checkpoints keyed by every setting with exact resume, and data parallelism under
``torchrun`` (DistributedDataParallel; gloo on CPU).
"""

from transferkit.engine import _deps  # noqa: F401 - names the torch extra if missing
from transferkit.engine.callbacks import (
    AnnealedLR,
    Callback,
    EarlyStopping,
    LambdaCallback,
    LoggingCallback,
    ProgressBar,
    dann_lambda,
)
from transferkit.engine.checkpoint import CheckpointError, run_key, state_sha256
from transferkit.engine.data import Batch, DomainBatches, as_source, epoch_generator
from transferkit.engine.loop import Engine, TrainState, TrainStep, distributed_context

__all__ = [
    "AnnealedLR",
    "Batch",
    "Callback",
    "CheckpointError",
    "DomainBatches",
    "EarlyStopping",
    "Engine",
    "LambdaCallback",
    "LoggingCallback",
    "ProgressBar",
    "TrainState",
    "TrainStep",
    "as_source",
    "dann_lambda",
    "distributed_context",
    "epoch_generator",
    "run_key",
    "state_sha256",
]
