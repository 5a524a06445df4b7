"""RBF JDA on MNIST -> USPS: exact kernel vs Nyström landmarks, and watching the loop.

Run: ``python examples/jda_digits_nystroem.py`` (needs the benchmark data, see
docs/datasets.md; about 10 CPU s) or ``python examples/jda_digits_nystroem.py --exact``
(adds the exact 3800 x 3800 kernel, a few minutes on 2 cores); ``--quick`` runs 2
pseudo-label iterations on 400 samples per domain (about 2 CPU s), only to check that
the script works. The script runs BLAS on one thread (``threadpoolctl``): at this size
more threads do not help, and on a busy 2-core machine the default multi-threaded
OpenBLAS took 92 CPU s (10 minutes wall) for the same work, its threads mostly waiting
for each other.

Prints, for each kernel variant, the target accuracy after the T = 10 pseudo-label
iterations, how many pseudo-labels changed in each iteration, and the CPU time. On this
task JDA's loop has two stable outcomes (about 66 % and 72-73 %): plain landmark
Nyström (``power_iterations=0``) usually lands in the lower one, the default refined
Nyström (one pass over the kernel) follows the exact kernel into the upper one.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from threadpoolctl import threadpool_limits

from transferkit.datasets import load_task
from transferkit.mapping import JDA


def run(name: str, Xs, ys, Xt, yt, n_iter: int = 10, **kernel) -> np.ndarray:
    jda = JDA(n_components=100, kernel="rbf", lambda_=0.1, n_iter=n_iter, random_state=0, **kernel)
    start = time.process_time()
    jda.fit(Xs, ys, X_target=Xt)
    seconds = time.process_time() - start
    history = jda.pseudo_label_history_
    changed = [int(np.sum(a != b)) for a, b in itertools.pairwise(history)]
    accuracy = 100.0 * np.mean(history[-1] == yt)
    print(f"{name:16} {accuracy:6.2f} %  {seconds:6.1f} CPU s  labels changed: {changed}")
    return history[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exact", action="store_true", help="also run the exact kernel")
    parser.add_argument("--quick", action="store_true", help="400 samples, 2 iterations")
    args = parser.parse_args()
    Xs, ys, Xt, yt = load_task("mnist_usps", "M", "U")
    n_iter = 10
    if args.quick:
        Xs, ys, Xt, yt, n_iter = Xs[::5], ys[::5], Xt[::4], yt[::4], 2
    print(f"MNIST -> USPS: {len(ys)} source, {len(yt)} target samples")
    with threadpool_limits(limits=1):  # one BLAS thread: faster at this size (docstring)
        _compare(Xs, ys, Xt, yt, n_iter, quick=args.quick, exact=args.exact)


def _compare(Xs, ys, Xt, yt, n_iter: int, *, quick: bool, exact: bool) -> None:
    nystroem = {"approximation": "nystroem", "n_iter": n_iter}
    if quick:
        nystroem["n_landmarks"] = 200
    plain = run("plain Nyström", Xs, ys, Xt, yt, power_iterations=0, **nystroem)
    refined = run("refined Nyström", Xs, ys, Xt, yt, **nystroem)
    print(f"plain and refined agree on {100 * np.mean(plain == refined):.1f} % of the labels")
    if exact:
        labels_exact = run("exact", Xs, ys, Xt, yt, n_iter=n_iter)
        for name, labels in (("plain", plain), ("refined", refined)):
            print(f"{name} agrees with exact on {100 * np.mean(labels == labels_exact):.1f} %")


if __name__ == "__main__":
    main()
