"""Deep domain adaptation methods with the transferkit estimator face.

Each class trains an :class:`~transferkit.deep.AdaptationNet` on the engine
(:mod:`transferkit.engine`) with one transfer loss of :mod:`transferkit.deep.losses` /
:mod:`transferkit.deep.attention`, and speaks the core contract
``fit(X, y, *, X_target, y_target=None, sample_domain=None)``, ``predict``,
``predict_proba``, ``score``. Rows of ``X`` are images (``image_shape``) or feature
vectors (``image_shape=None``: a dense network).

The epoch whose weights are kept is chosen without target labels (``selection``, see
:mod:`transferkit.deep.selection`); every epoch's scores and weights stay available
(``selection_scores_``, :meth:`use_epoch`) so that an oracle choice can be shown next to
it as an upper bound.
"""

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
    SequenceOf,
    StrOptions,
    TransferKitInputError,
)
from transferkit.base import BaseTransferClassifier
from transferkit.deep.attention import TransferableGlobalAttention, TransferableLocalAttention
from transferkit.deep.losses import (
    CDANLoss,
    CORALLoss,
    DANNLoss,
    DomainDiscriminator,
    MultiKernelMMD,
)
from transferkit.deep.networks import AdaptationNet, backbone_net, lenet, mlp
from transferkit.deep.selection import CRITERIA, EpochSelection
from transferkit.deep.step import AdaptationStep
from transferkit.engine import AnnealedLR, DomainBatches, Engine
from transferkit.engine.data import TensorSource
from transferkit.engine.inputs import TorchInputMixin

__all__ = ["CDAN", "DAN", "DANN", "DeepCORAL", "DeepSourceOnly", "TADA"]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_NETWORK_NAMES = ("auto", "lenet", "mlp")


class _DeepAdaptation(TorchInputMixin, BaseTransferClassifier):
    """Shared plumbing: network, engine, selection. Subclasses set ``_method``.

    Subclasses with extra hyper-parameters take them as keywords and list them in
    ``_extra_params`` (the common ones pass through ``**kwargs``); common ones that a
    subclass does not use are listed in ``_excluded_params``.
    """

    _method = "source_only"
    _extra_params: tuple[str, ...] = ()
    _excluded_params: tuple[str, ...] = ()

    @classmethod
    def _get_param_names(cls) -> list[str]:
        from sklearn.base import BaseEstimator

        common = BaseEstimator._get_param_names.__func__(_DeepAdaptation)
        return sorted((set(common) | set(cls._extra_params)) - set(cls._excluded_params))

    _requires_target = True
    _max_sources: int | None = None

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "network": [str, AdaptationNet, callable],
        "image_shape": [SequenceOf(_POSITIVE_INT), None],
        "hidden": [SequenceOf(_POSITIVE_INT)],
        "features": [_POSITIVE_INT],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "epochs": [_POSITIVE_INT],
        "batch_size": [_POSITIVE_INT],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_annealing": ["boolean"],
        "trade_off": [Interval(Real, 0, None, closed="left")],
        "discriminator_hidden": [SequenceOf(_POSITIVE_INT)],
        "selection": [StrOptions(set(CRITERIA)), None],
        "val_fraction": [Interval(Real, 0, 1, closed="left")],
        "checkpoint_dir": [str, os.PathLike, None],
        "device": [str, torch.device, None],
        "random_state": [Interval(Integral, 0, 2**31 - 1, closed="both")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        network: Any = "auto",
        *,
        image_shape: Sequence[int] | None = None,
        hidden: Sequence[int] = (256,),
        features: int = 500,
        dropout: float = 0.5,
        epochs: int = 20,
        batch_size: int = 64,
        lr: float = 0.01,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        lr_annealing: bool = True,
        trade_off: float = 1.0,
        discriminator_hidden: Sequence[int] = (500, 500),
        selection: str | None = "dev",
        val_fraction: float = 0.1,
        checkpoint_dir: str | None = None,
        device: str | None = None,
        random_state: int = 0,
        verbose: bool = False,
    ) -> None:
        self.network = network
        self.image_shape = image_shape
        self.hidden = hidden
        self.features = features
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_annealing = lr_annealing
        self.trade_off = trade_off
        self.discriminator_hidden = discriminator_hidden
        self.selection = selection
        self.val_fraction = val_fraction
        self.checkpoint_dir = checkpoint_dir
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ building
    def _build_net(self, n_features: int, n_classes: int) -> AdaptationNet:
        net = self.network
        if isinstance(net, AdaptationNet):
            import copy

            return copy.deepcopy(net)
        if callable(net) and not isinstance(net, str):
            return net(n_features, n_classes)
        if net == "auto":
            net = "lenet" if self.image_shape is not None else "mlp"
        if net == "lenet":
            return lenet(self._shape(n_features), n_classes, int(self.features), self.dropout)
        if net == "mlp":
            return mlp(n_features, n_classes, self.hidden, self.dropout)
        if isinstance(net, str):
            return backbone_net(
                net,
                self._shape(n_features),
                n_classes,
                pretrained=False,
                features=int(self.features),
            )
        raise TransferKitInputError(
            f"network={net!r} is not supported; use 'auto', 'lenet', 'mlp', a finetune "
            "backbone name, an AdaptationNet or a callable (n_features, n_classes) -> "
            "AdaptationNet."
        )

    def _shape(self, n_features: int) -> tuple[int, int, int]:
        if self.image_shape is None:
            raise TransferKitInputError(
                "a convolutional network needs image_shape=(channels, height, width)."
            )
        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) != 3 or int(np.prod(shape)) != n_features:
            raise TransferKitInputError(
                f"image_shape={self.image_shape!r} does not match the {n_features} features "
                "per row; give (channels, height, width) with channels*height*width = "
                "n_features."
            )
        return shape

    def _inputs(self, X: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(X, dtype=np.float32))
        if self.image_shape is not None:
            t = t.reshape(-1, *self._shape(t.shape[1]))
        return t

    def _transfer_loss(self, net: AdaptationNet, n_classes: int, generator) -> Any:
        return None

    def _discriminator(self, width: int) -> DomainDiscriminator:
        return DomainDiscriminator(width, tuple(self.discriminator_hidden), dropout=0.5)

    # ------------------------------------------------------------------ contract
    def _validate_params(self) -> None:
        """The rules of ``_parameter_constraints``, then the ones that tie parameters."""
        super()._validate_params()
        name = type(self).__name__
        net = self.network
        if isinstance(net, str) and net not in _NETWORK_NAMES:
            from transferkit.finetune.backbones import available_backbones

            if net not in available_backbones():
                raise InvalidParameterError(
                    f"The 'network' parameter of {name} must be one of "
                    f"{', '.join(map(repr, _NETWORK_NAMES))}, a finetune backbone name "
                    f"({', '.join(map(repr, available_backbones()))}), an AdaptationNet or a "
                    f"callable (n_features, n_classes) -> AdaptationNet. Got {net!r} instead."
                )
        if self.image_shape is not None and len(self.image_shape) != 3:
            raise InvalidParameterError(
                f"The 'image_shape' parameter of {name} must be (channels, height, width). "
                f"Got {self.image_shape!r} instead."
            )
        if self.selection in ("iwcv", "dev") and float(self.val_fraction) <= 0:
            raise InvalidParameterError(
                f"selection={self.selection!r} scores held-out source samples: give "
                "val_fraction > 0, or choose selection='snd', 'entropy' or None."
            )

    def _settings(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        for name in ("verbose", "checkpoint_dir", "device"):
            params.pop(name, None)
        return params

    def _holdout(self, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """``(held-out rows, training rows, n_held_out)`` of the ``n`` source samples."""
        rs = int(self.random_state)
        n_val = int(np.ceil(float(self.val_fraction) * n)) if self.val_fraction else 0
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(rs + 7))
        val, tr = perm[:n_val], perm[n_val:]
        if tr.numel() < 2:
            raise TransferKitInputError(
                "too few source samples left for training; lower val_fraction."
            )
        return val, tr, n_val

    def _engine(self, callbacks: list[Any]) -> Engine:
        """The engine, checkpointing into ``checkpoint_dir`` (resumed when it matches)."""
        ck = None
        if self.checkpoint_dir is not None:
            folder = Path(self.checkpoint_dir)
            if folder.exists() and not folder.is_dir():
                raise TransferKitInputError(
                    f"checkpoint_dir={str(folder)!r} is a file; give a folder."
                )
            ck = folder / f"{type(self).__name__.lower()}.pt"
        return Engine(
            int(self.epochs),
            random_state=int(self.random_state),
            callbacks=callbacks,
            checkpoint_path=ck,
            resume=ck is not None,
            on_mismatch="restart",
            settings=self._settings(),
            key_epochs=True,
            verbose=bool(self.verbose),
            desc=type(self).__name__,
            device=self.device,
        )

    def _fit(self, data: Any) -> None:
        rs = int(self.random_state)
        n_classes = len(self.classes_)
        Xs = self._inputs(data.X)
        ys = torch.as_tensor(np.searchsorted(self.classes_, data.y))
        ds = torch.as_tensor(np.asarray(data.sample_domain, dtype=np.int64))
        Xt = self._inputs(data.X_target)
        val, tr, n_val = self._holdout(Xs.shape[0])
        with torch.random.fork_rng(devices=[]):  # seeded initialisation; global state kept
            torch.default_generator.manual_seed(rs)
            net = self._build_net(int(data.X.shape[1]), n_classes)
            loss = self._transfer_loss(net, n_classes, torch.Generator().manual_seed(rs + 1))
        step = AdaptationStep(
            net, self._method, loss, trade_off=float(self.trade_off), **self._step_kwargs()
        )
        trunk = list(net.trunk.parameters())
        head = list(net.classifier.parameters()) + list(net.neck.parameters())
        seen = {id(p) for p in trunk + head}
        rest = [p for p in step.parameters() if id(p) not in seen]
        groups = [
            {"params": trunk, "lr": float(self.lr) * self._trunk_lr_factor()},
            {"params": head, "lr": float(self.lr)},
            {"params": rest, "lr": float(self.lr)},
        ]
        groups = [g for g in groups if g["params"]]
        opt = torch.optim.SGD(
            groups,
            lr=float(self.lr),
            momentum=float(self.momentum),
            weight_decay=float(self.weight_decay),
            nesterov=float(self.momentum) > 0,
            # one fused kernel for all parameters (CPU and CUDA): the same update, faster
            fused=torch.device(self.device or "cpu").type in ("cpu", "cuda") or None,
        )
        sel_train = tr[
            torch.randperm(tr.numel(), generator=torch.Generator().manual_seed(rs + 9))[:1000]
        ]
        selector = EpochSelection(
            net,
            Xs[val] if n_val else None,
            ys[val] if n_val else None,
            Xs[sel_train],
            Xt,
            self.selection,
            rs,
        )
        callbacks = [selector]
        if self.lr_annealing:
            callbacks.insert(0, AnnealedLR(10.0, 0.75))
        engine = self._engine(callbacks)
        source = TensorSource(Xs[tr], ys[tr], ds[tr])
        batches = DomainBatches(source, TensorSource(Xt), batch_size=int(self.batch_size))
        state = engine.fit(step, batches, opt)
        net.cpu().eval()
        self.net_ = net
        self.history_ = state.history
        self.resumed_from_epoch_ = state.resumed_from_epoch
        self.selection_scores_ = selector.scores
        self.selected_epoch_ = selector.selected_epoch
        self._epoch_states = selector.states

    def _trunk_lr_factor(self) -> float:
        return 1.0

    def _step_kwargs(self) -> dict[str, Any]:
        return {}

    def use_epoch(self, epoch: int):
        """Load the weights of ``epoch`` (0-based) into ``net_`` (e.g. for an oracle bound)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "net_")
        if isinstance(epoch, bool) or not 0 <= int(epoch) < len(self._epoch_states):
            raise TransferKitInputError(
                f"epoch must be in [0, {len(self._epoch_states)}); got {epoch!r}."
            )
        self.net_.load_state_dict(self._epoch_states[int(epoch)])
        return self

    @property
    def n_epochs_recorded_(self) -> int:
        return len(self._epoch_states)

    @torch.no_grad()
    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        t = self._inputs(X)
        self.net_.eval()
        out = [
            torch.softmax(self.net_(t[s : s + 512]).double(), 1) for s in range(0, t.shape[0], 512)
        ]
        return torch.cat(out).double().numpy()


_DOC_PARAMS = """
    Parameters
    ----------
    network : "auto", "lenet", "mlp", a finetune backbone name, AdaptationNet or callable
        ``"auto"``: :func:`~transferkit.deep.lenet` when ``image_shape`` is given, else
        :func:`~transferkit.deep.mlp`.
    image_shape : (C, H, W), optional
        How to view the rows of ``X`` as images.
    hidden : sequence of int, default=(256,)
        Dense layers of the MLP (the last one is the bottleneck).
    features : int, default=500
        Bottleneck width of the convolutional networks.
    dropout : float, default=0.5
    epochs, batch_size : int
        Training length; ``batch_size`` source + ``batch_size`` target samples per step.
    lr, momentum, weight_decay : SGD (Nesterov) settings.
    lr_annealing : bool, default=True
        :math:`\\eta_p = \\eta_0 (1 + 10p)^{-0.75}` (Ganin et al. 2016).
    trade_off : float, default=1.0
        Weight :math:`\\mu` of the transfer loss.
    discriminator_hidden : sequence of int, default=(500, 500)
        Hidden layers of the domain discriminator(s).
    selection : {"dev", "iwcv", "snd", "entropy"} or None, default="dev"
        Label-free choice of the epoch kept (``None``: the last one).
    val_fraction : float, default=0.1
        Source samples held out for IWCV/DEV.
    checkpoint_dir : str, optional
        Checkpoint after every epoch; resumed only when written with the same data,
        starting weights and every setting (else trains anew with a warning).
    device : str or torch.device, optional
    random_state : int, default=0
        Seeds initialisation, batches and dropout through local generators.
    verbose : bool, default=False
        Progress bar with the live losses.

    Attributes
    ----------
    net_ : AdaptationNet
    history_ : dict of per-epoch means of the logged losses
    selection_scores_ : dict criterion -> list of per-epoch scores
    selected_epoch_ : int
    resumed_from_epoch_ : int or None
        The epoch a ``checkpoint_dir`` run resumed from (``None``: trained from the start).
"""


class DeepSourceOnly(_DeepAdaptation):
    __doc__ = (
        r"""The same network trained on the source only (the baseline of every table).

    Minimises :math:`\frac1{n_s}\sum_i \ell_{\mathrm{CE}}(h(x^s_i), y^s_i)`; target batches
    are drawn (so that batch order matches the adaptation methods) but unused, except by
    the label-free epoch selection.
"""
        + _DOC_PARAMS
    )
    _method = "source_only"


class DANN(_DeepAdaptation):
    __doc__ = (
        r"""Domain-adversarial neural network (Ganin et al., JMLR 2016).

    .. math:: \min_{F, C, D}\ \frac1{n_s}\sum_i \ell_{\mathrm{CE}}(C(F(x^s_i)), y^s_i)
              + \mu\, \mathcal L_d(D \circ R_{\lambda_p} \circ F),

    with the gradient reversal layer :math:`R_\lambda` (:class:`~transferkit.deep.DANNLoss`),
    :math:`\lambda_p = 2/(1+e^{-10p}) - 1` and the annealed learning rate
    :math:`\eta_p = \eta_0/(1+10p)^{0.75}` of the paper. Several sources (``sample_domain``)
    are one "source" class for the discriminator.
"""
        + _DOC_PARAMS
        + """
    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 5)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(200, 5)) + 0.5
    >>> clf = DANN(hidden=(16,), epochs=3, selection=None).fit(Xs, ys, X_target=Xt)
    >>> clf.predict(Xt[:3]).shape, len(clf.history_["loss"])
    ((3,), 3)
"""
    )
    _method = "dann"

    def _transfer_loss(self, net, n_classes, generator):
        return DANNLoss(self._discriminator(net.features))


class DAN(_DeepAdaptation):
    __doc__ = (
        r"""Deep adaptation network (Long et al., ICML 2015): multi-kernel MMD on the
    bottleneck features and on the logits (the paper adapts the last layers),

    .. math:: \min\ \frac1{n_s}\sum_i \ell_{\mathrm{CE}}
              + \mu\big[\mathrm{MK\text{-}MMD}^2(f^s, f^t)
              + \mathrm{MK\text{-}MMD}^2(z^s, z^t)\big],

    with the linear-time unbiased estimate (``mmd_estimator="linear"``, the paper's) or
    the quadratic U-statistic (``"unbiased"``); Gaussian widths
    :math:`\sigma^2 f`, :math:`f \in \{1/4, \dots, 4\}`, equal weights
    (:class:`~transferkit.deep.MultiKernelMMD`).
"""
        + _DOC_PARAMS
        + """    mmd_estimator : {"linear", "unbiased"}, default="linear"
"""
    )
    _method = "dan"

    _extra_params = ("mmd_estimator",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_DeepAdaptation._parameter_constraints,
        "mmd_estimator": [StrOptions({"linear", "unbiased"})],
    }

    def __init__(self, *, mmd_estimator: str = "linear", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mmd_estimator = mmd_estimator

    def _transfer_loss(self, net, n_classes, generator):
        return MultiKernelMMD(estimator=self.mmd_estimator)


class DeepCORAL(_DeepAdaptation):
    __doc__ = (
        r"""Deep CORAL (Sun & Saenko, ECCV-W 2016): the CORAL loss
    :math:`\frac{1}{4d^2}\lVert C_S - C_T\rVert_F^2` on the last layer (the logits),
    weighted by :math:`\mu` (:class:`~transferkit.deep.CORALLoss`).
"""
        + _DOC_PARAMS
    )
    _method = "coral"

    def _transfer_loss(self, net, n_classes, generator):
        return CORALLoss()


class CDAN(_DeepAdaptation):
    __doc__ = (
        r"""Conditional domain adversarial network, CDAN and CDAN+E (Long et al., NeurIPS 2018).

    The discriminator sees :math:`T(f, g)`, the multilinear map of features and
    predictions (randomized above ``max_multilinear`` dimensions), through the gradient
    reversal layer; ``entropy_conditioning=True`` is CDAN+E
    (:class:`~transferkit.deep.CDANLoss`).
"""
        + _DOC_PARAMS
        + """    entropy_conditioning : bool, default=True
    randomized : bool or None, default=None
        ``None``: randomized when ``features * n_classes > 4096``.
    randomized_dim : int, default=1024
"""
    )
    _method = "cdan"

    _extra_params = ("entropy_conditioning", "randomized", "randomized_dim")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_DeepAdaptation._parameter_constraints,
        "entropy_conditioning": ["boolean"],
        "randomized": ["boolean", None],
        "randomized_dim": [_POSITIVE_INT],
    }

    def __init__(
        self,
        *,
        entropy_conditioning: bool = True,
        randomized: bool | None = None,
        randomized_dim: int = 1024,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.entropy_conditioning = entropy_conditioning
        self.randomized = randomized
        self.randomized_dim = randomized_dim

    def _transfer_loss(self, net, n_classes, generator):
        width = CDANLoss.map_width(
            net.features, n_classes, int(self.randomized_dim), randomized=self.randomized
        )
        return CDANLoss(
            self._discriminator(width),
            net.features,
            n_classes,
            entropy_conditioning=bool(self.entropy_conditioning),
            randomized=self.randomized,
            randomized_dim=int(self.randomized_dim),
            generator=generator,
        )


class TADA(_DeepAdaptation):
    __doc__ = (
        r"""Transferable attention for domain adaptation (Wang, Long et al., AAAI 2019).

    .. math:: \min\ \frac1{n_s}\sum_i \ell_{\mathrm{CE}}
              + \mu\,(\mathcal L_l + \mathcal L_g) + \gamma\,\mathcal L_h,

    with region-level adversarial losses :math:`\mathcal L_l` and the local attention
    :math:`(1 + H(\hat d^k_i))` on every region of the last convolutional map, the
    image-level adversarial loss :math:`\mathcal L_g` and the attention-weighted target
    entropy :math:`\mathcal L_h` (:mod:`transferkit.deep.attention`). Needs a
    convolutional network (``image_shape``); any backbone of
    :mod:`transferkit.finetune` works through ``network=AdaptationNet`` (see
    :func:`~transferkit.deep.backbone_net`, e.g. EfficientNet-Lite0).
"""
        + _DOC_PARAMS
        + """    entropy_weight : float, default=0.1
        :math:`\\gamma`.
    region_hidden : int, default=64
        Hidden units of each region discriminator.
"""
    )
    _method = "tada"
    _max_sources = 1

    _extra_params = ("entropy_weight", "region_hidden")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_DeepAdaptation._parameter_constraints,
        "entropy_weight": [Interval(Real, 0, None, closed="left")],
        "region_hidden": [_POSITIVE_INT],
    }

    def __init__(
        self,
        *,
        image_shape: Sequence[int] | None = (1, 16, 16),
        entropy_weight: float = 0.1,
        region_hidden: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_shape=image_shape, **kwargs)
        self.entropy_weight = entropy_weight
        self.region_hidden = region_hidden

    def _step_kwargs(self) -> dict[str, Any]:
        return {"entropy_weight": float(self.entropy_weight)}

    def _transfer_loss(self, net, n_classes, generator):
        if net.map_shape is None:
            raise TransferKitInputError(
                "TADA needs a convolutional network with a spatial feature map: give "
                "image_shape (and network='lenet' or a backbone)."
            )
        c, h, w = net.map_shape
        local = TransferableLocalAttention(c, h * w, int(self.region_hidden))
        net.local_attention = local
        return torch.nn.ModuleList(
            [local, TransferableGlobalAttention(self._discriminator(net.features))]
        )
