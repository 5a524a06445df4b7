"""Fine-tuning on the shared training engine (:mod:`transferkit.engine`).

:class:`FineTuneStep` owns the fine-tuning loss: over the parameters the policy leaves
trainable,

.. math:: \\frac{1}{|B|}\\sum_{(x, y)\\in B} \\ell_{\\mathrm{CE}}(h(\\phi(x)), y)
          + \\Omega(\\phi, h; B),

with :math:`\\Omega` an optional regulariser (:class:`~transferkit.finetune.L2SP`,
:class:`~transferkit.finetune.BSS`). :func:`train_net` runs it on the engine, which
brings early stopping on a stratified validation split (patience on the validation
loss; the best weights are restored), a checkpoint after every epoch keyed by every
setting with exact resume, a local random generator (``fit`` leaves the global random
state alone), the device and a progress bar with the live loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from transferkit._validation import TransferKitInputError, check_option, check_positive
from transferkit.engine import Batch, Callback, DomainBatches, EarlyStopping, Engine, TrainStep
from transferkit.engine.data import TensorSource
from transferkit.finetune.policies import FineTunePolicy, TransferNet, make_policy
from transferkit.finetune.regularizers import Regularizer, make_regularizer
from transferkit.finetune.transforms import random_shift

__all__ = ["FineTuneStep", "TrainHistory", "train_net", "predict_logits"]


@dataclass
class TrainHistory:
    """Per-epoch record of a :func:`train_net` run."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    resumed_from_epoch: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _split_validation(
    y: np.ndarray, val_fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedShuffleSplit

    n_classes = np.unique(y).size
    n_val = int(np.ceil(val_fraction * y.size))
    counts = np.bincount(y)
    if n_val < n_classes or counts[counts > 0].min() < 2 or y.size - n_val < n_classes:
        raise TransferKitInputError(
            f"val_fraction={val_fraction} cannot give a stratified validation split of "
            f"{y.size} samples with {n_classes} classes (smallest class has "
            f"{counts[counts > 0].min()}); use val_fraction=0 (fixed epochs) or more labels."
        )
    sss = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=random_state)
    tr, va = next(sss.split(np.zeros(y.size), y))
    return np.sort(tr), np.sort(va)


@torch.no_grad()
def predict_logits(
    net: torch.nn.Module,
    X: torch.Tensor,
    *,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 256,
) -> torch.Tensor:
    """Logits of ``net`` in eval mode, batched (the mode is restored afterwards)."""
    was = net.training
    net.eval()
    try:
        out = []
        for s in range(0, X.shape[0], batch_size):
            xb = X[s : s + batch_size]
            out.append(net(transform(xb) if transform is not None else xb))
        return torch.cat(out)
    finally:
        net.train(was)


class FineTuneStep(TrainStep):
    """Cross-entropy (+ regulariser) under a fine-tuning policy, for the engine.

    Parameters
    ----------
    net : TransferNet
    policy : FineTunePolicy
    regularizer : Regularizer or None
        Started on ``net`` as it is now (L2-SP's reference weights are kept in the
        step's state, hence in checkpoints).
    transform : callable, optional
        Applied to every batch before the network.
    augment_shift : int
        Random translation of up to this many pixels (drawn from the epoch generator).
    validation : (X, y) tensors, optional
        Held-out labelled data: :meth:`validate` reports ``val_loss`` and
        ``val_accuracy``.
    """

    def __init__(
        self,
        net: TransferNet,
        policy: FineTunePolicy,
        regularizer: Regularizer | None = None,
        *,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        augment_shift: int = 0,
        validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.net = net
        self.policy = policy
        self.regularizer = regularizer
        self.transform = transform
        self.augment_shift = int(augment_shift)
        self.validation = validation
        if regularizer is not None:
            regularizer.start(net)

    def settings(self) -> dict[str, Any]:
        return {
            "policy": repr(self.policy),
            "regularizer": repr(self.regularizer),
            "augment_shift": self.augment_shift,
            "transform": getattr(self.transform, "__qualname__", repr(self.transform)),
            "validation": None if self.validation is None else int(self.validation[1].numel()),
        }

    def get_extra_state(self) -> dict[str, Any]:
        w0 = getattr(self.regularizer, "_w0", None)
        return {"reg_w0": w0} if w0 is not None else {}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        if state.get("reg_w0") is not None and self.regularizer is not None:
            self.regularizer._w0 = state["reg_w0"]

    def on_epoch_start(self, epoch: int) -> None:
        frozen = self.policy.apply(self.net, epoch)
        self.train()
        for m in frozen:
            m.eval()

    def forward(self, batch: Batch, state: Any) -> tuple[torch.Tensor, dict[str, float]]:
        xb, yb = batch.source
        if self.augment_shift:
            xb = random_shift(xb, self.augment_shift, batch.generator)
        if self.transform is not None:
            xb = self.transform(xb)
        logits, feats = self.net.forward_with_features(xb)
        loss = F.cross_entropy(logits, yb)
        if self.regularizer is not None:
            loss = loss + self.regularizer.penalty(self.net, feats)
        return loss, {}

    def validate(self) -> dict[str, float]:
        if self.validation is None or self.validation[1].numel() == 0:
            return {}
        Xva, yva = self.validation
        logits = predict_logits(self.net, Xva, transform=self.transform)
        return {
            "val_loss": float(F.cross_entropy(logits, yva)),
            "val_accuracy": float((logits.argmax(1) == yva).float().mean()),
        }


def train_net(
    net: TransferNet,
    X: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    policy: str | FineTunePolicy = "full",
    regularizer: str | Regularizer | None = None,
    epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 32,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    val_fraction: float = 0.0,
    patience: int = 5,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    augment_shift: int = 0,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    on_mismatch: str = "error",
    settings: dict[str, Any] | None = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device | None = None,
    random_state: int = 0,
    verbose: bool = True,
    desc: str = "fine-tune",
) -> TrainHistory:
    """Train ``net`` (in place) on images ``X`` with class indices ``y``.

    Parameters
    ----------
    net : TransferNet
        Backbone + head; trained in place.
    X : torch.Tensor of shape (n, C, H, W)
    y : array of int of shape (n,)
        Class indices ``0..n_classes-1``.
    policy : str or FineTunePolicy
        ``"linear_probe"``, ``"last_k"``, ``"full"``, ``"discriminative"``, ``"gradual"``
        or an instance (:mod:`transferkit.finetune.policies`).
    regularizer : None, "l2sp", "bss" or Regularizer
        Started on ``net`` as it is when training begins.
    epochs, lr, batch_size : training length, base learning rate, batch size.
    optimizer : {"adam", "sgd"}
        Adam, or SGD with momentum 0.9.
    weight_decay : float
        Plain L2 decay (keep 0 with L2-SP, which replaces it).
    val_fraction : float in [0, 1)
        Stratified hold-out for early stopping; 0 trains for ``epochs`` epochs.
    patience : int
        Epochs without a lower validation loss before stopping.
    transform : callable, optional
        Applied to each batch before the network (e.g. resize + ImageNet scaling).
    augment_shift : int
        Random translation of up to this many pixels during training.
    checkpoint_path : str or Path, optional
        Written after every epoch (tensors and numbers only, read back with
        ``weights_only=True``). A folder is refused before training.
    resume : bool
        Continue from ``checkpoint_path`` if it exists. The checkpoint is keyed by the
        data, the starting weights and every setting; ``epochs`` may grow (resume to
        train longer).
    on_mismatch : {"error", "restart"}
        What a checkpoint of another run does: raise, or warn and train anew.
    settings : dict, optional
        More settings of the caller for the checkpoint key.
    callbacks : sequence of Callback
        Extra engine callbacks (logging, interruption...).
    device : str or torch.device, optional
    random_state : int
        Seeds the validation split, batch order and augmentation.
    verbose : bool
        Show a progress bar with the live loss.

    Returns
    -------
    TrainHistory

    Examples
    --------
    >>> import torch
    >>> from transferkit.finetune import SmallCNN, TransferNet
    >>> _ = torch.manual_seed(0)
    >>> net = TransferNet(SmallCNN(widths=(4, 8, 8)), 2)
    >>> X = torch.rand(20, 1, 8, 8); y = (X.mean((1, 2, 3)) > 0.5).long()
    >>> h = train_net(net, X, y, epochs=3, verbose=False)
    >>> len(h.train_loss)
    3
    """
    check_positive("epochs", epochs, integer=True)
    check_positive("lr", lr)
    check_positive("batch_size", batch_size, integer=True)
    check_positive("patience", patience, integer=True)
    check_positive("augment_shift", augment_shift, strict=False, integer=True)
    check_option("optimizer", optimizer, ("adam", "sgd"))
    if not 0.0 <= float(val_fraction) < 1.0:
        raise TransferKitInputError(f"val_fraction must be in [0, 1); got {val_fraction!r}.")
    if resume and checkpoint_path is None:
        raise TransferKitInputError("resume=True needs checkpoint_path.")
    y_np = np.asarray(y.cpu().numpy() if isinstance(y, torch.Tensor) else y, dtype=np.int64)
    if X.dim() != 4 or X.shape[0] != y_np.size:
        raise TransferKitInputError(
            f"X must be (n, C, H, W) with one label per image; got X {tuple(X.shape)} and "
            f"{y_np.size} labels."
        )
    n_out = net.head.out_features
    if y_np.min() < 0 or y_np.max() >= n_out:
        raise TransferKitInputError(
            f"labels must be class indices in [0, {n_out}); got {np.unique(y_np)}."
        )

    pol = make_policy(policy)
    reg = make_regularizer(regularizer)
    if val_fraction > 0:
        tr_idx, va_idx = _split_validation(y_np, float(val_fraction), random_state)
    else:
        tr_idx, va_idx = np.arange(y_np.size), np.array([], dtype=np.int64)
    Xtr, ytr = X[torch.as_tensor(tr_idx)], torch.as_tensor(y_np[tr_idx])
    Xva, yva = X[torch.as_tensor(va_idx)], torch.as_tensor(y_np[va_idx])

    engine = Engine(
        int(epochs),
        random_state=int(random_state),
        callbacks=[
            *([EarlyStopping("val_loss", patience=int(patience))] if va_idx.size else []),
            *callbacks,
        ],
        checkpoint_path=checkpoint_path,
        resume=resume,
        on_mismatch=on_mismatch,
        settings={**(settings or {}), "val_fraction": float(val_fraction)},
        verbose=verbose,
        desc=desc,
        device=device,
    )
    step = FineTuneStep(
        net,
        pol,
        reg,
        transform=transform,
        augment_shift=int(augment_shift),
        validation=(Xva, yva) if va_idx.size else None,
    )
    groups = pol.param_groups(net, lr)
    if optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(groups, lr=lr, momentum=0.9, weight_decay=weight_decay)
    data = DomainBatches(TensorSource(Xtr, ytr), batch_size=int(batch_size))
    try:
        state = engine.fit(step, data, opt)
    finally:
        for p in net.parameters():
            p.requires_grad_(True)
        net.eval()
    early = next((c for c in engine.callbacks if isinstance(c, EarlyStopping)), None)
    hist = TrainHistory(
        train_loss=list(state.history.get("loss", [])),
        val_loss=list(state.history.get("val_loss", [])),
        val_accuracy=list(state.history.get("val_accuracy", [])),
        best_epoch=early.best_epoch
        if early is not None
        else len(state.history.get("loss", [])) - 1,
        stopped_early=bool(early is not None and early.stopped_early),
        resumed_from_epoch=state.resumed_from_epoch,
    )
    return hist
