"""One small training loop shared by all fine-tuning policies and regularisers.

Minimises, over the parameters the policy leaves trainable,

.. math:: \\frac{1}{|B|}\\sum_{(x, y)\\in B} \\ell_{\\mathrm{CE}}(h(\\phi(x)), y)
          + \\Omega(\\phi, h; B),

with :math:`\\Omega` an optional regulariser (:class:`~transferkit.finetune.L2SP`,
:class:`~transferkit.finetune.BSS`). Features:

* early stopping on a stratified validation split of the training data (patience on the
  validation loss; the best weights are restored at the end);
* a checkpoint after every epoch and exact resume: batch order and augmentation are
  drawn from generators seeded by ``(seed, epoch)``, so an interrupted run resumed from
  its checkpoint ends with the same weights as an uninterrupted one;
* a progress bar over epochs.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from tqdm.auto import tqdm

from transferkit._validation import check_option, check_positive
from transferkit.finetune.policies import FineTunePolicy, TransferNet, make_policy
from transferkit.finetune.regularizers import Regularizer, make_regularizer
from transferkit.finetune.transforms import random_shift

__all__ = ["TrainHistory", "train_net", "predict_logits"]


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


def _batches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    perm = torch.randperm(n, generator=generator)
    chunks = list(torch.split(perm, batch_size))
    if len(chunks) > 1 and chunks[-1].numel() == 1:  # batch norm cannot train on 1 sample
        chunks[-2] = torch.cat([chunks[-2], chunks[-1]])
        chunks.pop()
    return chunks


def _split_validation(
    y: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedShuffleSplit

    n_classes = np.unique(y).size
    n_val = int(np.ceil(val_fraction * y.size))
    counts = np.bincount(y)
    if n_val < n_classes or counts[counts > 0].min() < 2 or y.size - n_val < n_classes:
        raise ValueError(
            f"val_fraction={val_fraction} cannot give a stratified validation split of "
            f"{y.size} samples with {n_classes} classes (smallest class has "
            f"{counts[counts > 0].min()}); use val_fraction=0 (fixed epochs) or more labels."
        )
    sss = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
    tr, va = next(sss.split(np.zeros(y.size), y))
    return np.sort(tr), np.sort(va)


def _fingerprint(X, y, policy, reg, seed, lr, batch_size, val_fraction) -> str:
    import hashlib

    h = hashlib.sha256()
    h.update(X.detach().cpu().contiguous().numpy().tobytes())
    h.update(str(tuple(X.shape)).encode())
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(f"{policy!r}|{reg!r}|{seed}|{lr}|{batch_size}|{val_fraction}".encode())
    return h.hexdigest()


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
    seed: int = 0,
    progress: bool = True,
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
        Written after every epoch (``torch.save`` of tensors and numbers only, read
        back with ``weights_only=True``).
    resume : bool
        Continue from ``checkpoint_path`` if it exists. A checkpoint written for other
        data or settings is refused (``epochs`` may differ: resume to train longer).
    seed : int
        Seeds the validation split, batch order, augmentation and head initialisation.
    progress : bool
        Show a progress bar over epochs.

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
    >>> h = train_net(net, X, y, epochs=3, progress=False)
    >>> len(h.train_loss)
    3
    """
    check_positive("epochs", epochs, integer=True)
    check_positive("lr", lr)
    check_positive("batch_size", batch_size, integer=True)
    check_positive("patience", patience, integer=True)
    check_option("optimizer", optimizer, ("adam", "sgd"))
    if not 0.0 <= float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1); got {val_fraction!r}.")
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs checkpoint_path.")
    y_np = np.asarray(y.cpu().numpy() if isinstance(y, torch.Tensor) else y, dtype=np.int64)
    if X.dim() != 4 or X.shape[0] != y_np.size:
        raise ValueError(
            f"X must be (n, C, H, W) with one label per image; got X {tuple(X.shape)} and "
            f"{y_np.size} labels."
        )
    n_out = net.head.out_features
    if y_np.min() < 0 or y_np.max() >= n_out:
        raise ValueError(f"labels must be class indices in [0, {n_out}); got {np.unique(y_np)}.")

    pol = make_policy(policy)
    reg = make_regularizer(regularizer)
    if val_fraction > 0:
        tr_idx, va_idx = _split_validation(y_np, float(val_fraction), seed)
    else:
        tr_idx, va_idx = np.arange(y_np.size), np.array([], dtype=np.int64)
    Xtr, ytr = X[torch.as_tensor(tr_idx)], torch.as_tensor(y_np[tr_idx])
    Xva, yva = X[torch.as_tensor(va_idx)], torch.as_tensor(y_np[va_idx])

    if reg is not None:
        reg.start(net)
    groups = pol.param_groups(net, lr)
    if optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(groups, lr=lr, momentum=0.9, weight_decay=weight_decay)

    fingerprint = _fingerprint(X, y_np, pol, reg, seed, lr, batch_size, val_fraction)
    hist = TrainHistory()
    best_loss, best_state, bad = float("inf"), None, 0
    start_epoch = 0
    ckpt = Path(checkpoint_path) if checkpoint_path is not None else None
    if resume and ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        if state.get("fingerprint") != fingerprint:
            raise ValueError(
                f"checkpoint {ckpt} was written for other data or settings (data, labels, "
                "policy, regularizer, seed, lr, batch size, validation split); delete it or "
                "use another checkpoint_path."
            )
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["optimizer"])
        if reg is not None and "reg_w0" in state:
            reg._w0 = state["reg_w0"]
        h = state["history"]
        hist = TrainHistory(
            train_loss=list(h["train_loss"]),
            val_loss=list(h["val_loss"]),
            val_accuracy=list(h["val_accuracy"]),
            best_epoch=int(h["best_epoch"]),
            stopped_early=bool(h["stopped_early"]),
        )
        best_loss, bad = float(state["best_loss"]), int(state["bad_epochs"])
        best_state = state.get("best_state")
        start_epoch = int(state["epoch"]) + 1
        hist.resumed_from_epoch = start_epoch
        if hist.stopped_early:
            start_epoch = epochs

    bar = tqdm(range(start_epoch, epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        frozen = pol.apply(net, epoch)
        net.train()
        for m in frozen:
            m.eval()
        g = torch.Generator().manual_seed(int(seed) * 100_003 + epoch)
        total, count = 0.0, 0
        for idx in _batches(Xtr.shape[0], int(batch_size), g):
            xb = Xtr[idx]
            if augment_shift:
                xb = random_shift(xb, int(augment_shift), g)
            if transform is not None:
                xb = transform(xb)
            logits, feats = net.forward_with_features(xb)
            loss = F.cross_entropy(logits, ytr[idx])
            if reg is not None:
                loss = loss + reg.penalty(net, feats)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.numel()
            count += idx.numel()
        hist.train_loss.append(total / max(count, 1))
        if va_idx.size:
            logits = predict_logits(net, Xva, transform=transform)
            vloss = float(F.cross_entropy(logits, yva))
            hist.val_loss.append(vloss)
            hist.val_accuracy.append(float((logits.argmax(1) == yva).float().mean()))
            if vloss < best_loss - 1e-6:
                best_loss, bad, hist.best_epoch = vloss, 0, epoch
                best_state = copy.deepcopy(net.state_dict())
            else:
                bad += 1
            bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}", val=f"{vloss:.3f}")
            if bad >= patience:
                hist.stopped_early = True
        else:
            hist.best_epoch = epoch
            bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}")
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            payload = {
                "net": net.state_dict(),
                "optimizer": opt.state_dict(),
                "epoch": epoch,
                "fingerprint": fingerprint,
                "best_loss": best_loss,
                "bad_epochs": bad,
                "history": {k: v for k, v in hist.to_dict().items() if k != "resumed_from_epoch"},
            }
            if best_state is not None:
                payload["best_state"] = best_state
            if reg is not None and hasattr(reg, "_w0"):
                payload["reg_w0"] = reg._w0
            tmp = ckpt.with_suffix(ckpt.suffix + ".tmp")
            torch.save(payload, tmp)
            tmp.replace(ckpt)
        if hist.stopped_early:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    for p in net.parameters():
        p.requires_grad_(True)
    if not np.all(np.isfinite(hist.train_loss)):
        warnings.warn("training loss became non-finite; lower lr.", RuntimeWarning, stacklevel=2)
    net.eval()
    return hist
