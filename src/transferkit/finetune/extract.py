"""Multi-layer (multi-scale) pooled features from a frozen backbone, with a disk cache.

For each requested layer :math:`\\ell` with activation :math:`A_\\ell(x) \\in
\\mathbb{R}^{C_\\ell \\times H_\\ell \\times W_\\ell}`, the feature vector is the
concatenation over layers of the spatially pooled activations

.. math:: \\phi(x) = \\big[\\operatorname{pool}(A_{\\ell_1}(x)), \\dots,
          \\operatorname{pool}(A_{\\ell_L}(x))\\big],

with ``pool`` the spatial mean (``"avg"``), maximum (``"max"``) or both (``"avgmax"``).
Shallow layers carry edges and textures, deep layers object parts, so concatenating
several (as in hypercolumns, Hariharan et al. CVPR 2015, and the multi-scale features of
Yosinski et al. NIPS 2014) often transfers better to domains far from ImageNet.

Activations are read with forward hooks, the network runs in ``eval`` mode under
``torch.no_grad`` in batches, and the result is cached on disk under a key that hashes
the data, the backbone weights, the layers, the pooling and the input transform's name.
A cache file stores that key and a SHA-256 of the features themselves next to the
features; a file whose key, shape, dtype or digest does not match (altered, truncated,
written by other settings or not a cache at all) is never returned: the features are
recomputed, the file replaced, and a :class:`FeatureCacheWarning` says so.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from transferkit._progress import track
from transferkit._validation import check_matrix, check_option, check_positive
from transferkit.finetune.backbones import Backbone, load_backbone, state_dict_sha256
from transferkit.finetune.transforms import as_images

__all__ = ["FeatureCacheWarning", "PretrainedFeatures", "extract_features", "feature_cache_key"]

#: Bumped whenever the cache file layout changes, so old files are recomputed.
_CACHE_FORMAT = "transferkit.features/2"


class FeatureCacheWarning(UserWarning):
    """A feature cache file was unusable (altered, truncated or foreign) and was rebuilt."""


POOLS = ("avg", "max", "avgmax")


def _resolve_layers(backbone: nn.Module, layers: Sequence[str] | str | None) -> list[str]:
    if layers is None:
        return ["stages." + backbone.stage_names[-1]] if isinstance(backbone, Backbone) else [""]
    if isinstance(layers, str):
        layers = [layers]
    layers = list(layers)
    if not layers:
        raise ValueError("layers must name at least one layer (or be None for the last stage).")
    modules = dict(backbone.named_modules())
    stage_names = backbone.stage_names if isinstance(backbone, Backbone) else []
    resolved = []
    for name in layers:
        if name in stage_names:
            resolved.append(f"stages.{name}")
        elif name in modules:
            resolved.append(name)
        else:
            raise ValueError(
                f"layer {name!r} not found; use a stage name {stage_names} or a module name "
                "from backbone.named_modules()."
            )
    return resolved


def _pool(a: torch.Tensor, pool: str) -> torch.Tensor:
    if a.dim() == 2:
        return a
    if a.dim() != 4:
        a = a.flatten(2).unsqueeze(-1)
    if pool == "avg":
        return a.mean(dim=(2, 3))
    if pool == "max":
        return a.amax(dim=(2, 3))
    return torch.cat([a.mean(dim=(2, 3)), a.amax(dim=(2, 3))], dim=1)


def _cache_digest(
    X: np.ndarray, backbone: nn.Module, layers: Sequence[str], pool: str, transform_id: str
) -> str:
    h = hashlib.sha256(_CACHE_FORMAT.encode())
    arr = np.ascontiguousarray(X)
    h.update(str(arr.shape).encode() + str(arr.dtype).encode())
    h.update(arr.tobytes())
    h.update(state_dict_sha256(backbone).encode())
    h.update("|".join(layers).encode())
    h.update(pool.encode())
    h.update(transform_id.encode())
    return h.hexdigest()


def feature_cache_key(
    X: np.ndarray, backbone: nn.Module, layers: Sequence[str], pool: str, transform_id: str
) -> str:
    """SHA-256 (hex, first 32 chars) of data bytes + shape + weights + layers + pooling."""
    return _cache_digest(X, backbone, layers, pool, transform_id)[:32]


def _array_digest(features: np.ndarray) -> str:
    h = hashlib.sha256(f"{features.shape}|{features.dtype}".encode())
    h.update(np.ascontiguousarray(features).tobytes())
    return h.hexdigest()


def _read_cache(path: Path, key: str, n_samples: int) -> np.ndarray | None:
    """The cached features if ``path`` is a valid entry for ``key``; else warn, None."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            features = np.asarray(data["features"])
            stored_key = str(data["key"])
            stored_digest = str(data["digest"])
    except Exception as exc:  # any unreadable file is a cache miss
        problem = f"unreadable ({type(exc).__name__}: {exc})"
    else:
        if stored_key != key:
            problem = "written for other inputs, weights or settings"
        elif features.dtype != np.float32 or features.ndim != 2 or len(features) != n_samples:
            problem = (
                f"holds a {features.shape} {features.dtype} array where ({n_samples}, d) "
                "float32 features were expected"
            )
        elif _array_digest(features) != stored_digest:
            problem = "altered (its features do not match their stored SHA-256)"
        else:
            return features
    warnings.warn(
        f"feature cache {path} is {problem}; recomputing the features and replacing it.",
        FeatureCacheWarning,
        stacklevel=3,
    )
    return None


def _write_cache(path: Path, key: str, features: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # atomic across processes
    np.savez(tmp, features=features, key=np.str_(key), digest=np.str_(_array_digest(features)))
    tmp.replace(path)


def extract_features(
    backbone: nn.Module,
    X: Any,
    layers: Sequence[str] | str | None = None,
    *,
    image_shape: Sequence[int] | None = None,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    transform_id: str | None = None,
    pool: str = "avg",
    batch_size: int = 64,
    cache_dir: str | Path | None = None,
    verbose: bool = True,
) -> np.ndarray:
    """Pooled activations of one or several layers for every sample of ``X``.

    Parameters
    ----------
    backbone : torch.nn.Module
        Usually a :class:`~transferkit.finetune.Backbone`; it is run in eval mode and
        left in the mode it was in.
    X : array-like of shape (n_samples, C*H*W) or (n_samples, C, H, W)
        Images; flat rows need ``image_shape``.
    layers : str or sequence of str, optional
        Stage names (``"stage5"``, ``"head"``) or module names from
        ``backbone.named_modules()``. Default: the last stage.
    image_shape : (C, H, W), optional
        Shape to view flat rows as.
    transform : callable, optional
        Applied to each batch (tensor ``(b, C, H, W)``) before the backbone, e.g. resize
        + :func:`~transferkit.finetune.transforms.imagenet_scale`.
    transform_id : str, optional
        Names ``transform`` in the cache key (required with ``cache_dir`` and a transform,
        since a function cannot be hashed reliably).
    pool : {"avg", "max", "avgmax"}
    batch_size : int
    cache_dir : str or Path, optional
        Directory of ``features-<key>.npz`` caches; a hit skips the forward passes. An
        entry is used only if its stored key, shape, dtype and SHA-256 all match;
        otherwise the features are recomputed with a :class:`FeatureCacheWarning`.
    verbose : bool
        Show a progress bar over batches.

    Returns
    -------
    numpy.ndarray of shape (n_samples, sum of pooled widths), float32

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.finetune import SmallCNN
    >>> bb = SmallCNN(widths=(4, 8, 16))
    >>> F = extract_features(bb, np.zeros((5, 256)), ["block1", "block3"],
    ...                      image_shape=(1, 16, 16), verbose=False)
    >>> F.shape
    (5, 20)
    """
    check_option("pool", pool, POOLS)
    check_positive("batch_size", batch_size)
    arr = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X)
    if arr.ndim == 4:
        check_matrix(arr.reshape(arr.shape[0], -1), "X")
        images = torch.as_tensor(arr, dtype=torch.float32)
    else:
        arr = check_matrix(arr, "X", dtype=np.float32)
        if image_shape is None:
            raise ValueError("X is flat (n_samples, n_features): pass image_shape=(C, H, W).")
        images = as_images(arr, image_shape)
    names = _resolve_layers(backbone, layers)
    cache_file = None
    if cache_dir is not None:
        if transform is not None and transform_id is None:
            raise ValueError("with cache_dir and a transform, also pass transform_id (a name).")
        key = _cache_digest(arr, backbone, names, pool, transform_id or "none")
        cache_file = Path(cache_dir) / f"features-{key[:32]}.npz"
        cached = _read_cache(cache_file, key, images.shape[0])
        if cached is not None:
            return cached

    modules = dict(backbone.named_modules())
    captured: dict[str, torch.Tensor] = {}
    hooks = [
        modules[name].register_forward_hook(
            lambda _m, _i, out, name=name: captured.__setitem__(name, out)
        )
        for name in names
    ]
    was_training = backbone.training
    backbone.eval()
    chunks = []
    try:
        starts = range(0, images.shape[0], int(batch_size))
        with torch.no_grad():
            for s in track(starts, "features", enabled=verbose):
                xb = images[s : s + int(batch_size)]
                if transform is not None:
                    xb = transform(xb)
                captured.clear()
                backbone(xb)
                chunks.append(torch.cat([_pool(captured[n], pool) for n in names], dim=1))
    finally:
        for h in hooks:
            h.remove()
        backbone.train(was_training)
    out = torch.cat(chunks).numpy().astype(np.float32)
    if cache_file is not None:
        _write_cache(cache_file, key, out)
    return out


class PretrainedFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: images -> pooled features of a pretrained backbone.

    Use it before a linear classifier for a *linear probe*. ``fit`` only builds the
    backbone; ``transform`` calls :func:`extract_features`.

    Parameters
    ----------
    backbone : str, default="efficientnet_lite0"
        Registry name.
    layers : str or tuple of str, optional
        Layers to pool and concatenate (default: last stage).
    image_shape : (C, H, W)
        Shape of the flat input rows.
    resize_to : int, optional
        Resize images to this side length first (bilinear).
    imagenet_input : bool, default=True
        Repeat grey to RGB and scale ``[0, input_max] -> (x - 127) / 128``.
    input_max : float, default=1.0
    pool, batch_size, cache_dir, verbose
        As in :func:`extract_features`.

    Examples
    --------
    >>> import numpy as np
    >>> pf = PretrainedFeatures(layers=("stage3", "head"), image_shape=(1, 8, 8), resize_to=32,
    ...                         verbose=False)
    >>> pf.fit_transform(np.zeros((2, 64))).shape
    (2, 1320)
    """

    def __init__(
        self,
        backbone: str = "efficientnet_lite0",
        layers: Sequence[str] | str | None = None,
        image_shape: Sequence[int] = (3, 224, 224),
        resize_to: int | None = None,
        imagenet_input: bool = True,
        input_max: float = 1.0,
        pool: str = "avg",
        batch_size: int = 64,
        cache_dir: str | None = None,
        verbose: bool = True,
    ) -> None:
        self.backbone = backbone
        self.layers = layers
        self.image_shape = image_shape
        self.resize_to = resize_to
        self.imagenet_input = imagenet_input
        self.input_max = input_max
        self.pool = pool
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> PretrainedFeatures:
        """Build the backbone (no learning)."""
        X = check_matrix(X, "X", dtype=np.float32)
        self.n_features_in_ = X.shape[1]
        self.backbone_ = load_backbone(self.backbone, pretrained=True)
        return self

    def _transform_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        from transferkit.finetune.transforms import imagenet_scale, resize, to_rgb

        def fn(x: torch.Tensor) -> torch.Tensor:
            if self.resize_to is not None:
                x = resize(x, int(self.resize_to))
            if self.imagenet_input:
                x = imagenet_scale(to_rgb(x), self.input_max)
            return x

        return fn

    def transform(self, X: Any) -> np.ndarray:
        """Pooled features, shape ``(n_samples, n_output_features)``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = check_matrix(X, "X", n_features=self.n_features_in_, dtype=np.float32)
        tid = f"resize={self.resize_to};imagenet={self.imagenet_input};max={self.input_max}"
        return extract_features(
            self.backbone_,
            X,
            self.layers,
            image_shape=self.image_shape,
            transform=self._transform_fn(),
            transform_id=tid,
            pool=self.pool,
            batch_size=self.batch_size,
            cache_dir=self.cache_dir,
            verbose=self.verbose,
        )
