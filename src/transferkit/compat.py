"""Interoperability with skada's ``sample_domain`` convention."""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_labels, check_matrix

__all__ = ["split_sample_domain"]


def split_sample_domain(
    X: Any, y: Any, sample_domain: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split skada-style stacked data into transferkit's ``(X, y, X_target, y_target)``.

    skada stacks all samples and marks source samples with a positive
    ``sample_domain`` and target samples with a negative one; unlabelled target rows
    carry ``y = -1``. transferkit takes the source as ``(X, y)`` and the target as
    keyword arguments, so ``model.fit(Xs, ys, X_target=Xt, y_target=yt)`` follows.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(4, 2); y = np.array([0, 1, -1, -1])
    >>> Xs, ys, Xt, yt = split_sample_domain(X, y, [1, 1, -2, -2])
    >>> Xs.shape, Xt.shape, yt.tolist()
    ((2, 2), (2, 2), [-1, -1])
    """
    Xc = check_matrix(X, "X")
    yc = check_labels(y, Xc.shape[0], "y", allow_unlabelled=True)
    domains = np.asarray(sample_domain)
    if domains.shape != (Xc.shape[0],):
        raise TransferKitInputError(
            f"sample_domain must have one entry per row of X ({Xc.shape[0]}); got shape "
            f"{domains.shape}."
        )
    source, target = domains > 0, domains < 0
    if not source.any() or not target.any():
        raise TransferKitInputError(
            "sample_domain needs positive (source) and negative (target) entries; got "
            f"{int(source.sum())} source and {int(target.sum())} target rows."
        )
    return Xc[source], yc[source], Xc[target], yc[target]
