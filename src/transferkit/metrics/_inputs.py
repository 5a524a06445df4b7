"""Turn a command-line data argument into arrays: a benchmark domain or a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transferkit._validation import TransferKitInputError, check_labels, check_matrix

__all__ = ["DomainData", "load_spec"]

_FILE_SUFFIXES = (".npy", ".npz", ".csv", ".mat")
_X_KEYS = ("X", "x", "fts", "features", "data")
_Y_KEYS = ("y", "Y", "labels", "label", "target")


@dataclass
class DomainData:
    """Features (and labels when the source has them) of one command-line argument."""

    name: str
    X: np.ndarray
    y: np.ndarray | None


def _from_mapping(mapping, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    X = next((mapping[k] for k in _X_KEYS if k in mapping), None)
    if X is None:
        keys = [k for k in mapping if not k.startswith("__")]
        raise TransferKitInputError(
            f"{path} holds no feature array; name it one of {', '.join(_X_KEYS)} "
            f"(found: {', '.join(keys) or 'nothing'})."
        )
    y = next((mapping[k] for k in _Y_KEYS if k in mapping), None)
    return np.asarray(X), None if y is None else np.asarray(y).ravel()


def _load_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False), None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            return _from_mapping(dict(data), path)
    if suffix == ".mat":
        from scipy.io import loadmat

        return _from_mapping(loadmat(path), path)
    # CSV: numbers only; a non-numeric first row is taken as a header.
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
    try:
        [float(v) for v in first.strip().split(",")]
        skip = 0
    except ValueError:
        skip = 1
    return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2), None


def load_spec(spec: str, *, preprocessing: str = "none") -> DomainData:
    """Load ``DATASET:DOMAIN`` (a benchmark domain) or a ``.npy/.npz/.csv/.mat`` file.

    ``.npz`` and ``.mat`` files may hold labels under ``y``/``labels``; a ``.npy`` or
    ``.csv`` file holds features only.
    """
    path = Path(spec)
    if path.suffix.lower() in _FILE_SUFFIXES:
        if not path.is_file():
            raise TransferKitInputError(f"file {spec!r} does not exist.")
        X, y = _load_file(path)
    elif ":" in spec:
        from transferkit.datasets import load_domain

        dataset, domain = spec.split(":", 1)
        X, y = load_domain(dataset, domain, preprocessing=preprocessing)
    else:
        from transferkit.datasets import list_datasets

        raise TransferKitInputError(
            f"{spec!r} is neither a data file ({', '.join(_FILE_SUFFIXES)}) nor a benchmark "
            f"domain written DATASET:DOMAIN (e.g. office_caltech10_surf:amazon); data sets: "
            f"{', '.join(map(str, list_datasets()))}."
        )
    Xa = check_matrix(X, spec, min_samples=2)
    ya = None if y is None else check_labels(y, Xa.shape[0], f"labels of {spec}")
    return DomainData(spec, Xa, ya)
