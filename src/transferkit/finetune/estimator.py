"""Parameter transfer as a transfer classifier: pre-train on the source, fine-tune on the target."""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from transferkit._validation import (
    Interval,
    InvalidParameterError,
    LabelError,
    SequenceOf,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
)
from transferkit.base import BaseTransferClassifier
from transferkit.engine.inputs import TorchInputMixin
from transferkit.finetune.backbones import available_backbones, load_backbone
from transferkit.finetune.policies import _NAMED as POLICY_NAMES
from transferkit.finetune.policies import FineTunePolicy, TransferNet
from transferkit.finetune.regularizers import Regularizer
from transferkit.finetune.trainer import predict_logits, train_net
from transferkit.finetune.transforms import as_images, imagenet_scale, resize, to_rgb

__all__ = ["FineTuneClassifier"]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
_POSITIVE = Interval(Real, 0, None, closed="neither")


class FineTuneClassifier(TorchInputMixin, BaseTransferClassifier):
    r"""Model-parameter transfer: train a network on the source, re-train it on few target labels.

    Stage 1 (skipped when ``pretrain_epochs=0``) minimises the cross-entropy on the
    labelled source :math:`\{(x^s_i, y^s_i)\}`. Stage 2 re-initialises the head (if
    ``reset_head``) and minimises, under the fine-tuning ``policy``,

    .. math:: \frac{1}{n_t^{\ell}}\sum_{j} \ell_{\mathrm{CE}}\big(h(\phi(x^t_j)), y^t_j\big)
              + \Omega(\phi, h)

    over the labelled target samples (``y_target != -1``), with :math:`\Omega` the
    optional regulariser (L2-SP, BSS). The backbone either starts from packaged weights
    (``pretrained=True``, e.g. ImageNet for ``efficientnet_lite0``) or from scratch.
    ``pretrain_epochs=0`` with ``pretrained=False`` is the *train-from-scratch on the
    target labels* baseline. See Yosinski et al., "How transferable are features in deep
    neural networks?", NIPS 2014.

    Parameters
    ----------
    backbone : str, default="small_cnn"
        Registry name (:func:`~transferkit.finetune.available_backbones`).
    image_shape : (C, H, W)
        How to view the flat rows of ``X`` / ``X_target`` as images.
    backbone_kwargs : dict, optional
        Passed to the backbone factory (``in_channels`` is set from ``image_shape`` for
        backbones built from scratch).
    pretrained : bool, default=False
        Start from the backbone's packaged weights.
    imagenet_input : bool, default=False
        Repeat grey images to RGB and scale to :math:`(x - 127)/128` (``x`` in
        ``[0, input_max]``), as ImageNet backbones expect.
    input_max : float, default=1.0
    resize_to : int, optional
        Resize images (bilinear) before the network.
    policy : str or FineTunePolicy, default="full"
    regularizer : None, "l2sp", "bss" or Regularizer
    pretrain_epochs, epochs : int
        Source pre-training and target fine-tuning epochs.
    pretrain_lr, lr : float
    batch_size : int
    val_fraction : float, default=0
        Early-stopping hold-out of the labelled target (0 = fixed epochs).
    patience : int
    augment_shift : int
        Random translation (pixels) during both stages.
    reset_head : bool, default=True
        New head for the target (otherwise keep the source head; needs shared classes).
    checkpoint_dir : str, optional
        Checkpoints of both stages (``pretrain.pt``, ``finetune.pt``) and
        ``pretrained.safetensors``. A stage resumes from its checkpoint only when the
        checkpoint was written with the same data, starting weights and every setting
        (all constructor parameters but ``verbose``); otherwise it trains anew with a
        warning and overwrites the file.
    device : str, optional
        Where to train (``"cpu"``, ``"cuda"``...); default CPU.
    random_state : int, default=0
        Seeds the network initialisation, batch order, augmentation and validation split
        through local generators (the process-wide random state is left unchanged).
    verbose : bool, default=False
        Progress bars with the live losses.

    Attributes
    ----------
    net_ : TransferNet
    pretrain_history_, history_ : TrainHistory

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> def blobs(n, shift):
    ...     y = np.arange(n) % 2
    ...     X = rng.random((n, 64)) * 0.2
    ...     X[y == 1, :32] += 0.8 + shift
    ...     return X, y
    >>> Xs, ys = blobs(40, 0.0); Xt, yt = blobs(20, 0.1)
    >>> clf = FineTuneClassifier(image_shape=(1, 8, 8), backbone_kwargs={"widths": (4, 8, 8)},
    ...                          pretrain_epochs=5, epochs=10, lr=0.01,
    ...                          verbose=False)
    >>> clf.fit(Xs, ys, X_target=Xt, y_target=yt).score(Xt, yt)
    1.0
    """

    _requires_target = True
    _requires_target_labels = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "backbone": [str],
        "image_shape": [SequenceOf(_POSITIVE_INT)],
        "backbone_kwargs": [dict, None],
        "pretrained": ["boolean"],
        "imagenet_input": ["boolean"],
        "input_max": [_POSITIVE],
        "resize_to": [_POSITIVE_INT, None],
        "policy": [StrOptions(set(POLICY_NAMES)), FineTunePolicy],
        "regularizer": [StrOptions({"l2sp", "bss"}), Regularizer, None],
        "pretrain_epochs": [_NON_NEGATIVE_INT],
        "epochs": [_POSITIVE_INT],
        "pretrain_lr": [_POSITIVE],
        "lr": [_POSITIVE],
        "batch_size": [_POSITIVE_INT],
        "val_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [_POSITIVE_INT],
        "augment_shift": [_NON_NEGATIVE_INT],
        "reset_head": ["boolean"],
        "checkpoint_dir": [str, os.PathLike, None],
        "device": [str, torch.device, None],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        *,
        image_shape: Sequence[int] = (1, 16, 16),
        backbone_kwargs: dict | None = None,
        pretrained: bool = False,
        imagenet_input: bool = False,
        input_max: float = 1.0,
        resize_to: int | None = None,
        policy: Any = "full",
        regularizer: Any = None,
        pretrain_epochs: int = 10,
        epochs: int = 30,
        pretrain_lr: float = 1e-3,
        lr: float = 1e-3,
        batch_size: int = 32,
        val_fraction: float = 0.0,
        patience: int = 5,
        augment_shift: int = 0,
        reset_head: bool = True,
        checkpoint_dir: str | None = None,
        device: str | None = None,
        random_state: int = 0,
        verbose: bool = False,
    ) -> None:
        self.backbone = backbone
        self.image_shape = image_shape
        self.backbone_kwargs = backbone_kwargs
        self.pretrained = pretrained
        self.imagenet_input = imagenet_input
        self.input_max = input_max
        self.resize_to = resize_to
        self.policy = policy
        self.regularizer = regularizer
        self.pretrain_epochs = pretrain_epochs
        self.epochs = epochs
        self.pretrain_lr = pretrain_lr
        self.lr = lr
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.patience = patience
        self.augment_shift = augment_shift
        self.reset_head = reset_head
        self.checkpoint_dir = checkpoint_dir
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self) -> None:
        """The rules of ``_parameter_constraints``, then the backbone name and image shape."""
        super()._validate_params()
        if self.backbone not in available_backbones():
            raise InvalidParameterError(
                "The 'backbone' parameter of FineTuneClassifier must be a registered "
                f"backbone name ({', '.join(map(repr, available_backbones()))}). "
                f"Got {self.backbone!r} instead."
            )
        if len(self.image_shape) != 3:
            raise InvalidParameterError(
                "The 'image_shape' parameter of FineTuneClassifier must be "
                f"(channels, height, width). Got {self.image_shape!r} instead."
            )

    # ------------------------------------------------------------------ helpers
    def _transform(self, x: torch.Tensor) -> torch.Tensor:
        if self.resize_to is not None:
            x = resize(x, int(self.resize_to))
        if self.imagenet_input:
            x = imagenet_scale(to_rgb(x), self.input_max)
        return x

    def _images(self, X: np.ndarray) -> torch.Tensor:
        return as_images(X, self.image_shape)

    def _ckpt(self, name: str) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        folder = Path(self.checkpoint_dir)
        if folder.exists() and not folder.is_dir():
            raise TransferKitInputError(
                f"checkpoint_dir={str(folder)!r} is a file; give a folder (it is created "
                "if missing)."
            )
        return folder / name

    def _settings(self) -> dict:
        """Every constructor setting that changes the model (the checkpoint key)."""
        params = self.get_params(deep=False)
        for name in ("verbose", "checkpoint_dir", "device"):
            params.pop(name, None)
        return params

    # ------------------------------------------------------------------ contract
    def _fit(self, data: ValidatedDomains) -> None:
        rs = int(self.random_state)
        mask = data.target_labelled
        if not np.any(mask):
            raise LabelError(
                "FineTuneClassifier needs labelled target samples: give y_target with at least "
                "one label (use -1 for unlabelled samples)."
            )
        Xs = self._images(data.X)
        Xt = self._images(data.X_target[mask])
        ys = np.searchsorted(self.classes_, data.y)
        yt = np.searchsorted(self.classes_, data.y_target[mask])

        kwargs = dict(self.backbone_kwargs or {})
        if not self.pretrained and not self.imagenet_input:
            kwargs.setdefault("in_channels", int(self.image_shape[0]))
        with torch.random.fork_rng(devices=[]):  # seeded initialisation, global state kept
            torch.default_generator.manual_seed(rs)
            backbone = load_backbone(self.backbone, pretrained=bool(self.pretrained), **kwargs)
            self.net_ = TransferNet(backbone, n_classes=len(self.classes_))
        settings = self._settings()
        common = dict(
            transform=self._transform,
            batch_size=self.batch_size,
            augment_shift=self.augment_shift,
            random_state=rs,
            verbose=self.verbose,
            device=self.device,
            on_mismatch="restart",
        )
        self.pretrain_history_ = None
        if self.pretrain_epochs > 0:
            ck = self._ckpt("pretrain.pt")
            self.pretrain_history_ = train_net(
                self.net_,
                Xs,
                ys,
                policy="full",
                epochs=int(self.pretrain_epochs),
                lr=self.pretrain_lr,
                checkpoint_path=ck,
                resume=ck is not None,
                settings={"stage": "pretrain", **settings},
                desc="pre-train (source)",
                **common,
            )
            if self.checkpoint_dir is not None:
                from transferkit.finetune.backbones import save_checkpoint

                save_checkpoint(self.net_, self._ckpt("pretrained.safetensors"))
        if self.reset_head:
            g = torch.Generator().manual_seed(rs + 1)
            self.net_.reset_head(generator=g)
        ck = self._ckpt("finetune.pt")
        self.history_ = train_net(
            self.net_,
            Xt,
            yt,
            policy=self.policy,
            regularizer=self.regularizer,
            epochs=int(self.epochs),
            lr=self.lr,
            val_fraction=self.val_fraction,
            patience=self.patience,
            checkpoint_path=ck,
            resume=ck is not None,
            settings={"stage": "finetune", **settings},
            desc="fine-tune (target)",
            **common,
        )
        self.net_.cpu()

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        logits = predict_logits(self.net_, self._images(X), transform=self._transform)
        return torch.softmax(logits, dim=1).numpy().astype(np.float64)
