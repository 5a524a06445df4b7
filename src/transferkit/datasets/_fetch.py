"""Fetch a data set into the data home from its original location (or a mirror)."""

from __future__ import annotations

import os
from pathlib import Path

from transferkit.datasets._build import BUILDERS
from transferkit.datasets._download import MIRROR_ENV_VAR, DownloadError, download_file, mirror_url
from transferkit.datasets._files import DatasetChecksumError, _sha256, dataset_info
from transferkit.datasets._home import DATA_ENV_VAR, get_data_home
from transferkit.datasets._registry import DataFile

__all__ = ["fetch_dataset", "build_dataset", "file_url"]


def _intact(path: Path, file: DataFile) -> bool:
    return path.is_file() and _sha256(path) == file.sha256


def file_url(file: DataFile, mirror: str | None = None) -> str:
    """Where ``file`` is downloaded from: the mirror when one is set, else its origin.

    ``mirror`` defaults to the ``TRANSFERKIT_DATA_MIRROR`` environment variable. A mirror
    is any HTTP(S) folder with the data-home layout (e.g. ``coil20/COIL_1.mat``).
    """
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV_VAR) or None
    if mirror:
        return mirror_url(mirror, file.path)
    if file.url is None:
        raise ValueError(f"{file.path} is derived: it has no download location of its own")
    return file.url


def _writable(home: Path, name: str) -> None:
    probe = home
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise DownloadError(
            f"Cannot write data set {name!r} into the data home {home}: {probe} is not "
            f"writable. Choose another folder with data_home=/--data-home or the "
            f"{DATA_ENV_VAR} environment variable."
        )


def fetch_dataset(
    name: str,
    data_home: str | os.PathLike[str] | None = None,
    *,
    mirror: str | None = None,
    force: bool = False,
    progress: bool | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> list[Path]:
    """Download data set ``name`` into the data home; return the paths of its files.

    Files already present with the right SHA-256 are kept. Each missing or altered file
    is downloaded from its original public location (a git blob pinned to a commit) or
    from ``mirror``, verified by SHA-256 and moved into place atomically; an interrupted
    download is resumed. A derived file (the HFHAD-C subset) is rebuilt from its
    upstream files with :func:`build_dataset`.

    Parameters
    ----------
    name : str
        A data set of :data:`transferkit.datasets.DATASETS`.
    data_home : path, optional
        Target folder (default: :func:`get_data_home`).
    mirror : str, optional
        Base URL of a mirror with the data-home layout (default:
        ``TRANSFERKIT_DATA_MIRROR``). Proxies are taken from ``HTTPS_PROXY``.
    force : bool, default=False
        Download again even when a verified copy is present.
    progress : bool, optional
        Progress bars (default: when standard error is a terminal).
    timeout : float, default=60.0
        Seconds without data before an attempt fails.
    retries : int, default=3
        Further attempts per file, each resuming where the last one stopped.
    backoff : float, default=1.0
        Seconds before the first retry, doubling for each next one (at most 30 s).

    Returns
    -------
    paths : list of Path

    Raises
    ------
    DownloadError
        A file could not be downloaded intact (the message names the URL and why).

    Examples
    --------
    ``fetch_dataset("coil20")`` downloads ``coil20/COIL_1.mat`` into the data home (3 MB)
    unless a verified copy is there. A download that cannot complete leaves nothing:

    >>> import os, tempfile
    >>> home = tempfile.mkdtemp()
    >>> fetch_dataset("coil20", home, mirror="http://127.0.0.1:9", retries=0)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    transferkit.datasets._download.DownloadError: Downloading http://127.0.0.1:9/coil20/...
    >>> os.listdir(home)
    []
    """
    info = dataset_info(name)
    home = get_data_home(data_home)
    options = {"progress": progress, "timeout": timeout, "retries": retries, "backoff": backoff}

    def get(file: DataFile) -> Path:
        path = home / file.path
        if force or not _intact(path, file):
            _writable(home, name)
            download_file(file_url(file, mirror), path, file.sha256, size=file.size, **options)
        return path

    paths = []
    for file in info.files:
        if file.url is not None:
            paths.append(get(file))
        elif force or not _intact(home / file.path, file):
            for source in info.sources:
                get(source)
            paths.append(build_dataset(name, data_home))
        else:
            paths.append(home / file.path)
    return paths


def build_dataset(name: str, data_home: str | os.PathLike[str] | None = None) -> Path:
    """Rebuild the derived file of ``name`` from its upstream files and verify it.

    The upstream files must be in the data home (``fetch_dataset`` downloads them). The
    result is written to a temporary name in the same folder and moved into place only
    when its SHA-256 equals the recorded one.

    Raises
    ------
    DatasetChecksumError
        The rebuilt file differs from the recorded one (nothing is kept).
    """
    info = dataset_info(name)
    if name not in BUILDERS:
        raise ValueError(
            f"Data set {name!r} is not derived; nothing to build. Derived data sets: "
            f"{', '.join(sorted(BUILDERS))}."
        )
    home = get_data_home(data_home)
    (target,) = info.files
    final = home / target.path
    _writable(home, name)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(final.name + ".build.part")
    try:
        BUILDERS[name](home, temp)
        actual = _sha256(temp)
        if actual != target.sha256:
            raise DatasetChecksumError(
                f"Rebuilt {target.path} of {name!r} has SHA-256 {actual}, not the recorded "
                f"{target.sha256}; the upstream files or the numpy/zlib versions differ. "
                f"Nothing was kept."
            )
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    return final
