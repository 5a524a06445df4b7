"""Where transferkit looks for benchmark data files."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["get_data_home", "DATA_ENV_VAR"]

DATA_ENV_VAR = "TRANSFERKIT_DATA"


def _checkout_data_dir() -> Path:
    """``../shared/data`` next to a source checkout (``<repo>/../shared/data``)."""
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "data"


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """Folder that holds the benchmark data sets.

    Resolution order: the ``data_home`` argument, then the ``TRANSFERKIT_DATA``
    environment variable, then ``../shared/data`` next to a source checkout when that
    folder exists, then ``~/transferkit_data``.

    Examples
    --------
    >>> get_data_home("/tmp/my_data").as_posix()
    '/tmp/my_data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env).expanduser()
    checkout = _checkout_data_dir()
    if checkout.is_dir():
        return checkout
    return Path.home() / "transferkit_data"
