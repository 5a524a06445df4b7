"""Few-shot fine-tuning with a step budget: the estimator of the MNIST -> USPS policy study."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch

from transferkit._validation import (
    Interval,
    InvalidParameterError,
    LabelError,
    SequenceOf,
    StrOptions,
    ValidatedDomains,
)
from transferkit.base import BaseTransferClassifier
from transferkit.engine.inputs import TorchInputMixin
from transferkit.finetune import cache as _cache
from transferkit.finetune.backbones import available_backbones, load_backbone
from transferkit.finetune.policies import _NAMED as POLICY_NAMES
from transferkit.finetune.policies import (
    DiscriminativeLR,
    FineTunePolicy,
    GradualUnfreezing,
    LastKStages,
    TransferNet,
    make_policy,
)
from transferkit.finetune.regularizers import Regularizer
from transferkit.finetune.trainer import TrainHistory, predict_logits, train_net
from transferkit.finetune.transforms import as_images

__all__ = ["FewShotFineTune", "torch_threads"]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
_POSITIVE = Interval(Real, 0, None, closed="neither")

#: ``mode="scratch"`` draws its initial weights with seed ``random_state + 1000``, so that
#: the scratch network does not start from the initial weights of the pre-trained one.
SCRATCH_SEED_OFFSET = 1000


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads (``None``: as they are), then restore.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class FewShotFineTune(TorchInputMixin, BaseTransferClassifier):
    r"""Pre-train a CNN on the source, fine-tune it on a few labelled target images.

    Stage 1 (``mode="finetune"`` or ``"source_only"``) minimises the cross-entropy on
    the labelled source :math:`\{(x^s_i, y^s_i)\}` for ``pretrain_epochs`` epochs (Adam,
    ``pretrain_lr``, batches of ``pretrain_batch_size``). The pre-trained network is
    kept in an in-process cache (:mod:`transferkit.finetune.cache`) keyed by the source
    data, the seeds and every pre-training setting, so runs that share it (several
    policies, several label budgets) pre-train once; a cached network is bit-for-bit the
    one an uncached run trains.

    Stage 2 (``"finetune"`` and ``"scratch"``) puts a new head on the network (seeded
    with ``random_state + 1``) and minimises, under the fine-tuning ``policy``,

    .. math:: \frac{1}{|B|}\sum_{(x, y)\in B} \ell_{\mathrm{CE}}\big(h(\phi(x)), y\big)
              + \Omega(\phi, h; B)

    over batches :math:`B` of the labelled target samples (``y_target != -1``), with
    :math:`\Omega` the optional regulariser (L2-SP, BSS), for a **fixed step budget**:
    with :math:`n` labelled samples and batches of ``batch_size`` :math:`b`, it trains

    .. math:: E = \max\Big(\texttt{epochs},\ \Big\lceil \texttt{min\_steps} \big/
              \lceil n / b \rceil \Big\rceil\Big)

    epochs, so that one label per class gets as many optimiser steps as fifty (no early
    stopping: with one label per class there is nothing to validate on).

    * ``mode="finetune"``: the source-pretrained network, fine-tuned;
    * ``mode="scratch"``: the same network from random weights (seed
      ``random_state + 1000``), trained on the labelled target samples only;
    * ``mode="source_only"``: the pre-trained network with its source head, applied to
      the target unchanged (no target label is used, none is needed).

    The named policies take this estimator's settings: ``"last_k"`` trains the head and
    the last ``last_k`` stages, ``"discriminative"`` scales stage :math:`d` below the head
    by ``lr_decay**d``, ``"gradual"`` unfreezes one more stage every
    :math:`\max(1, \lfloor E / \texttt{unfreeze\_phases} \rfloor)` epochs; a
    :class:`~transferkit.finetune.FineTunePolicy` instance is used as given. See
    Yosinski et al., "How transferable are features in deep neural networks?", NIPS 2014,
    and ``benchmarks/finetune_mnist_usps.py`` (the study these defaults come from when
    registered as ``finetune_*`` benchmark methods).

    Parameters
    ----------
    backbone : str, default="small_cnn"
        Registry name (:func:`~transferkit.finetune.available_backbones`), built from
        scratch (no packaged weights) with ``in_channels`` from ``image_shape``.
    image_shape : (C, H, W), default=(1, 16, 16)
        How to view the flat rows of ``X`` / ``X_target`` as images.
    backbone_kwargs : dict, optional
        Passed to the backbone factory (e.g. ``{"widths": (16, 32, 64)}``).
    mode : {"finetune", "scratch", "source_only"}, default="finetune"
    policy : str or FineTunePolicy, default="full"
        ``"linear_probe"``, ``"last_k"``, ``"full"``, ``"discriminative"``, ``"gradual"``.
    last_k : int, default=1
        Stages trained by ``policy="last_k"``.
    lr_decay : float, default=0.3
        Per-stage learning-rate factor of ``policy="discriminative"``.
    unfreeze_phases : int, default=4
        ``policy="gradual"`` unfreezes one more stage every ``E // unfreeze_phases``
        epochs.
    regularizer : None, "l2sp", "bss" or Regularizer, default=None
        An instance is copied at ``fit`` (its reference weights are never kept on it).
    pretrain_epochs : int, default=10
    pretrain_lr : float, default=1e-3
    pretrain_batch_size : int, default=64
    epochs : int, default=8
        Fewest fine-tuning epochs.
    min_steps : int, default=0
        Fewest fine-tuning optimiser steps (the budget above; 0 = ``epochs`` epochs).
    lr : float, default=1e-3
    batch_size : int, default=32
    augment_shift : int, default=1
        Random translation (pixels) in both stages.
    cache_pretrained : bool, default=True
        Share the pre-trained network with other fits of this process (identical
        results; ``False`` pre-trains every time).
    device : str, optional
        Where to train (``"cpu"``, ``"cuda"``...); default CPU.
    n_threads : int, optional
        Torch intra-op threads used by ``fit`` and ``predict`` (the process's setting is
        restored afterwards); ``None`` uses the process's. Convolutions on CPU sum in a
        thread-dependent order, so the weights, and an accuracy, can differ in the last
        digits between thread counts: pin it to compare numbers across machines, runs on
        Ray workers and sequential runs (the ``finetune_*`` benchmark entries use 1).
    random_state : int, default=0
        Seeds the initial weights, the new head, batch order and augmentation through
        local generators (the process-wide random state is left unchanged).
    verbose : bool, default=False
        Progress bars with the live losses.

    Attributes
    ----------
    net_ : TransferNet
    pretrain_history_ : TrainHistory or None
        ``None`` for ``mode="scratch"``.
    history_ : TrainHistory or None
        ``None`` for ``mode="source_only"``.
    epochs_ : int
        Fine-tuning epochs :math:`E` actually trained (0 for ``"source_only"``).
    pretrained_from_cache_ : bool
        Whether the pre-trained network came from the cache.

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
    >>> y_few = np.where(np.arange(20) < 4, yt, -1)  # 2 labelled images per class
    >>> clf = FewShotFineTune(image_shape=(1, 8, 8), backbone_kwargs={"widths": (4, 8, 8)},
    ...                       pretrain_epochs=5, epochs=2, min_steps=10, lr=0.01)
    >>> clf.fit(Xs, ys, X_target=Xt, y_target=y_few).epochs_
    10
    >>> clf.score(Xt[4:], yt[4:])
    1.0
    """

    _requires_target = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "backbone": [str],
        "image_shape": [SequenceOf(_POSITIVE_INT)],
        "backbone_kwargs": [dict, None],
        "mode": [StrOptions({"finetune", "scratch", "source_only"})],
        "policy": [StrOptions(set(POLICY_NAMES)), FineTunePolicy],
        "last_k": [_POSITIVE_INT],
        "lr_decay": [_POSITIVE],
        "unfreeze_phases": [_POSITIVE_INT],
        "regularizer": [StrOptions({"l2sp", "bss"}), Regularizer, None],
        "pretrain_epochs": [_POSITIVE_INT],
        "pretrain_lr": [_POSITIVE],
        "pretrain_batch_size": [_POSITIVE_INT],
        "epochs": [_POSITIVE_INT],
        "min_steps": [_NON_NEGATIVE_INT],
        "lr": [_POSITIVE],
        "batch_size": [_POSITIVE_INT],
        "augment_shift": [_NON_NEGATIVE_INT],
        "cache_pretrained": ["boolean"],
        "device": [str, torch.device, None],
        "n_threads": [_POSITIVE_INT, None],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        *,
        image_shape: Sequence[int] = (1, 16, 16),
        backbone_kwargs: dict | None = None,
        mode: str = "finetune",
        policy: Any = "full",
        last_k: int = 1,
        lr_decay: float = 0.3,
        unfreeze_phases: int = 4,
        regularizer: Any = None,
        pretrain_epochs: int = 10,
        pretrain_lr: float = 1e-3,
        pretrain_batch_size: int = 64,
        epochs: int = 8,
        min_steps: int = 0,
        lr: float = 1e-3,
        batch_size: int = 32,
        augment_shift: int = 1,
        cache_pretrained: bool = True,
        device: str | None = None,
        n_threads: int | None = None,
        random_state: int = 0,
        verbose: bool = False,
    ) -> None:
        self.backbone = backbone
        self.image_shape = image_shape
        self.backbone_kwargs = backbone_kwargs
        self.mode = mode
        self.policy = policy
        self.last_k = last_k
        self.lr_decay = lr_decay
        self.unfreeze_phases = unfreeze_phases
        self.regularizer = regularizer
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_batch_size = pretrain_batch_size
        self.epochs = epochs
        self.min_steps = min_steps
        self.lr = lr
        self.batch_size = batch_size
        self.augment_shift = augment_shift
        self.cache_pretrained = cache_pretrained
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _requires_target_labels(self) -> bool:  # type: ignore[override]
        """Fine-tuning and scratch training need labelled target samples; source only none."""
        return self.mode != "source_only"

    def _validate_params(self) -> None:
        """The rules of ``_parameter_constraints``, then the backbone name and image shape."""
        super()._validate_params()
        if self.backbone not in available_backbones():
            raise InvalidParameterError(
                "The 'backbone' parameter of FewShotFineTune must be a registered backbone "
                f"name ({', '.join(map(repr, available_backbones()))}). "
                f"Got {self.backbone!r} instead."
            )
        if len(self.image_shape) != 3:
            raise InvalidParameterError(
                "The 'image_shape' parameter of FewShotFineTune must be (channels, height, "
                f"width). Got {self.image_shape!r} instead."
            )

    # ------------------------------------------------------------------ helpers
    def _new_net(self, seed: int) -> TransferNet:
        """The backbone and head with initial weights drawn with ``seed``.

        The global torch generator is forked: the process-wide random state is unchanged.
        """
        kwargs = dict(self.backbone_kwargs or {})
        kwargs.setdefault("in_channels", int(self.image_shape[0]))
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(int(seed))
            backbone = load_backbone(self.backbone, pretrained=False, **kwargs)
            return TransferNet(backbone, n_classes=len(self.classes_))

    def _pretrained(self, X: torch.Tensor, y: np.ndarray) -> tuple[TransferNet, TrainHistory]:
        """The source-pretrained network (from the cache when it holds it)."""
        rs = int(self.random_state)
        settings = {
            "backbone": self.backbone,
            "backbone_kwargs": dict(self.backbone_kwargs or {}),
            "image_shape": [int(v) for v in self.image_shape],
            "n_classes": len(self.classes_),
            "init_seed": rs,
            "random_state": rs,
            "epochs": int(self.pretrain_epochs),
            "lr": float(self.pretrain_lr),
            "batch_size": int(self.pretrain_batch_size),
            "augment_shift": int(self.augment_shift),
            "optimizer": "adam",
            "device": str(self.device or "cpu"),
        }
        key = _cache.pretrain_key(X, y, settings) if self.cache_pretrained else None
        if key is not None:
            hit = _cache.get(key)
            if hit is not None:
                self.pretrained_from_cache_ = True
                return hit
        net = self._new_net(rs)
        history = train_net(
            net,
            X,
            y,
            policy="full",
            epochs=int(self.pretrain_epochs),
            lr=float(self.pretrain_lr),
            batch_size=int(self.pretrain_batch_size),
            augment_shift=int(self.augment_shift),
            random_state=rs,
            device=self.device,
            verbose=bool(self.verbose),
            desc="pre-train (source)",
        )
        net.cpu()
        if key is not None:
            _cache.put(key, net, history)
        self.pretrained_from_cache_ = False
        return net, history

    def _budget(self, n_labelled: int) -> int:
        per_epoch = math.ceil(n_labelled / int(self.batch_size))
        return max(int(self.epochs), math.ceil(int(self.min_steps) / per_epoch))

    def _policy(self, epochs: int) -> FineTunePolicy:
        if isinstance(self.policy, FineTunePolicy):
            return copy.deepcopy(self.policy)
        if self.policy == "last_k":
            return LastKStages(int(self.last_k))
        if self.policy == "discriminative":
            return DiscriminativeLR(float(self.lr_decay))
        if self.policy == "gradual":
            return GradualUnfreezing(epochs_per_stage=max(1, epochs // int(self.unfreeze_phases)))
        return make_policy(self.policy)

    # ------------------------------------------------------------------ contract
    def _fit(self, data: ValidatedDomains) -> None:
        with torch_threads(self.n_threads):
            self._fit_stages(data)

    def _fit_stages(self, data: ValidatedDomains) -> None:
        rs = int(self.random_state)
        Xs = as_images(data.X, self.image_shape)
        ys = np.searchsorted(self.classes_, data.y)
        self.pretrained_from_cache_ = False
        self.pretrain_history_ = None
        self.history_ = None
        self.epochs_ = 0
        if self.mode == "source_only":
            self.net_, self.pretrain_history_ = self._pretrained(Xs, ys)
            return
        mask = data.target_labelled
        if not np.any(mask):
            raise LabelError(
                f"FewShotFineTune(mode={self.mode!r}) needs labelled target samples: give "
                "y_target with at least one label (-1 marks an unlabelled sample), or use "
                "mode='source_only'."
            )
        Xt = as_images(data.X_target[mask], self.image_shape)
        yt = np.searchsorted(self.classes_, data.y_target[mask])
        if self.mode == "finetune":
            net, self.pretrain_history_ = self._pretrained(Xs, ys)
        else:
            net = self._new_net(rs + SCRATCH_SEED_OFFSET)
        net.reset_head(generator=torch.Generator().manual_seed(rs + 1))
        self.epochs_ = self._budget(int(mask.sum()))
        regularizer = self.regularizer
        if isinstance(regularizer, Regularizer):
            regularizer = copy.deepcopy(regularizer)
        self.history_ = train_net(
            net,
            Xt,
            yt,
            policy=self._policy(self.epochs_),
            regularizer=regularizer,
            epochs=self.epochs_,
            lr=float(self.lr),
            batch_size=int(self.batch_size),
            augment_shift=int(self.augment_shift),
            random_state=rs,
            device=self.device,
            verbose=bool(self.verbose),
            desc="fine-tune (target)",
        )
        self.net_ = net.cpu()

    def _logits(self, X: np.ndarray) -> torch.Tensor:
        with torch_threads(self.n_threads):
            return predict_logits(self.net_, as_images(X, self.image_shape))

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        # the class of the largest logit (not of the rounded probabilities)
        return self.classes_[self._logits(X).argmax(1).numpy()]

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        return torch.softmax(self._logits(X), dim=1).numpy().astype(np.float64)
