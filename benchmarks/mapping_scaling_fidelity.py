"""Does Nyström follow exact JDA beyond MNIST-USPS? (n = 10,000 resampled digits).

The scaling benchmark (``mapping_scaling.py``) runs JDA on MNIST/USPS digits resampled
with pixel noise to n samples, k = 30, λ = 0.1, T = 10, 1000 landmarks. At n = 10,000 its
refined and plain Nyström rows end more than 10 points apart. This benchmark runs the
*exact* kernel at that size too (about 20 minutes on 2 cores, 4 GiB) next to both
approximations over landmark seeds 0-2, and records every iteration's pseudo-label
accuracy (``pseudo_label_history_``) and the final 1-NN accuracy on the adapted
features, so one can see which approximation follows the exact loop.

Results are cached per run in ``benchmarks/.work/scaling_fidelity/``.

Usage::

    python benchmarks/mapping_scaling_fidelity.py
    python benchmarks/mapping_scaling_fidelity.py --quick  # n = 1,000, one seed; no files

``--quick`` runs the same three kinds of run at n = 1,000 with landmark seed 0 only, 200
landmarks and T = 3, without the cache, and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

import mapping_scaling as scaling
from _mapping_common import environment, quick_run, write_results
from mapping_scaling import K_SCALING, LAMBDA, VARIANT_NAMES, _build, _digits_sample

N = 10_000
SEEDS = (0, 1, 2)
CACHE = Path(__file__).resolve().parent / ".work" / "scaling_fidelity"


def run(approx: str | None, seed: int, cache: bool = True) -> dict:
    path = CACHE / f"{approx}_{seed}.json"
    if cache and path.exists():
        return json.loads(path.read_text())
    Xs, ys, Xt, yt = _digits_sample(N, seed=0)
    adapter = _build("JDA", approx, K_SCALING, seed)
    start = time.perf_counter()
    adapter.fit(Xs, ys, X_target=Xt)
    trajectory = [100.0 * float(np.mean(h == yt)) for h in adapter.pseudo_label_history_]
    clf = KNeighborsClassifier(n_neighbors=1).fit(adapter.transform(Xs, "source"), ys)
    accuracy = 100.0 * float(np.mean(clf.predict(adapter.transform(Xt, "target")) == yt))
    result = {
        "approx": approx,
        "seed": seed,
        "trajectory": trajectory,
        "accuracy": accuracy,
        "wall_s": time.perf_counter() - start,
    }
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    print(result, flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    global N, SEEDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="n = 1,000, seed 0, no cache; writes nothing"
    )
    quick = parser.parse_args(argv).quick
    if quick:
        N, SEEDS = 1_000, (0,)
        scaling.use_quick_settings()
        quick_run()
    runs = [
        run(approx, seed, cache=not quick)
        for approx in ("nystroem", "nystroem_power")
        for seed in SEEDS
    ]
    runs.append(run(None, 0, cache=not quick))
    exact = runs[-1]
    lines = [
        f"# JDA at n = {N:,}: exact vs plain and refined Nyström",
        "",
        "Produced by `python benchmarks/mapping_scaling_fidelity.py` (protocol in its "
        f"docstring): resampled MNIST/USPS digits, RBF (median heuristic), k = {K_SCALING}, "
        f"λ = {LAMBDA}, T = {scaling.T}, {scaling.N_LANDMARKS} landmarks. Pseudo-label "
        "accuracy (%) after each solve, and the final 1-NN accuracy on the adapted "
        "features (run times are in the JSON file; this file is about fidelity, "
        "`mapping_scaling.md` about time).",
        "",
        f"Environment: `{environment()}`",
        "",
        "| kernel | landmark seed | pseudo-label accuracy per solve | final 1-NN |",
        "|---|---|---|---|",
    ]
    for r in runs:
        traj = ", ".join(f"{v:.1f}" for v in r["trajectory"])
        seed = "—" if r["approx"] is None else str(r["seed"])
        lines.append(f"| {VARIANT_NAMES[r['approx']]} | {seed} | {traj} | {r['accuracy']:.2f} |")
    lines.append("")
    for approx in ("nystroem", "nystroem_power"):
        finals = [r["accuracy"] for r in runs if r["approx"] == approx]
        lines.append(
            f"- {VARIANT_NAMES[approx]}: mean final accuracy {np.mean(finals):.2f} "
            f"(exact {exact['accuracy']:.2f}; "
            f"difference {np.mean(finals) - exact['accuracy']:+.2f})."
        )
    write_results(
        "mapping_scaling_fidelity", {"environment": environment(), "runs": runs}, "\n".join(lines)
    )


if __name__ == "__main__":
    main()
