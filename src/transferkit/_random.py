"""Reproducibility helpers."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["seed_everything"]


def seed_everything(seed: int, *, deterministic_torch: bool = True) -> int:
    """Seed Python, NumPy and (if installed) PyTorch from one integer.

    Parameters
    ----------
    seed : int
        The seed, ``0 <= seed < 2**32``.
    deterministic_torch : bool, default=True
        Ask PyTorch for deterministic algorithms (warn-only where none exists) and turn
        off cuDNN autotuning, so that repeated runs give the same numbers.

    Returns
    -------
    int
        The seed, for logging.

    Examples
    --------
    >>> import numpy as np
    >>> _ = seed_everything(3); a = np.random.rand()
    >>> _ = seed_everything(3); a == np.random.rand()
    True
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}.")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the legacy global generator on purpose
    try:
        import torch
    except ImportError:  # torch is optional (the torch extra)
        return seed
    torch.manual_seed(seed)
    if deterministic_torch:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if hasattr(torch.backends, "cudnn"):
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
    return seed
