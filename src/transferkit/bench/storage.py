"""Where benchmark results are written, and how, so that no run loses another's cells.

* :func:`check_output_dir` refuses a folder that cannot be created or written *before*
  any cell runs;
* :func:`check_not_committed` refuses to overwrite result files tracked by git in a
  checkout (``benchmarks/results/*``) unless ``force`` is given;
* :func:`results_lock` is an exclusive ``fcntl`` lock on ``.<stem>.lock`` next to the
  results: every writer re-reads the file and merges its cells into it *under the lock*,
  so two processes writing the same folder keep every cell;
* :func:`read_results` reads a results file and answers a truncated or foreign file with
  one clear :class:`~transferkit._validation.TransferKitInputError` (never a
  ``JSONDecodeError``/``KeyError``), leaving the file untouched;
* :func:`atomic_write` writes through a temporary file and ``os.replace`` with normal
  permissions (``0666`` minus the umask, usually ``0644``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from transferkit._validation import TransferKitInputError

__all__ = [
    "SCHEMA_VERSION",
    "atomic_write",
    "check_not_committed",
    "check_output_dir",
    "read_results",
    "results_lock",
]

SCHEMA_VERSION = 1
_CELL_KEYS = ("task", "method", "seed", "status")


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` atomically, with the permissions of a normal new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_output_dir(output_dir: str | os.PathLike[str]) -> Path:
    """Create ``output_dir`` if needed and make sure files can be written in it."""
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".transferkit-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise TransferKitInputError(
            f"output folder {str(out)!r} cannot be written ({reason}); choose another "
            "folder with --output DIR."
        ) from None
    return out


def _tracked_by_git(path: Path) -> bool:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0


def check_not_committed(paths: list[Path], *, force: bool) -> None:
    """Refuse to overwrite result files committed in a git checkout unless ``force``."""
    if force:
        return
    committed = [p for p in paths if p.exists() and _tracked_by_git(p)]
    if committed:
        raise TransferKitInputError(
            f"{committed[0]} is a committed result file of this checkout; write elsewhere "
            "with --output DIR, or pass --force (force=True) to update it."
        )


@contextlib.contextmanager
def results_lock(json_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the results ``json_path`` (blocks until free).

    The lock is ``fcntl.flock`` on a ``.<name>.lock`` file beside the results; where
    ``fcntl`` does not exist (Windows) nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    lock_path = json_path.parent / f".{json_path.name}.lock"
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a results JSON file; a damaged file raises one clear error."""
    path = Path(path)
    fix = (
        "The file was left untouched: move it away, or choose another --output folder "
        "to start a new results file."
    )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TransferKitInputError(f"{path} is not a text results file. {fix}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        what = (
            "is empty"
            if not text.strip()
            else f"is not valid JSON ({exc.msg} at line {exc.lineno})"
        )
        raise TransferKitInputError(f"{path} {what}; it may have been truncated. {fix}") from None
    if not isinstance(data, dict) or "schema" not in data:
        raise TransferKitInputError(f"{path} is not a transferkit bench results file. {fix}")
    if data.get("schema") != SCHEMA_VERSION:
        raise TransferKitInputError(
            f"{path} has schema {data.get('schema')!r}; this transferkit reads schema "
            f"{SCHEMA_VERSION}. {fix}"
        )
    cells = data.get("cells")
    problems = []
    if not isinstance(data.get("suite"), str):
        problems.append("no suite name")
    if not isinstance(cells, list):
        problems.append("no list of cells")
    else:
        for i, cell in enumerate(cells):
            if not isinstance(cell, dict) or any(k not in cell for k in _CELL_KEYS):
                problems.append(f"cell {i} lacks one of {', '.join(_CELL_KEYS)}")
                break
            if not isinstance(cell["seed"], int) or isinstance(cell["seed"], bool):
                problems.append(f"cell {i} has a non-integer seed {cell['seed']!r}")
                break
    if problems:
        raise TransferKitInputError(
            f"{path} is not a valid results file ({'; '.join(problems)}). {fix}"
        )
    return data
