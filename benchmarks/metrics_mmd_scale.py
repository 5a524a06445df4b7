"""Block-wise unbiased MMD² at scale: time and peak memory, 100,000 vs 100,000 in 256-d.

Target (issue 5): under 2 minutes and 2 GiB on 2 CPU cores, without forming an n x n
matrix. The script also checks the float32 block-wise value against a float64 direct
n x n computation on a subsample, and records how the time grows with n.

Usage::

    python benchmarks/metrics_mmd_scale.py [--n 100000] [--dim 256] [--n-jobs 2]

Writes ``benchmarks/results/metrics_mmd_scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np
from scipy.spatial.distance import cdist

from _paths import RESULTS
from transferkit.metrics import median_heuristic, mmd2
from transferkit.metrics.mmd import kernel_gammas


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sample(n: int, dim: int, shift: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, dim), dtype=np.float32)
    X[:, :8] += shift
    return X


def direct_mmd_u(X: np.ndarray, Y: np.ndarray, gamma: float) -> float:
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    Kxx = np.exp(-gamma * cdist(X, X, "sqeuclidean"))
    Kyy = np.exp(-gamma * cdist(Y, Y, "sqeuclidean"))
    Kxy = np.exp(-gamma * cdist(X, Y, "sqeuclidean"))
    m, n = len(X), len(Y)
    return float((Kxx.sum() - m) / (m * (m - 1)) + (Kyy.sum() - n) / (n * (n - 1)) - 2 * Kxy.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--block-size", type=int, default=2048)
    parser.add_argument("--curve", type=int, nargs="*", default=[5000, 10000])
    parser.add_argument("--check-n", type=int, default=3000)
    parser.add_argument("--quick", action="store_true", help="n = 4,000, 64-d, seconds")
    args = parser.parse_args()
    if args.quick:
        args.n, args.dim, args.curve, args.check_n, args.n_jobs = 4000, 64, [1000], 500, 1

    X = sample(args.n, args.dim, 0.0, 1)
    Y = sample(args.n, args.dim, 0.1, 2)
    sigma = median_heuristic(X, Y, random_state=0)
    gamma = kernel_gammas("gaussian", sigma)[0]
    opts = dict(bandwidth=sigma, dtype="float32", n_jobs=args.n_jobs, block_size=args.block_size)

    # Exactness on a subsample: float32 block-wise vs float64 direct n x n.
    k = args.check_n
    t0 = time.perf_counter()
    check_blockwise = mmd2(X[:k], Y[:k], **opts)
    check_direct = direct_mmd_u(X[:k], Y[:k], gamma)
    print(
        f"check n={k}: blockwise={check_blockwise:.6e} direct={check_direct:.6e} "
        f"({time.perf_counter() - t0:.1f}s)"
    )

    curve = []
    for n in args.curve:
        t0 = time.perf_counter()
        value = mmd2(X[:n], Y[:n], **opts)
        seconds = time.perf_counter() - t0
        curve.append({"n": n, "seconds": seconds, "mmd2": value})
        print(f"n={n}: {seconds:.1f}s  mmd2={value:.6e}")

    rss_before = peak_rss_bytes()
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    value = mmd2(X, Y, verbose=True, **opts)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    rss_peak = peak_rss_bytes()
    print(f"n={args.n}: {seconds:.1f}s  mmd2={value:.6e}  peak RSS {rss_peak / 2**30:.2f} GiB")

    load = os.getloadavg()
    result = {
        "n_source": args.n,
        "n_target": args.n,
        "dim": args.dim,
        "estimator": "unbiased",
        "kernel": "gaussian (median heuristic)",
        "bandwidth": sigma,
        "dtype": "float32 tiles, float64 accumulation",
        "block_size": args.block_size,
        "n_jobs": args.n_jobs,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cpu_seconds_per_core": cpu / args.n_jobs,
        "mmd2": value,
        "peak_rss_gib": rss_peak / 2**30,
        "peak_rss_before_full_run_gib": rss_before / 2**30,
        "input_data_gib": (X.nbytes + Y.nbytes) / 2**30,
        "target_seconds": 120,
        "target_gib": 2.0,
        "meets_time_target": seconds < 120,
        "meets_memory_target": rss_peak < 2 * 2**30,
        "kernel_evaluations": 2 * args.n**2,
        "curve": curve,
        "exactness_check": {
            "n": k,
            "blockwise_float32": check_blockwise,
            "direct_float64": check_direct,
            "abs_diff": abs(check_blockwise - check_direct),
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_at_end": load,
            "platform": platform.platform(),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metrics_mmd_scale.json").write_text(json.dumps(result, indent=2))
    lines = [
        "# Block-wise unbiased MMD² at scale",
        "",
        "Measured by `python benchmarks/metrics_mmd_scale.py` (do not edit by hand).",
        "",
        f"Two samples of {args.n:,} x {args.dim} (standard normal; the second shifted by 0.1 "
        "in 8 coordinates), Gaussian kernel with the median-heuristic bandwidth, unbiased "
        f"U-statistic over all {2 * args.n**2:.2e} kernel values, tiles of "
        f"{args.block_size} x {args.block_size} in float32 with float64 accumulation, "
        f"{args.n_jobs} worker threads. Peak memory is the peak resident set size of the "
        f"whole process, including the {result['input_data_gib']:.2f} GiB of input data.",
        "",
        "| n per domain | time (s) | peak RSS (GiB) | MMD² |",
        "|---|---|---|---|",
    ]
    for row in curve:
        lines.append(f"| {row['n']:,} | {row['seconds']:.1f} | - | {row['mmd2']:.4e} |")
    lines.append(
        f"| **{args.n:,}** | **{seconds:.1f}** | **{rss_peak / 2**30:.2f}** | {value:.4e} |"
    )
    lines += [
        "",
        f"CPU time of the full run: {cpu:.1f} s over {args.n_jobs} threads, i.e. "
        f"{cpu / args.n_jobs:.1f} s per core: the wall time to expect on {args.n_jobs} "
        "cores that nothing else uses (wall time above is inflated by other jobs when the "
        "machine is shared).",
        "",
        f"Targets: < 120 s ({'met' if seconds < 120 else 'NOT met'}), < 2 GiB "
        f"({'met' if rss_peak < 2 * 2**30 else 'NOT met'}).",
        "",
        f"Exactness: on the first {k:,} rows the block-wise float32 value is "
        f"{check_blockwise:.6e} and a direct float64 n x n computation gives "
        f"{check_direct:.6e} (|diff| = {abs(check_blockwise - check_direct):.1e}).",
        "",
        f"Machine: {os.cpu_count()} CPU cores shared with other jobs; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min). Times on a busy machine "
        "are upper bounds.",
    ]
    (RESULTS / "metrics_mmd_scale.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
