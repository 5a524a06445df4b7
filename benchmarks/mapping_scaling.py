"""Scaling of TCA and JDA: exact RBF kernel vs Nyström landmarks, time and peak memory.

Two parts, each configuration run in a fresh child process so that its peak resident
memory (``ru_maxrss``, including the interpreter and libraries) is its own:

1. **Scaling curve.** Samples are drawn from the real MNIST (source) and USPS (target)
   digits of the JDA benchmark with replacement plus pixel noise (sigma = 0.05), 256
   features, ``n`` = source + target samples up to 100,000. RBF kernel (median
   heuristic), k = 30 components, λ = 0.1, JDA with T = 10 and 1-NN pseudo-labels,
   ``n_landmarks`` = 1000. The exact kernel is run where it fits in time; above that the
   memory estimate used by the library's check is reported instead. Two Nyström
   variants: *plain* (``power_iterations=0``, linear in n) at every size, and *refined*
   (``power_iterations=1``: one O(n^2) pass over the full kernel, what the default
   ``"auto"`` picks up to 30,000 samples) up to n = 50,000.
2. **Accuracy of the approximation** on the real MNIST-USPS tasks (U→M, M→U, n = 3800,
   where the exact kernel fits): exact vs both Nyström variants, same settings with
   k = 100.

Usage::

    python benchmarks/mapping_scaling.py            # both parts (several minutes)
    python benchmarks/mapping_scaling.py --quick    # n = 1,000, 2 configurations; no files

Every configuration's result is also stored under ``benchmarks/.work/scaling_cache``
and reused by later runs (delete that folder to re-measure everything); configurations
can be measured in parallel with ``--worker '<json spec>'``. ``--quick`` runs the
scaling part at n = 1,000 with 200 landmarks and T = 3 (exact TCA and plain-Nyström
JDA, each in its own process), uses no cache, skips the accuracy part, writes nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000]
EXACT_MAX = {"TCA": 2_000, "JDA": 2_000}
#: Largest n at which the refined (power-iteration) Nyström variant is measured.
REFINED_MAX = 50_000
#: Kernel variants by label: (approximation, power_iterations).
VARIANTS = {None: (None, 0), "nystroem": ("nystroem", 0), "nystroem_power": ("nystroem", 1)}
VARIANT_NAMES = {None: "exact", "nystroem": "plain Nyström", "nystroem_power": "refined Nyström"}
N_LANDMARKS = 1000
K_SCALING = 30
K_ACCURACY = 100
LAMBDA = 0.1
T = 10
TIME_LIMIT_S = 3600
#: ``--quick``: one size, fewer landmarks and JDA iterations.
QUICK_SIZES, QUICK_LANDMARKS, QUICK_T = [1_000], 200, 3
QUICK_RUNS = [("TCA", None), ("JDA", "nystroem")]


def _digits_sample(n: int, seed: int):
    """n/2 noisy MNIST (source) and n/2 noisy USPS (target) samples, labels kept."""
    from transferkit.datasets import load_domain

    rng = np.random.default_rng(seed)
    out = []
    for domain in ("mnist", "usps"):
        X, y = load_domain("mnist_usps", domain, preprocessing="none")
        idx = rng.integers(0, X.shape[0], size=n // 2)
        Xn = X[idx] + rng.normal(scale=0.05, size=(n // 2, X.shape[1]))
        out += [Xn, y[idx]]
    return out


def _build(method: str, approx: str | None, k: int, seed: int):
    from transferkit.mapping import JDA, TCA

    approximation, power = VARIANTS[approx]
    common = {
        "n_components": k,
        "kernel": "rbf",
        "approximation": approximation,
        "n_landmarks": N_LANDMARKS,
        "power_iterations": power,
        "random_state": seed,
    }
    if method == "TCA":
        return TCA(lambda_=LAMBDA, **common)
    return JDA(lambda_=LAMBDA, n_iter=T, **common)


def use_quick_settings() -> None:
    """``--quick``: fewer landmarks and JDA iterations (also for the fidelity benchmark)."""
    global N_LANDMARKS, T
    N_LANDMARKS, T = QUICK_LANDMARKS, QUICK_T


def worker(spec: dict) -> dict:
    """Run one configuration; report time, peak RSS and target accuracy."""
    from sklearn.neighbors import KNeighborsClassifier

    from transferkit.datasets import load_task

    if spec["data"] == "synthetic":
        Xs, ys, Xt, yt = _digits_sample(spec["n"], seed=0)
        k = K_SCALING
    else:
        Xs, ys, Xt, yt = load_task("mnist_usps", spec["source"], spec["target"])
        k = K_ACCURACY
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    adapter = _build(spec["method"], spec["approx"], k, seed=0)
    cpu_start = time.process_time()
    start = time.perf_counter()
    adapter.fit(Xs, ys, X_target=Xt)
    fit_s = time.perf_counter() - start
    clf = KNeighborsClassifier(n_neighbors=1).fit(adapter.transform(Xs, "source"), ys)
    acc = 100.0 * float(np.mean(clf.predict(adapter.transform(Xt, "target")) == yt))
    total_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        **spec,
        "fit_s": fit_s,
        "total_s": total_s,
        "cpu_s": cpu_s,
        "accuracy": acc,
        "peak_rss_mib": peak / 1024.0,
        "rss_before_fit_mib": rss_before / 1024.0,
    }


CACHE = HERE / ".work" / "scaling_cache"


def _cache_path(spec: dict) -> Path:
    key = "_".join(f"{k}-{spec[k]}" for k in sorted(spec))
    return CACHE / (key.replace("/", "-") + ".json")


def _run_child(spec: dict, quick: bool = False) -> dict:
    """Run ``spec`` in a fresh process (or reuse the result a worker already measured)."""
    cached = _cache_path(spec)
    if cached.exists() and not quick:
        return json.loads(cached.read_text())
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    if quick:
        cmd.append("--quick")
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=TIME_LIMIT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {**spec, "error": f"timed out after {TIME_LIMIT_S} s"}
    if proc.returncode != 0:
        return {**spec, "error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from transferkit.mapping import exact_kernel_bytes

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {
        ("TCA", None): ("tab:blue", "o", "--"),
        ("TCA", "nystroem"): ("tab:blue", "o", "-"),
        ("TCA", "nystroem_power"): ("tab:cyan", "^", "-."),
        ("JDA", None): ("tab:red", "s", "--"),
        ("JDA", "nystroem"): ("tab:red", "s", "-"),
        ("JDA", "nystroem_power"): ("tab:orange", "v", "-."),
    }
    for (method, approx), (colour, marker, line) in styles.items():
        sel = [r for r in rows if r["method"] == method and r["approx"] == approx and "cpu_s" in r]
        if not sel:
            continue
        label = f"{method} {VARIANT_NAMES[approx]}" + (f" m={N_LANDMARKS}" if approx else "")
        n = [r["n"] for r in sel]
        ax_t.plot(n, [r["total_s"] for r in sel], line, color=colour, marker=marker, label=label)
        ax_m.plot(
            n,
            [r["peak_rss_mib"] / 1024 for r in sel],
            line,
            color=colour,
            marker=marker,
            label=label,
        )
    sizes = np.array(SIZES, dtype=float)
    ax_m.plot(
        sizes,
        [exact_kernel_bytes(n) / 2**30 for n in sizes],
        ":",
        color="grey",
        label="exact kernel: estimated need",
    )
    ax_m.axhline(8, color="black", lw=0.8)
    ax_m.text(SIZES[0], 8.6, "8 GiB", fontsize=8)
    ax_t.axhline(300, color="black", lw=0.8)
    ax_t.text(SIZES[0], 330, "5 min", fontsize=8)
    for ax, ylabel in (
        (ax_t, "fit + 1-NN wall time (s), 2 cores"),
        (ax_m, "peak resident memory (GiB)"),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n = source + target samples (256 features)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.legend(fontsize=8)
    fig.suptitle("TCA / JDA, RBF kernel: exact vs plain and refined Nyström (k = 30, T = 10)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="n = 1,000, 2 configurations, no accuracy part, no cache; writes nothing",
    )
    parser.add_argument("--output", default="mapping_scaling")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the report from the configurations already measured (cache) only",
    )
    args = parser.parse_args(argv)
    if args.quick:
        use_quick_settings()
    if args.worker:
        spec = json.loads(args.worker)
        result = worker(spec)
        if not args.quick:
            CACHE.mkdir(parents=True, exist_ok=True)
            _cache_path(spec).write_text(json.dumps(result))
        print(json.dumps(result))
        return 0

    from _mapping_common import environment, quick_run
    from transferkit.mapping import exact_kernel_bytes

    env = environment()
    # Most informative runs first; the report is rewritten after every run.
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.quick:
        quick_run()

    def accuracy_specs(source: str, target: str) -> list[dict]:
        return [
            {
                "data": "mnist_usps",
                "source": source,
                "target": target,
                "method": method,
                "approx": approx,
            }
            for method in ("TCA", "JDA")
            for approx in VARIANTS
        ]

    def scaling_specs(n: int) -> list[dict]:
        return [
            {"data": "synthetic", "n": n, "method": method, "approx": approx}
            for method in ("TCA", "JDA")
            for approx in VARIANTS
            if approx != "nystroem_power" or n <= REFINED_MAX
        ]

    first = accuracy_specs("U", "M")
    # The slowest configuration (exact JDA on U->M) after the cheap ones; run it in
    # parallel with --worker to have it sooner.
    specs = [s for s in first if s["approx"] or s["method"] == "TCA"]
    for n in sizes:
        specs += scaling_specs(n)
    specs += [s for s in first if s not in specs] + accuracy_specs("M", "U")
    if args.quick:  # exact and plain Nyström (refined: mapping_nystroem_*.py --quick)
        specs = [s for s in specs if s["data"] == "synthetic"]
        specs = [s for s in specs if (s["method"], s["approx"]) in QUICK_RUNS]
    # Configurations already measured (cache) are reported first.
    specs.sort(key=lambda spec: not _cache_path(spec).exists())
    scaling: list[dict] = []
    accuracy: list[dict] = []
    for spec in specs:
        too_big = (
            spec["data"] == "synthetic"
            and spec["approx"] is None
            and spec["n"] > EXACT_MAX[spec["method"]]
        )
        if args.report_only and not too_big and not _cache_path(spec).exists():
            continue
        if spec["data"] == "synthetic" and spec["approx"] is None:
            n = spec["n"]
            if n > EXACT_MAX[spec["method"]]:
                row = {
                    **spec,
                    "skipped": "exact kernel not run at this size",
                    "exact_memory_estimate_gib": exact_kernel_bytes(n) / 2**30,
                }
            else:
                row = _run_child(spec, args.quick)
        else:
            row = _run_child(spec, args.quick)
        (scaling if spec["data"] == "synthetic" else accuracy).append(row)
        print(row, flush=True)
        if "error" in row and args.quick:
            raise SystemExit(f"{spec} failed: {row['error']}")
        scaling.sort(key=lambda r: (r["n"], r["method"], r["approx"] or ""))
        if not args.quick:
            _report(scaling, accuracy, env, args.output)
    if args.quick:
        _report(scaling, accuracy, env, args.output, quick=True)
    return 0


def _report(
    scaling: list[dict], accuracy: list[dict], env: dict, output: str, quick: bool = False
) -> None:
    from _mapping_common import RESULTS, write_results

    png = RESULTS / f"{output}.png"
    if quick:  # the plot is drawn (and thrown away) all the same
        with tempfile.TemporaryDirectory() as tmp:
            _plot(scaling, Path(tmp) / png.name)
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        _plot(scaling, png)
    lines = [
        "# TCA / JDA scaling: exact RBF kernel vs Nyström landmarks",
        "",
        "Produced by `python benchmarks/mapping_scaling.py`. Each row ran in its own process; "
        "memory is the process's peak resident set (interpreter, libraries and data "
        "included). Times: wall-clock seconds of fit + 1-NN (what the 5-minute target "
        "refers to; BLAS uses both cores) and the process's CPU time (user + sys, all "
        "threads). Data: MNIST (source) / USPS (target) digits of the "
        "JDA benchmark, "
        "resampled with pixel noise sigma = 0.05 to n samples, 256 features; RBF kernel with "
        f"the median heuristic, λ = {LAMBDA}, k = {K_SCALING}, JDA T = {T} with 1-NN "
        f"pseudo-labels, {N_LANDMARKS} Nyström landmarks; *plain* Nyström = "
        "`power_iterations=0`, *refined* = `power_iterations=1` (one pass over the full "
        'kernel; the default `"auto"` uses it up to 30,000 samples, plain above). '
        "Accuracy is 1-NN on the target. "
        f"Exact kernels were run up to n = {max(EXACT_MAX.values()):,} (beyond that for "
        "time); for larger n the table shows the memory estimate that the library checks "
        "before building an exact kernel (it refuses when that exceeds the free memory).",
        f"Environment: {env}",
        "",
        f"![scaling]({png.name})",
        "",
        "| n | method | kernel | fit + 1-NN wall s | CPU s | peak memory (GiB) | target acc (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in scaling:
        kind = VARIANT_NAMES[r["approx"]] + (f" (m={N_LANDMARKS})" if r["approx"] else "")
        if "skipped" in r:
            lines.append(
                f"| {r['n']:,} | {r['method']} | {kind} | not run | — | needs ≈ "
                f"{r['exact_memory_estimate_gib']:.1f} (estimate) | — |"
            )
        elif "error" in r:
            lines.append(f"| {r['n']:,} | {r['method']} | {kind} | {r['error']} | — | — | — |")
        else:
            lines.append(
                f"| {r['n']:,} | {r['method']} | {kind} | {r['total_s']:.1f} | {r['cpu_s']:.1f} | "
                f"{r['peak_rss_mib'] / 1024:.2f} | {r['accuracy']:.2f} |"
            )
    lines += [
        "",
        f"## Accuracy of the approximation on MNIST-USPS (k = {K_ACCURACY}, exact fits here)",
        "",
        "| task | method | approximation | exact acc | approximation acc | loss (points) "
        "| exact CPU s | approximation CPU s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for source, target in (("U", "M"), ("M", "U")):
        for method in ("TCA", "JDA"):
            runs = {
                r["approx"]: r
                for r in accuracy
                if r["source"] == source and r["method"] == method and "error" not in r
            }
            for approx in ("nystroem", "nystroem_power"):
                if None not in runs or approx not in runs:
                    errors = [r.get("error", "") for r in accuracy if r["source"] == source]
                    note = "; ".join(e for e in errors if e) or "not run yet"
                    lines.append(
                        f"| {source}→{target} | {method} | {VARIANT_NAMES[approx]} | {note} "
                        "| | | | |"
                    )
                    continue
                ex, ny = runs[None], runs[approx]
                lines.append(
                    f"| {source}→{target} | {method} | {VARIANT_NAMES[approx]} | "
                    f"{ex['accuracy']:.2f} | {ny['accuracy']:.2f} | "
                    f"{ex['accuracy'] - ny['accuracy']:+.2f} | {ex['cpu_s']:.1f} | "
                    f"{ny['cpu_s']:.1f} |"
                )
    lines += [
        "",
        "One bandwidth and one landmark draw per cell. On M→U, JDA's pseudo-label loop has "
        "two stable outcomes (about 66 % and 72-73 %) and small changes of the kernel move it "
        "between them, for the exact kernel too (66.06 % at 0.9 x the median-heuristic "
        "bandwidth); plain Nyström lands in the lower one for most landmark draws, refined "
        "Nyström follows the exact loop: see `mapping_nystroem_accuracy.md` (three "
        "bandwidths, five landmark draws) and `mapping_nystroem_fidelity.md`.",
        "",
        "At n = 10,000 refined JDA ends 11 points below plain JDA (56.68 vs 67.78 %). The "
        "exact kernel, run at that size in `mapping_scaling_fidelity.md`, ends at 57.70 %: "
        "JDA's own pseudo-label loop drifts down there, refined Nyström follows it, and "
        "plain Nyström's result is a different method's.",
    ]
    payload = {
        "settings": {
            "n_landmarks": N_LANDMARKS,
            "variants": {
                str(k): {"approximation": v[0], "power_iterations": v[1]}
                for k, v in VARIANTS.items()
            },
            "refined_max_n": REFINED_MAX,
            "k_scaling": K_SCALING,
            "k_accuracy": K_ACCURACY,
            "lambda": LAMBDA,
            "T": T,
            "kernel": "rbf, median heuristic",
        },
        "environment": env,
        "scaling": scaling,
        "accuracy": accuracy,
    }
    write_results(output, payload, "\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
