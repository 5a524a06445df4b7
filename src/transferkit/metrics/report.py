"""Every distance between two domains, each with its uncertainty (one call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from transferkit._progress import track
from transferkit._validation import TransferKitInputError, check_positive, check_random_state
from transferkit.metrics._common import DistanceResult, check_pair
from transferkit.metrics.distances import coral_distance, energy_distance, energy_test
from transferkit.metrics.kl import gaussian_kl, kl_divergence_knn
from transferkit.metrics.mmd import median_heuristic, mmd2, mmd_test
from transferkit.metrics.proxy_a import proxy_a_distance
from transferkit.metrics.transport import sinkhorn_distance, wasserstein_distance

__all__ = ["DISTANCE_NAMES", "bootstrap_interval", "domain_distances"]

#: Names of the rows returned by :func:`domain_distances`, in order.
DISTANCE_NAMES = (
    "mmd2_gaussian",
    "mmd2_multi",
    "mmd2_linear",
    "energy",
    "kl_knn",
    "kl_gaussian",
    "proxy_a",
    "coral",
    "wasserstein2",
    "sinkhorn2",
)


def bootstrap_interval(
    fn: Callable[[np.ndarray, np.ndarray], float],
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n_bootstrap: int = 50,
    confidence: float = 0.95,
    unique: bool = False,
    centre: float | None = None,
    random_state: Any = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``fn(X, Y)``, resampling each domain's rows.

    ``unique=True`` drops repeated rows of each resample (for the nearest-neighbour KL
    estimator). ``centre`` (the estimate on the full samples) shifts the percentile
    interval so that the median of the resampled values lands on it: the resampled
    estimator's own drift (a bias that depends on the sample size, or on duplicated
    rows) is removed and only the spread is kept. Without it the interval of a
    biased estimator sits around ``estimate + bias`` and need not contain the estimate.
    """
    check_positive("n_bootstrap", n_bootstrap, integer=True)
    rng = check_random_state(random_state)
    values = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        ix = rng.randint(0, X.shape[0], X.shape[0])
        iy = rng.randint(0, Y.shape[0], Y.shape[0])
        if unique:
            ix, iy = np.unique(ix), np.unique(iy)
        values[b] = fn(X[ix], Y[iy])
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    if centre is not None:
        shift = float(centre) - float(np.median(values))
        low, high = low + shift, high + shift
    return float(low), float(high)


def _gaussian_kl_row(
    Xa: np.ndarray, Ya: np.ndarray, ridge: float, boot: Callable
) -> DistanceResult:
    """``kl_gaussian``: bias-corrected with a centred interval where it is well posed."""
    (n, d), m = Xa.shape, Ya.shape[0]
    if n > d + 1 and m > d + 2:
        try:
            fn = lambda a, b: gaussian_kl(a, b, reg=0.0, bias_correction=True)  # noqa: E731
            value = fn(Xa, Ya)
        except TransferKitInputError:  # constant features: singular covariances
            value = None
        if value is not None:
            details: dict[str, Any] = {"estimator": "bias-corrected (Gaussian)", "reg": 0.0}
            # resamples hold about 63 % distinct rows; their covariances must stay regular
            if 0.55 * min(n, m) > d + 3:
                low, high = boot(fn, centre=value)
            else:
                low = high = None
                details["note"] = (
                    f"no interval: resampled rows leave too few distinct samples for {d} features"
                )
            return DistanceResult("kl_gaussian", value, None, low, high, details)
    fn = lambda a, b: gaussian_kl(a, b, reg=ridge)  # noqa: E731
    return DistanceResult(
        "kl_gaussian",
        fn(Xa, Ya),
        None,
        None,
        None,
        {
            "estimator": "plug-in with ridge",
            "reg": ridge,
            "note": f"{d} features for {n} and {m} samples: a covariance is (nearly) "
            "singular, the value is dominated by the ridge and bootstrap resamples "
            "(duplicated rows) are more singular still, so no interval is given; compare "
            "it only between pairs of the same sizes",
        },
    )


def _subsample(Z: np.ndarray, k: int, rng: np.random.RandomState) -> np.ndarray:
    return Z if Z.shape[0] <= k else Z[rng.choice(Z.shape[0], k, replace=False)]


def domain_distances(
    X: Any,
    Y: Any,
    *,
    n_permutations: int = 200,
    n_bootstrap: int = 20,
    max_samples: int = 2000,
    include: tuple[str, ...] | None = None,
    random_state: Any = 0,
    verbose: bool = False,
) -> list[DistanceResult]:
    """Compute every distance between two samples, with a p-value or an interval.

    * MMD² (unbiased; Gaussian kernel with the median heuristic, multi-kernel, linear)
      and the energy distance come with permutation p-values; their values use all
      samples (block-wise), their p-values a subsample of ``max_samples`` rows per domain.
    * k-NN KL (k=5; ties handled, may be negative, with a note then) and Gaussian KL
      come with bootstrap intervals centred on the estimate (the resamples' median is
      moved onto it, see :func:`bootstrap_interval`). Gaussian KL is the bias-corrected
      estimate when every domain has more samples than features + 2, with an interval
      when resamples keep enough distinct rows; otherwise the plug-in estimate with a
      ridge of ``1e-3`` times the mean feature variance, with no interval and a note.
    * CORAL, Wasserstein-2 and Sinkhorn-2 come with percentile bootstrap intervals.
    * The proxy A-distance comes with the spread of its 5 cross-validation folds
      (mean ± 1.96 standard errors).

    Parameters
    ----------
    X, Y : array-like or torch.Tensor
        Samples of the two domains.
    n_permutations : int
        Permutations of the two-sample tests (0 = no p-values).
    n_bootstrap : int
        Bootstrap resamples (0 = no intervals).
    max_samples : int
        Rows per domain used for permutation tests and transport distances.
    include : tuple of str, optional
        Subset of :data:`DISTANCE_NAMES` to compute (all by default).
    random_state : int, RandomState or None
        Seeds every random step.
    verbose : bool
        Show a progress bar over the distances.

    Returns
    -------
    list of DistanceResult

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import domain_distances
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) + 1.0
    >>> rows = domain_distances(X, Y, n_permutations=50, n_bootstrap=5,
    ...                         include=("mmd2_gaussian", "coral"))
    >>> [r.name for r in rows], rows[0].p_value < 0.05
    (['mmd2_gaussian', 'coral'], True)
    """
    check_positive("n_permutations", n_permutations, strict=False, integer=True)
    check_positive("n_bootstrap", n_bootstrap, strict=False, integer=True)
    check_positive("max_samples", max_samples, integer=True)
    names = DISTANCE_NAMES if include is None else tuple(include)
    unknown = set(names) - set(DISTANCE_NAMES)
    if unknown:
        raise ValueError(
            f"include names unknown distance(s) {sorted(unknown)}; choose from "
            f"{', '.join(DISTANCE_NAMES)}."
        )
    Xa, Ya = check_pair(X, Y, min_samples=5)
    rng = check_random_state(random_state)
    seed = int(rng.randint(2**31 - 1))
    Xs, Ys = _subsample(Xa, max_samples, rng), _subsample(Ya, max_samples, rng)
    sigma = median_heuristic(Xa, Ya, random_state=seed)
    ridge = 1e-3 * float(np.mean(np.var(np.vstack([Xa, Ya]), axis=0))) or 1e-6

    def boot(fn, unique=False, centre=None):
        if not n_bootstrap:
            return None, None
        return bootstrap_interval(
            fn, Xa, Ya, n_bootstrap=n_bootstrap, unique=unique, centre=centre, random_state=seed
        )

    rows: list[DistanceResult] = []
    for name in track(names, "distances", enabled=verbose):
        if name.startswith("mmd2_"):
            kernel = name.removeprefix("mmd2_")
            value = mmd2(Xa, Ya, kernel=kernel, bandwidth=sigma)
            p = None
            if n_permutations:
                test = mmd_test(
                    Xs,
                    Ys,
                    kernel=kernel,
                    bandwidth=sigma,
                    n_permutations=n_permutations,
                    random_state=seed,
                )
                p = test.p_value
            details = {"estimator": "unbiased", "kernel": kernel}
            if kernel != "linear":
                details["bandwidth"] = sigma
            rows.append(DistanceResult(name, value, p_value=p, details=details))
        elif name == "energy":
            value = energy_distance(Xa, Ya)
            p = None
            if n_permutations:
                p = energy_test(Xs, Ys, n_permutations=n_permutations, random_state=seed).p_value
            rows.append(DistanceResult(name, value, p_value=p, details={"statistic": "V"}))
        elif name == "kl_knn":
            fn = lambda a, b: kl_divergence_knn(a, b, k=5)  # noqa: E731
            value = fn(Xa, Ya)
            low, high = boot(fn, unique=True, centre=value)
            details = {"k": 5}
            if value < 0:
                details["note"] = (
                    "negative: the k-NN estimator is only asymptotically unbiased and its "
                    f"error grows with the dimension ({Xa.shape[1]}); the divergence is "
                    "below what these samples resolve, read the interval"
                )
            rows.append(DistanceResult(name, value, None, low, high, details))
        elif name == "kl_gaussian":
            rows.append(_gaussian_kl_row(Xa, Ya, ridge, boot))
        elif name == "proxy_a":
            value, folds = proxy_a_distance(Xa, Ya, random_state=seed, return_folds=True)
            half = 1.96 * float(np.std(folds, ddof=1)) / np.sqrt(folds.size)
            rows.append(
                DistanceResult(
                    name,
                    value,
                    None,
                    value - half,
                    value + half,
                    {"cv": 5, "classifier": "logistic regression", "interval": "cv folds"},
                )
            )
        elif name == "coral":
            low, high = boot(coral_distance)
            rows.append(DistanceResult(name, coral_distance(Xa, Ya), None, low, high))
        else:
            solver = wasserstein_distance if name == "wasserstein2" else sinkhorn_distance

            def fn(a, b, solver=solver):
                return solver(a, b, max_samples=max_samples, random_state=seed)

            Xb, Yb = _subsample(Xa, max_samples, rng), _subsample(Ya, max_samples, rng)
            low, high = (None, None)
            if n_bootstrap:
                low, high = bootstrap_interval(
                    fn, Xb, Yb, n_bootstrap=n_bootstrap, random_state=seed
                )
            rows.append(
                DistanceResult(name, fn(Xa, Ya), None, low, high, {"max_samples": max_samples})
            )
    return rows
