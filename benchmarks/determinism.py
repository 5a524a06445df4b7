"""What is bit-reproducible: the same fit repeated, and under 1 vs 2 BLAS threads.

Each configuration runs in a fresh process with ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` set before numpy is imported, fits a few
estimators on one fixed input, and stores SHA-256 digests of the results plus the arrays
themselves; the table compares the digests (bit-identical or not) and the largest
difference between thread counts.

Usage::

    python benchmarks/determinism.py
    python benchmarks/determinism.py --quick  # 300 / 240 samples (seconds); writes nothing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"

CHILD = r"""
import json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from sklearn.linear_model import LogisticRegression
from transferkit import CORAL
from transferkit.instance import KLIEP, KMM, ULSIF
from transferkit.instance.synthetic import make_gaussian_shift
out, n_source, n_target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prob = make_gaussian_shift(n_source, n_target, 20, shift=0.7, random_state=0)
Xs, Xt = prob.X_source, prob.X_target
ys = (Xs[:, 0] + Xs[:, 1] > 0.3).astype(int)
yt = (Xt[:, 0] + Xt[:, 1] > 0.3).astype(int)
res = {}
kmm = KMM(solver="pgd").fit(Xs, X_target=Xt)
res["KMM(solver='pgd') weights"] = kmm.weights_
res["KMM(solver='nystroem') weights"] = KMM(solver="nystroem", n_landmarks=min(300, n_source)).fit(
    Xs, X_target=Xt).weights_
res["KLIEP weights"] = KLIEP(cv=3).fit(Xs, X_target=Xt).weights_
res["uLSIF weights"] = ULSIF().fit(Xs, X_target=Xt).weights_
res["CORAL source features"] = CORAL().fit(Xs, X_target=Xt).transform(Xs, domain="source")
clf = LogisticRegression(max_iter=2000).fit(Xs, ys, sample_weight=kmm.weights_)
res["KMM + logistic regression coefficients"] = clf.coef_
res["KMM + logistic regression target accuracy"] = np.array([clf.score(Xt, yt)])
np.savez(out, **res)
"""


def run(threads: int, tmp: str, tag: str, sizes: tuple[int, int]) -> dict[str, np.ndarray]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    # the checkout's sources first (outside a checkout: the installed package)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    script = os.path.join(tmp, "child.py")
    Path(script).write_text(CHILD)
    out = os.path.join(tmp, f"{tag}.npz")
    subprocess.run([sys.executable, script, out, *map(str, sizes)], env=env, check=True)
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="300 / 240 samples (seconds); writes nothing"
    )
    quick = parser.parse_args().quick
    sizes = (300, 240) if quick else (1500, 1200)
    with tempfile.TemporaryDirectory() as tmp:
        one_a = run(1, tmp, "1a", sizes)
        one_b = run(1, tmp, "1b", sizes)
        two_a = run(2, tmp, "2a", sizes)
        two_b = run(2, tmp, "2b", sizes)
    rows = []
    for key in one_a:
        diff = float(np.max(np.abs(one_a[key] - two_a[key])))
        scale = float(np.max(np.abs(one_a[key]))) or 1.0
        rows.append(
            {
                "result": key,
                "repeat_1_thread_identical": digest(one_a[key]) == digest(one_b[key]),
                "repeat_2_threads_identical": digest(two_a[key]) == digest(two_b[key]),
                "1_vs_2_threads_identical": digest(one_a[key]) == digest(two_a[key]),
                "max_abs_difference_1_vs_2": diff,
                "relative_difference_1_vs_2": diff / scale,
            }
        )
    meta = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"],
        "machine": platform.machine(),
    }
    yes = {True: "yes", False: "**no**"}
    lines = [
        "# Bit-reproducibility: repeated fits and BLAS thread counts",
        "",
        f"numpy {meta['numpy']} with {meta['blas']}, Python {meta['python']}, "
        f"{meta['machine']}. Each column is a fresh process; one fixed input (Gaussian "
        f"shift, {sizes[0]:,} source / {sizes[1]:,} target samples, 20 features, "
        "`random_state=0` "
        "everywhere).",
        "",
        "| result | same process settings, repeated (1 thread) | repeated (2 threads) | "
        "1 vs 2 threads identical | max abs. difference 1 vs 2 | relative |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['result']} | {yes[r['repeat_1_thread_identical']]} | "
            f"{yes[r['repeat_2_threads_identical']]} | {yes[r['1_vs_2_threads_identical']]} | "
            f"{r['max_abs_difference_1_vs_2']:.2e} | {r['relative_difference_1_vs_2']:.2e} |"
        )
    lines += ["", "Generated by `python benchmarks/determinism.py`."]
    print("\n".join(lines))
    if quick:
        print("quick run: no report written")
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "determinism.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    (RESULTS / "determinism.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
