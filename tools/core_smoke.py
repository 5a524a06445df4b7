"""Smoke test of a core install (the wheel without extras); run by .ci/run in a fresh venv.

Checks that the core estimators fit, that the optional packages are really absent and
that using them names the extra to install, and prints the import time of transferkit.
Exits non-zero on any failure.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import numpy as np


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"core smoke test FAILED: {message}")
    print(f"ok  {message}")


def main() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    import transferkit
    from transferkit import CORAL, KMM, TCA, make_transfer_pipeline
    from transferkit._optional import MissingExtraError

    check(
        "site-packages" in transferkit.__file__,
        f"transferkit from the wheel: {transferkit.__file__}",
    )
    optional = ("torch", "matplotlib", "cvxopt", "qpsolvers", "mlflow")
    federated = ("phe", "gmpy2", "tenseal", "flwr", "ray")
    for name in optional + federated:
        check(importlib.util.find_spec(name) is None, f"{name} is not installed (core only)")

    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(120, 5))
    ys = (Xs[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    Xt = 1.5 * rng.normal(size=(80, 5)) + 0.5
    start = time.perf_counter()
    for adapter in (CORAL(), TCA(n_components=3)):
        model = make_transfer_pipeline(adapter, KNeighborsClassifier(1))
        model.fit(Xs, ys, X_target=Xt)
        name = type(adapter).__name__
        check(model.predict(Xt).shape == (80,), f"{name} + 1-NN fits and predicts")
    kmm = KMM(random_state=0).fit(Xs, X_target=Xt)
    weights = kmm.weights_
    check(kmm.solver_ == "pgd" and weights.shape == (120,), 'KMM(solver="auto") uses "pgd"')
    check(bool(np.all(weights >= 0)), "KMM weights are non-negative")
    print(f"    fits took {time.perf_counter() - start:.2f} s")

    try:
        import transferkit.finetune
    except MissingExtraError as exc:
        check('pip install "transferkit[torch]"' in str(exc), f"finetune says: {exc}")
    else:
        check(False, "import transferkit.finetune must fail without the torch extra")
    try:
        KMM(solver="qp").fit(Xs, X_target=Xt)
    except MissingExtraError as exc:
        check('"transferkit[qp]"' in str(exc), f'KMM(solver="qp") says: {exc}')
    else:
        check(False, 'KMM(solver="qp") must fail without the qp extra')

    # CPU seconds, not wall time: a busy CI machine would only inflate the latter.
    code = (
        "import time; import numpy, scipy; t = time.process_time(); import transferkit; "
        "a = time.process_time(); from transferkit import CORAL; "
        "print(a - t, time.process_time() - a)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bare, estimators = (float(v) for v in out.stdout.split())
    print(
        f"    import transferkit: {1000 * bare:.0f} ms CPU on top of numpy + scipy; "
        f"then from transferkit import CORAL: {estimators:.2f} CPU s more"
    )


if __name__ == "__main__":
    main()
