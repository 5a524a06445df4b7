"""One label-free distance, on one scale, for comparing many domains with each other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from transferkit._validation import check_option, check_random_state
from transferkit.metrics.mmd import median_heuristic, mmd2
from transferkit.metrics.proxy_a import proxy_a_distance

__all__ = ["COMPARABLE_DISTANCES", "comparable_distance"]

COMPARABLE_DISTANCES = ("mmd", "proxy_a")


def comparable_distance(
    distance: str | Callable[[np.ndarray, np.ndarray], float],
    samples: Sequence[np.ndarray],
    *,
    random_state: Any = None,
) -> Callable[[np.ndarray, np.ndarray], float]:
    r"""A function ``d(X_a, X_b)`` whose values can be compared across pairs of ``samples``.

    ``"mmd"``: :math:`\sqrt{\max(0, \widehat{\mathrm{MMD}}^2_u)}` with **one** Gaussian
    bandwidth for every pair, the median heuristic on a pooled subsample (at most 2000
    rows) of all ``samples``; a per-pair bandwidth would put every pair on its own scale.
    ``"proxy_a"``: the proxy A-distance of a 3-fold cross-validated domain classifier,
    clipped at 0. A callable is returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b, c = (rng.normal(loc=m, size=(80, 2)) for m in (0.0, 0.5, 2.0))
    >>> d = comparable_distance("mmd", [a, b, c], random_state=0)
    >>> bool(d(a, b) < d(a, c))
    True
    """
    if callable(distance):
        return distance
    check_option("distance", distance, COMPARABLE_DISTANCES)
    rng = check_random_state(random_state)
    if distance == "mmd":
        pooled = np.vstack(list(samples))
        pick = rng.choice(pooled.shape[0], min(pooled.shape[0], 2000), replace=False)
        bandwidth = median_heuristic(pooled[pick], max_samples=pick.size)

        def mmd(a: np.ndarray, b: np.ndarray) -> float:
            return float(np.sqrt(max(mmd2(a, b, bandwidth=bandwidth), 0.0)))

        return mmd
    seed = int(rng.randint(np.iinfo(np.int32).max))

    def proxy_a(a: np.ndarray, b: np.ndarray) -> float:
        return float(max(proxy_a_distance(a, b, cv=3, random_state=seed), 0.0))

    return proxy_a
