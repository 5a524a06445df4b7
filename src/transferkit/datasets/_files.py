"""Locate data files and verify them by SHA-256 before anything reads them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from transferkit._validation import TransferKitInputError
from transferkit.datasets._home import DATA_ENV_VAR, get_data_home
from transferkit.datasets._registry import DATASETS, DataFile, DatasetInfo

__all__ = [
    "DatasetNotFoundError",
    "DatasetChecksumError",
    "dataset_info",
    "fetch_file",
    "verify_dataset",
    "FileStatus",
]

_VERIFIED: dict[tuple[str, int, int], str] = {}


class DatasetNotFoundError(FileNotFoundError):
    """A benchmark data file is missing from the data home."""


class DatasetChecksumError(ValueError):
    """A benchmark data file exists but its SHA-256 does not match the published file."""


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of ``name``; a clear error lists the known data sets."""
    try:
        return DATASETS[name]
    except KeyError:
        raise TransferKitInputError(
            f"Unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}."
        ) from None


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def fetch_file(info: DatasetInfo, file: DataFile, data_home: str | os.PathLike[str] | None) -> Path:
    """Return the verified path of ``file``; raise a helpful error if missing or altered."""
    home = get_data_home(data_home)
    path = home / file.path
    if not path.is_file():
        raise DatasetNotFoundError(
            f"Data file {file.path!r} of dataset {info.name!r} was not found at {path}. "
            f"Put the file there (data home {home}; set it with the data_home argument or the "
            f"{DATA_ENV_VAR} environment variable), or download it with "
            f"`transferkit datasets fetch {info.name}` (Python: fetch_dataset({info.name!r}) "
            f"or download=True). The file is published at: {info.published_at}"
            + (f" ({file.url})" if file.url else "")
            + f". Expected SHA-256: {file.sha256}."
        )
    actual = _sha256(path)
    if actual != file.sha256:
        raise DatasetChecksumError(
            f"Data file {path} of dataset {info.name!r} is altered or corrupt: SHA-256 "
            f"{actual} differs from the published file's {file.sha256}. Replace it with the "
            f"original from {info.published_at}, e.g. `transferkit datasets fetch "
            f"{info.name} --force`."
        )
    return path


@dataclass(frozen=True)
class FileStatus:
    """Result of verifying one file: ``status`` is "ok", "missing" or "altered"."""

    dataset: str
    path: Path
    status: str
    message: str


def verify_dataset(name: str, data_home: str | os.PathLike[str] | None = None) -> list[FileStatus]:
    """Check every file of dataset ``name`` against its SHA-256; never raises for bad files."""
    info = dataset_info(name)
    statuses = []
    for file in info.files:
        path = get_data_home(data_home) / file.path
        try:
            fetch_file(info, file, data_home)
            statuses.append(FileStatus(name, path, "ok", "SHA-256 matches"))
        except DatasetNotFoundError as exc:
            statuses.append(FileStatus(name, path, "missing", str(exc)))
        except DatasetChecksumError as exc:
            statuses.append(FileStatus(name, path, "altered", str(exc)))
    return statuses
