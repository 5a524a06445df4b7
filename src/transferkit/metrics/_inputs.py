"""Turn a command-line data argument into arrays: a benchmark domain or a file.

Files are read defensively, since a command line is the place where users point at
the wrong file: a ``.npy`` header is checked (numeric dtype, no pickled objects, a
size the file really holds and memory can take) before any array is allocated; every
failure of a parser becomes one :class:`~transferkit.TransferKitInputError` naming the
file, the problem and the expected format. Pickles are never loaded.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from transferkit._validation import (
    TransferKitInputError,
    check_labels,
    check_matrix,
    check_memory,
    format_bytes,
)

__all__ = ["DomainData", "load_spec", "check_npy_header"]

_FILE_SUFFIXES = (".npy", ".npz", ".csv", ".mat")
_X_KEYS = ("X", "x", "fts", "features", "data")
_Y_KEYS = ("y", "Y", "labels", "label", "target")


@dataclass
class DomainData:
    """Features (and labels when the source has them) of one command-line argument."""

    name: str
    X: np.ndarray
    y: np.ndarray | None


def check_npy_header(fh: IO[bytes], n_bytes_available: int, what: str) -> int:
    """Read a ``.npy`` header from ``fh`` and return the payload size in bytes.

    Raises :class:`TransferKitInputError` if the header is malformed, the dtype is not
    numeric (object arrays would need pickle, which is refused), the header claims more
    bytes than ``n_bytes_available`` (a truncated or forged file), or the array would
    not fit in memory. Nothing is allocated beyond the header.
    """
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except Exception as exc:  # numpy's header parser raises many kinds on a damaged file
        raise TransferKitInputError(
            f"{what} is not a valid .npy array ({exc}); save it with numpy.save."
        ) from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise TransferKitInputError(
            f"{what} holds {dtype} values; only numeric arrays are read (object arrays "
            "would need pickle, which transferkit refuses to load)."
        )
    n_bytes = math.prod(shape) * dtype.itemsize
    if n_bytes > n_bytes_available - fh.tell():
        raise TransferKitInputError(
            f"{what} claims a {shape} {dtype} array ({format_bytes(n_bytes)}) but holds only "
            f"{format_bytes(max(n_bytes_available - fh.tell(), 0))} of data: the file is "
            "truncated or corrupt; write it again with numpy.save."
        )
    check_memory(n_bytes, f"reading {what}", suggestion="pass a smaller file")
    return n_bytes


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


def _load_npy(path: Path) -> np.ndarray:
    with open(path, "rb") as fh:
        check_npy_header(fh, path.stat().st_size, f"file {path}")
    return np.load(path, allow_pickle=False)


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                if info.filename.endswith(".npy"):
                    with archive.open(info) as fh:
                        what = f"array {info.filename!r} of {path}"
                        total += check_npy_header(fh, info.file_size, what)
            check_memory(total, f"reading {path}", suggestion="pass a smaller file")
        with np.load(path, allow_pickle=False) as data:
            wanted = [k for k in (*_X_KEYS, *_Y_KEYS) if k in data.files]
            mapping = {k: data[k] for k in wanted} or dict.fromkeys(data.files)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, TransferKitInputError):
            raise
        raise TransferKitInputError(
            f"file {path} is not a readable .npz archive ({type(exc).__name__}: {exc}); "
            "save it with numpy.savez(path, X=features, y=labels)."
        ) from None
    return _from_mapping(mapping, path)


def _load_mat(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    from scipy.io import loadmat

    try:
        mapping = loadmat(path)
    except MemoryError:
        raise TransferKitInputError(
            f"file {path} declares arrays larger than the available memory; it is corrupt "
            "or too large to read."
        ) from None
    except Exception as exc:  # scipy raises many kinds for a damaged file
        raise TransferKitInputError(
            f"file {path} is not a readable MATLAB .mat file ({type(exc).__name__}: {exc}); "
            "save it with scipy.io.savemat or MATLAB's save -v7."
        ) from None
    return _from_mapping(mapping, path)


def _load_csv(path: Path) -> np.ndarray:
    # Numbers only; a non-numeric first row is taken as a header.
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        try:
            [float(v) for v in first.strip().split(",")]
            skip = 0
        except ValueError:
            skip = 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no data": check_matrix says so
            return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TransferKitInputError(
            f"file {path} is not a numeric CSV table ({type(exc).__name__}: {exc}); expected "
            "comma-separated numbers, the same count on every row, with an optional header."
        ) from None


def _load_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _load_npy(path), None
    if suffix == ".npz":
        return _load_npz(path)
    if suffix == ".mat":
        return _load_mat(path)
    return _load_csv(path), None


def load_spec(spec: str, *, preprocessing: str = "none", argument: str | None = None) -> DomainData:
    """Load ``DATASET:DOMAIN`` (a benchmark domain) or a ``.npy/.npz/.csv/.mat`` file.

    ``.npz`` and ``.mat`` files may hold labels under ``y``/``labels``; a ``.npy`` or
    ``.csv`` file holds features only. ``argument`` (e.g. ``"SOURCE"``) prefixes every
    error message, so that a command's user sees which of its arguments is wrong.
    """
    try:
        return _load_spec(spec, preprocessing)
    except (TransferKitInputError, FileNotFoundError) as exc:
        if argument is None:
            raise
        raise type(exc)(f"{argument} {spec!r}: {exc}") from None


def _load_spec(spec: str, preprocessing: str) -> DomainData:
    path = Path(spec)
    if path.suffix.lower() in _FILE_SUFFIXES:
        if not path.is_file():
            raise TransferKitInputError(
                f"file {spec!r} does not exist" + (" (it is a folder)." if path.is_dir() else ".")
            )
        X, y = _load_file(path)
    elif spec.count(":") == 1 and all(spec.split(":")):
        from transferkit.datasets import load_domain

        dataset, domain = spec.split(":")
        X, y = load_domain(dataset, domain, preprocessing=preprocessing)
    else:
        from transferkit.datasets import list_datasets

        raise TransferKitInputError(
            f"{spec!r} is neither a data file ({', '.join(_FILE_SUFFIXES)}) nor a benchmark "
            f"domain written DATASET:DOMAIN with one colon (e.g. office_caltech10_surf:amazon); "
            f"data sets: {', '.join(map(str, list_datasets()))}."
        )
    Xa = check_matrix(X, spec, min_samples=2)
    ya = None if y is None else check_labels(y, Xa.shape[0], f"labels of {spec}")
    return DomainData(spec, Xa, ya)
