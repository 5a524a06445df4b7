"""Checkpoints keyed by every setting, written atomically and read back safely.

A checkpoint stores the model, the optimiser, the step's and the callbacks' state, the
finished epoch and the **key**: a SHA-256 over the settings (every hyper-parameter the
caller names, the optimiser, the step's own settings), the starting weights and the data.
A checkpoint whose key differs was written for another run and is never resumed from.

Files are written to ``<path>.tmp`` and renamed, so an interrupted write never leaves a
half file under the real name (and the ``.tmp`` is removed when the write fails). They
are read with ``torch.load(..., weights_only=True)``: only tensors, numbers, strings and
containers of them are accepted, never arbitrary pickled objects.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from transferkit._validation import TransferKitInputError

__all__ = [
    "CheckpointError",
    "check_checkpoint_path",
    "load_checkpoint_file",
    "run_key",
    "save_checkpoint_file",
    "state_sha256",
]

#: Marks files written by this module (a foreign torch file lacks it).
FORMAT = "transferkit.engine/1"


class CheckpointError(TransferKitInputError):
    """A checkpoint file cannot be used (missing pieces, damaged, unsafe, other run)."""


def state_sha256(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of a state dict.

    Examples
    --------
    >>> a = {"w": torch.zeros(2)}
    >>> state_sha256(a) == state_sha256({"w": torch.zeros(2)}) != state_sha256({"w": torch.ones(2)})
    True
    """
    h = hashlib.sha256()
    for k in sorted(state):
        v = state[k]
        h.update(k.encode())
        if isinstance(v, torch.Tensor):
            t = v.detach().cpu().contiguous()
            h.update(f"{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        else:
            h.update(repr(v).encode())
    return h.hexdigest()


def run_key(settings: dict[str, Any], initial_state: str, data: str) -> str:
    """The key of a run: settings (as canonical JSON, ``repr`` for objects), weights, data."""
    canon = json.dumps(settings, sort_keys=True, default=repr)
    return hashlib.sha256(f"{canon}|{initial_state}|{data}".encode()).hexdigest()


def check_checkpoint_path(path: str | Path | None, name: str = "checkpoint_path") -> Path | None:
    """Refuse, before any training, a path that is a folder or sits under a file."""
    if path is None:
        return None
    p = Path(path)
    if p.is_dir():
        raise CheckpointError(
            f"{name}={str(p)!r} is a folder; give a file path inside it, e.g. "
            f"{str(p / 'checkpoint.pt')!r}."
        )
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise CheckpointError(
                f"{name}={str(p)!r} lies under {str(parent)!r}, which is a file; choose a path "
                "in a folder."
            )
    return p


def save_checkpoint_file(payload: dict[str, Any], path: Path) -> None:
    """Write ``payload`` atomically (``.tmp`` then rename; the ``.tmp`` never stays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save({"format": FORMAT, **payload}, tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_checkpoint_file(path: Path, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a checkpoint safely; every failure names the file and what to do.

    Raises
    ------
    CheckpointError
        Empty, truncated or damaged file; a file holding pickled objects (refused as
        unsafe); a file not written by :func:`save_checkpoint_file`; missing entries.
    """
    fix = "delete it (or choose another checkpoint path) to train anew"
    if path.is_dir():
        raise CheckpointError(f"checkpoint {str(path)!r} is a folder, not a file; {fix}.")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {str(path)!r} is empty; {fix}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            raise CheckpointError(
                f"checkpoint {str(path)!r} is refused as unsafe: it holds pickled Python "
                f"objects, and transferkit only reads tensors and numbers; {fix}."
            ) from None
        raise CheckpointError(
            f"checkpoint {str(path)!r} is damaged or not a torch checkpoint; {fix}."
        ) from None
    except (RuntimeError, OSError, EOFError, ValueError, zipfile.BadZipFile, KeyError):
        raise CheckpointError(
            f"checkpoint {str(path)!r} is truncated, damaged or not a torch checkpoint; {fix}."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {str(path)!r} was not written by transferkit's training engine; {fix}."
        )
    missing = [k for k in required if k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {str(path)!r} lacks {missing}; {fix}.")
    return state
