"""MEDA: our factorise-once solver against a dense per-iteration statement of the paper.

The dense baseline follows the authors' MATLAB algorithm step by step (dense n x n MMD
matrix and Laplacian, a new ``(E + lambda M + rho L) K + eta I`` solve at every
iteration, every A-distance refitted); ours keeps the MMD matrix in rank-(C+1) form,
factorises the fixed part once and updates with Woodbury, and caches A-distances. Both
run in this process, one after the other, on the same GFK features, so the ratio is the
comparable number. Writes ``benchmarks/results/meda_speed.{json,md}``.

Usage::

    python benchmarks/meda_speed.py
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors

from _paths import RESULTS
from transferkit.datasets import load_task
from transferkit.mapping import GFK, MEDA
from transferkit.mapping.meda import cosine_knn_laplacian
from transferkit.metrics import svm_training_a_distance


def _proxy_a_distance(Xs: np.ndarray, Xt: np.ndarray) -> float:
    """MEDA's reference proxy A-distance: hinge linear SVM training error, 2 if empty."""
    return svm_training_a_distance(Xs, Xt, loss="hinge", max_iter=2000, empty_value=2.0)


TASKS = [("D->W", "dslr", "webcam"), ("C->A", "caltech", "amazon")]
LAM, ETA, RHO, P, T = 10.0, 0.1, 1.0, 10, 10


def dense_meda(Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> np.ndarray:
    """The paper's algorithm with dense matrices and one solve per iteration."""
    gfk = GFK(20).fit(Xs, X_target=Xt)
    Zs, Zt = gfk.transform(Xs), gfk.transform(Xt)
    X = np.vstack([Zs, Zt])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    n_s, n = len(Zs), len(X)
    C = int(ys.max()) + 1
    L = cosine_knn_laplacian(X, P).toarray()
    sq = (X * X).sum(1)
    K = np.exp(-(sq[:, None] + sq[None, :] - 2 * X @ X.T) / 2.0)
    E = np.diag(np.r_[np.ones(n_s), np.zeros(n - n_s)])
    Y = np.zeros((n, C))
    Y[np.arange(n_s), ys] = 1
    nn = NearestNeighbors(n_neighbors=1).fit(X[:n_s])
    pseudo = ys[nn.kneighbors(X[n_s:], return_distance=False)[:, 0]]
    for _ in range(T):
        d_m = _proxy_a_distance(Zs, Zt)
        d_c = np.mean([_proxy_a_distance(Zs[ys == c], Zt[pseudo == c]) for c in range(C)])
        mu = min(d_c / (d_c + d_m), 1.0)
        mu = 0.0 if mu < 1e-3 else mu
        e = np.r_[np.full(n_s, 1 / n_s), np.full(n - n_s, -1 / (n - n_s))]
        M = np.outer(e, e) * C
        N = np.zeros((n, n))
        for c in range(C):
            e = np.zeros(n)
            e[:n_s][ys == c] = 1 / max(np.sum(ys == c), 1)
            if np.any(pseudo == c):
                e[n_s:][pseudo == c] = -1 / np.sum(pseudo == c)
            N += np.outer(e, e)
        M = (1 - mu) * M + mu * N
        M /= np.linalg.norm(M, "fro")
        beta = np.linalg.solve((E + LAM * M + RHO * L) @ K + ETA * np.eye(n), E @ Y)
        pseudo = np.argmax(K[n_s:] @ beta, axis=1)
    return pseudo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="D->W only, seconds")
    args = parser.parse_args()
    rows = []
    for name, source, target in TASKS[:1] if args.quick else TASKS:
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", source, target)
        t0 = time.perf_counter()
        dense_pred = dense_meda(Xs, ys, Xt)
        t_dense = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours = MEDA().fit(Xs, ys, X_target=Xt)
        t_ours = time.perf_counter() - t0
        rows.append(
            {
                "task": name,
                "n": len(Xs) + len(Xt),
                "dense_seconds": t_dense,
                "ours_seconds": t_ours,
                "speedup": t_dense / t_ours,
                "dense_accuracy": 100 * float(np.mean(dense_pred == yt)),
                "ours_accuracy": 100 * float(np.mean(ours.pseudo_labels_ == yt)),
            }
        )
        print(rows[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = {"cpus": os.cpu_count(), "threads": os.environ.get("OMP_NUM_THREADS", "default")}
    (RESULTS / "meda_speed.json").write_text(json.dumps({"environment": env, "rows": rows}))
    lines = [
        "# MEDA: factorise-once solver vs dense per-iteration solve",
        "",
        "Measured by `python benchmarks/meda_speed.py`, both in one process on the same "
        f"machine (environment {env}); the machine is shared, so only the ratio is meaningful.",
        "",
        "| task | n | dense s | ours s | speed-up | dense acc | ours acc |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['n']} | {r['dense_seconds']:.1f} | {r['ours_seconds']:.1f} | "
            f"{r['speedup']:.1f}x | {r['dense_accuracy']:.2f} | {r['ours_accuracy']:.2f} |"
        )
    (RESULTS / "meda_speed.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
