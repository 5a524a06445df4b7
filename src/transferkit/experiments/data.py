"""Turn the ``data`` entries of a config into transfer tasks, through the existing loaders.

* ``suite``: the registered :class:`~transferkit.bench.Suite` (its own loader, i.e.
  :func:`transferkit.datasets.load_task` with the published preprocessing);
* ``arrays``: an ``.npz`` file with ``X_source``, ``y_source``, ``X_target``,
  ``y_target`` (and optionally ``sample_domain`` for several sources), checked for
  shapes, NaN/inf and labels before any cell runs;
* ``images``: :func:`transferkit.datasets.images.load_image_folder` on the source and
  target folders (the target uses the source's classes);
* ``nilm``: the V-I image features of :func:`transferkit.demo.simulated_demo_data`
  (simulator) or :func:`transferkit.demo.real_demo_data` (PLAID 2018 -> HFHAD-C), as
  blurred pixels or frozen EfficientNet-Lite0 features (:func:`load_nilm`).

Each task carries a *fingerprint* (what identifies its data: suite and protocol, the
file's SHA-256, the folders' listing, the simulator's settings) that enters every cell's
key, so that changed data invalidates the finished cells.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.experiments.config import DataEntry, ExperimentConfig, NilmData

__all__ = ["TaskSource", "load_nilm", "load_npz_task", "resolve_data"]

TaskData = tuple[np.ndarray, ...]

NPZ_KEYS = ("X_source", "y_source", "X_target", "y_target")


@dataclass(frozen=True)
class TaskSource:
    """One transfer task of a config's data: how to load it and what identifies it."""

    data: str  # label of the data entry: the suite name, "arrays:NAME", ...
    task: str
    load: Callable[[], TaskData] = field(compare=False, repr=False)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    suite: str | None = None  # the registered suite, when the data is one
    dataset: str = ""
    protocol: str = ""
    # several source domains stacked with sample_domain (a suite declares it)
    multi_source: bool = False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_npz_task(path: str | Path) -> TaskData:
    """``(Xs, ys, Xt, yt)`` (``+ sample_domain``) from an ``.npz`` file, checked.

    Raises
    ------
    TransferKitInputError
        Naming the file and the array: a missing key, a non-2-D feature matrix,
        NaN or infinite values, label counts that do not match the rows, different
        feature counts between the domains.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "task.npz"
    >>> rng = np.random.default_rng(0)
    >>> np.savez(path, X_source=rng.normal(size=(6, 2)), y_source=[0, 1] * 3,
    ...          X_target=rng.normal(size=(4, 2)), y_target=[0, 1] * 2)
    >>> [a.shape for a in load_npz_task(path)]
    [(6, 2), (6,), (4, 2), (4,)]
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TransferKitInputError(
            f"{str(path)!r} is not a readable .npz file ({exc}); write it with "
            "numpy.savez(path, X_source=..., y_source=..., X_target=..., y_target=...)."
        ) from None
    with archive:
        missing = [k for k in NPZ_KEYS if k not in archive.files]
        if missing:
            raise TransferKitInputError(
                f"{str(path)!r} lacks the array(s) {', '.join(missing)}; it has "
                f"{', '.join(archive.files) or 'none'}. An arrays file needs "
                f"{', '.join(NPZ_KEYS)} (and optionally sample_domain)."
            )
        arrays = {k: np.asarray(archive[k]) for k in archive.files}
    out = []
    for name in ("X_source", "X_target"):
        X = arrays[name]
        if X.ndim != 2 or X.shape[0] == 0:
            raise TransferKitInputError(
                f"{name} in {str(path)!r} has shape {X.shape}; expected a non-empty 2-D "
                "array (n_samples, n_features)."
            )
        if not np.issubdtype(X.dtype, np.number):
            raise TransferKitInputError(
                f"{name} in {str(path)!r} has dtype {X.dtype}; expected numbers."
            )
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise TransferKitInputError(
                f"{name} in {str(path)!r} holds {int(bad.sum())} NaN or infinite value(s) "
                f"(first at row {row}, column {col}); impute or drop them before the run."
            )
    if arrays["X_source"].shape[1] != arrays["X_target"].shape[1]:
        raise TransferKitInputError(
            f"{str(path)!r}: X_source has {arrays['X_source'].shape[1]} features and "
            f"X_target {arrays['X_target'].shape[1]}; both domains need the same features."
        )
    for X_name, y_name in (("X_source", "y_source"), ("X_target", "y_target")):
        y = arrays[y_name]
        if y.ndim != 1 or len(y) != len(arrays[X_name]):
            raise TransferKitInputError(
                f"{y_name} in {str(path)!r} has shape {y.shape}; expected one label per row "
                f"of {X_name}, i.e. ({len(arrays[X_name])},)."
            )
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise TransferKitInputError(
                f"{y_name} in {str(path)!r} holds NaN labels; every sample needs a label "
                "(the target labels are only used for scoring)."
            )
        out += [arrays[X_name], y]
    if "sample_domain" in arrays:
        ids = arrays["sample_domain"]
        if ids.shape != (len(arrays["X_source"]),):
            raise TransferKitInputError(
                f"sample_domain in {str(path)!r} has shape {ids.shape}; expected one source "
                f"id per row of X_source, i.e. ({len(arrays['X_source'])},)."
            )
        out.append(ids)
    return tuple(out)


def _suite_tasks(entry: DataEntry) -> list[TaskSource]:
    from transferkit.bench.suites import get_suite

    suite = get_suite(entry.suite)
    tasks = suite.tasks if entry.tasks is None else [suite.task(t) for t in entry.tasks]
    return [
        TaskSource(
            data=suite.name,
            task=task.name,
            load=(lambda task=task: suite.load(task)),
            fingerprint={"suite": suite.name, "dataset": suite.dataset, "protocol": suite.protocol},
            suite=suite.name,
            dataset=suite.dataset,
            protocol=suite.protocol,
            multi_source=suite.multi_source,
        )
        for task in tasks
    ]


def _arrays_task(entry: DataEntry) -> TaskSource:
    path = Path(entry.arrays)
    name = entry.name or path.stem
    arrays = load_npz_task(path)  # refuse a bad file before any cell runs
    ids = arrays[4] if len(arrays) > 4 else np.zeros(0, dtype=int)
    return TaskSource(
        data=f"arrays:{name}",
        task=name,
        load=lambda: load_npz_task(path),
        fingerprint={"arrays_sha256": _sha256(path)},
        dataset=str(path),
        protocol=f"arrays from {path.name}: all source -> all target, accuracy on y_target",
        multi_source=bool(np.unique(ids[ids >= 0]).size >= 2),
    )


def _folder_listing(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def _images_task(entry: DataEntry) -> TaskSource:
    from transferkit.datasets.images import load_image_folder

    spec = entry.images
    name = entry.name or f"{spec.source.name}->{spec.target.name}"

    def load() -> TaskData:
        kw = {"size": spec.size, "grayscale": spec.grayscale}
        Xs, ys, classes = load_image_folder(spec.source, **kw)
        Xt, yt, _ = load_image_folder(spec.target, classes=classes, **kw)
        return Xs, ys, Xt, yt

    return TaskSource(
        data=f"images:{name}",
        task=name,
        load=load,
        fingerprint={
            "images": spec.model_dump(mode="json"),
            "source_listing": _folder_listing(spec.source),
            "target_listing": _folder_listing(spec.target),
        },
        dataset=f"{spec.source} -> {spec.target}",
        protocol=(
            f"image folders, {spec.size}x{spec.size} {'grey' if spec.grayscale else 'RGB'} "
            "pixels in [0, 1]; all source -> all target"
        ),
    )


def load_nilm(spec: NilmData) -> TaskData:
    """``(Xs, ys, Xt, yt)`` of a ``nilm`` data entry (labels: appliance names).

    ``features: pixels``: the blurred 32x32 V-I images of
    :func:`transferkit.demo.simulated_demo_data` (simulator) or
    :func:`transferkit.demo.real_demo_data` (PLAID 2018 -> HFHAD-C; both
    :func:`transferkit.nilm.vi_features` on the steady cycles of
    :func:`transferkit.nilm.load_cross_country`), 1024 columns (row-major images);
    ``features: efficientnet``: :func:`transferkit.nilm.vi_cnn_features` of the unblurred
    images (float32, 1280 columns). These are ``benchmarks/nilm_cross_country.py``'s
    two feature sets.
    """
    from transferkit.demo import real_demo_data, simulated_demo_data

    if spec.dataset == "simulated":
        d = simulated_demo_data(
            random_state=spec.random_state,
            n_houses=spec.n_houses,
            records_per_appliance=spec.records_per_appliance,
            blur=spec.blur,
        )
    else:
        d = real_demo_data(blur=spec.blur)
    if spec.features == "efficientnet":
        from transferkit.nilm import vi_cnn_features

        return (
            vi_cnn_features(d.images_source),
            d.y_source,
            vi_cnn_features(d.images_target),
            d.y_target,
        )
    return d.X_source, d.y_source, d.X_target, d.y_target


def _nilm_task(entry: DataEntry) -> TaskSource:
    spec = entry.nilm
    settings = spec.model_dump(mode="json")
    if spec.features == "pixels":  # the default keeps the identity cells had before the key
        del settings["features"]
    name = entry.name or ("US->CN" if spec.dataset == "simulated" else "PLAID->HFHAD-C")
    if spec.features != "pixels" and entry.name is None:
        name += f" ({spec.features})"
    what = {
        "pixels": f"a 32x32 V-I image (blurred by {spec.blur} px, 1024 columns)",
        "efficientnet": "1280 frozen ImageNet EfficientNet-Lite0 features of its 32x32 V-I image",
    }[spec.features]
    return TaskSource(
        data=f"nilm:{spec.dataset}" + ("" if spec.features == "pixels" else f":{spec.features}"),
        task=name,
        load=lambda: load_nilm(spec),
        fingerprint={"nilm": settings},
        dataset=spec.dataset,
        protocol=(
            f"NILM cross-country appliance recognition: one steady cycle per record as {what}; "
            "all source records -> all target records"
        ),
    )


def resolve_data(config: ExperimentConfig) -> list[TaskSource]:
    """Every task of every data entry, in config order (arrays files are checked now)."""
    tasks: list[TaskSource] = []
    for entry in config.data:
        if entry.suite is not None:
            tasks += _suite_tasks(entry)
        elif entry.arrays is not None:
            tasks.append(_arrays_task(entry))
        elif entry.images is not None:
            tasks.append(_images_task(entry))
        else:
            tasks.append(_nilm_task(entry))
    return tasks
