"""Density-ratio accuracy on Gaussian covariate shift with a known ratio: ours vs skada.

Source :math:`N(0, I_d)`, target :math:`N(s e_1, \\sigma^2 I_d)`; the true ratio
:math:`p_t/p_s` is known in closed form. Every estimate and the truth are rescaled to
mean one on the source and compared by the normalised MSE
:math:`\\sum_i (\\hat w_i - w_i)^2 / \\sum_i w_i^2` (uniform weights score
:math:`\\operatorname{Var}(w)/E[w^2]`). RuLSIF estimates the relative ratio
:math:`w/(\\alpha w + 1 - \\alpha)`, so it is scored against that.

skada 0.6 runs in its own interpreter (``--skada-python``; ``import skada`` switches on
scikit-learn metadata routing for the whole process) on the very same arrays, with the
same kernel widths where the method has one (KMM: our median heuristic; KLIEP: the same
width grid, 5-fold likelihood CV).

Usage::

    python benchmarks/instance_ratio_accuracy.py [--skada-python /tmp/skada-venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from _instance_common import environment, write_results
from transferkit import WeightCollapseWarning
from transferkit.instance import KLIEP, KMM, ULSIF, DiscriminativeDensityRatio, RuLSIF
from transferkit.instance.synthetic import make_gaussian_shift, normalised_mse
from transferkit.instance.ulsif import DEFAULT_SIGMA_FACTORS
from transferkit.metrics import median_heuristic

SKADA_CHILD = r"""
import sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from skada import KMMReweightAdapter, KLIEPReweightAdapter, DiscriminatorReweightAdapter
data = np.load(sys.argv[1])
Xs, Xt, sigma, grid = data["Xs"], data["Xt"], float(data["sigma"]), data["sigmas"]
X = np.vstack([Xs, Xt]); dom = np.r_[np.ones(len(Xs)), -np.ones(len(Xt))].astype(int)
out = {}
methods = {
    "KMM": KMMReweightAdapter(gamma=1.0 / (2 * sigma**2)),
    "KLIEP": KLIEPReweightAdapter(gamma=list(1.0 / (2 * grid**2)), cv=5, random_state=0),
    "Discriminative": DiscriminatorReweightAdapter(),
}
for name, est in methods.items():
    t0 = time.perf_counter()
    est.fit(X, sample_domain=dom)
    w = est.compute_weights(X, sample_domain=dom)[: len(Xs)]
    out[name] = w
    out[name + "_seconds"] = np.array(time.perf_counter() - t0)
np.savez(sys.argv[2], **out)
"""

CASES = [
    {"n": 500, "d": 2, "shift": 1.0, "scale": 1.0},
    {"n": 500, "d": 5, "shift": 1.0, "scale": 1.0},
    {"n": 1000, "d": 2, "shift": 1.0, "scale": 0.7},
]


def ours(alpha: float) -> dict:
    return {
        "KMM (qp)": KMM(solver="qp"),
        "KMM (pgd)": KMM(solver="pgd"),
        "KLIEP": KLIEP(cv=5),
        "uLSIF": ULSIF(),
        f"RuLSIF (alpha={alpha})": RuLSIF(alpha=alpha),
        "Discriminative": DiscriminativeDensityRatio(random_state=0),
    }


def run_skada(python: str, Xs, Xt, sigma: float, sigmas) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp, script = (os.path.join(tmp, f) for f in ("in.npz", "out.npz", "c.py"))
        np.savez(inp, Xs=Xs, Xt=Xt, sigma=sigma, sigmas=sigmas)
        Path(script).write_text(SKADA_CHILD)
        proc = subprocess.run([python, script, inp, outp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        data = np.load(outp)
        return {k: data[k] for k in data.files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skada-python", default="/tmp/skada-venv/bin/python")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument(
        "--quick", action="store_true", help="first case, one seed, no skada, no report"
    )
    args = parser.parse_args()
    cases = CASES[:1] if args.quick else CASES
    if args.quick:
        args.seeds = [0]
    alpha = 0.1
    results = []
    for case in cases:
        for seed in args.seeds:
            prob = make_gaussian_shift(
                case["n"],
                case["n"],
                case["d"],
                shift=case["shift"],
                scale=case["scale"],
                random_state=seed,
            )
            Xs, Xt = prob.X_source, prob.X_target
            truth = prob.true_ratio(Xs)
            relative = truth / (alpha * truth + 1 - alpha)
            sigma = median_heuristic(Xs, Xt, random_state=0)
            row = {**case, "seed": seed, "uniform": normalised_mse(np.ones_like(truth), truth)}
            for name, est in ours(alpha).items():
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", WeightCollapseWarning)
                    est.fit(Xs, X_target=Xt)
                ref = relative if name.startswith("RuLSIF") else truth
                row[f"ours: {name}"] = normalised_mse(est.weights_, ref)
                row[f"ours: {name} seconds"] = time.perf_counter() - t0
            if args.quick:
                print(row, flush=True)
                continue
            sk = run_skada(
                args.skada_python, Xs, Xt, sigma, sigma * np.array(DEFAULT_SIGMA_FACTORS)
            )
            for name in ("KMM", "KLIEP", "Discriminative"):
                row[f"skada: {name}"] = normalised_mse(sk[name], truth)
                row[f"skada: {name} seconds"] = float(sk[name + "_seconds"])
                row[f"skada: {name} corr"] = float(np.corrcoef(sk[name], truth)[0, 1])
            results.append(row)
            print(row, flush=True)
    if args.quick:
        print("quick run: no report written")
        return
    methods = [
        k
        for k in results[0]
        if k.startswith(("ours:", "skada:")) and not k.endswith(("seconds", "corr"))
    ]
    lines = [
        "# Density-ratio accuracy on Gaussian covariate shift (ours vs skada 0.6)",
        "",
        "Normalised MSE against the exact ratio (lower is better), mean ± std over seeds "
        f"{args.seeds}; both sides get the same arrays. RuLSIF is scored against its "
        f"relative ratio (alpha = {alpha}). Column headers: n_s = n_t, d, target shift, "
        "target std.",
        "",
        "| method | "
        + " | ".join(f"n={c['n']}, d={c['d']}, μ={c['shift']}, σ={c['scale']}" for c in CASES)  # noqa: RUF001
        + " |",
        "|---" * (len(CASES) + 1) + "|",
    ]

    def cell(case, key):
        vals = [r[key] for r in results if all(r[k] == case[k] for k in case)]
        return f"{np.mean(vals):.3f} ± {np.std(vals):.3f}"

    lines.append("| uniform weights | " + " | ".join(cell(c, "uniform") for c in CASES) + " |")
    for m in methods:
        lines.append(f"| {m} | " + " | ".join(cell(c, m) for c in CASES) + " |")
    lines += [
        "",
        "Correlation of skada's estimates with the true ratio (a negative value means the "
        "estimate is inverted):",
        "",
        "| method | " + " | ".join(f"case {i + 1}" for i in range(len(CASES))) + " |",
        "|---" * (len(CASES) + 1) + "|",
    ]
    for name in ("KMM", "KLIEP", "Discriminative"):
        lines.append(
            f"| skada: {name} | " + " | ".join(cell(c, f"skada: {name} corr") for c in CASES) + " |"
        )
    lines += ["", "Generated by `python benchmarks/instance_ratio_accuracy.py`."]
    write_results(
        "instance_ratio_accuracy",
        {"environment": environment(), "cases": CASES, "runs": results},
        lines,
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
