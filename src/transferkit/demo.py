"""The built-in demo: handwritten digits read by a different scanner.

Until the NILM application ships its own demo, ``transferkit demo`` runs a complete
transfer experiment on data bundled with scikit-learn, so it works on any machine
without downloads.

The shift. scikit-learn's 8x8 digits are split in two disjoint halves. The source half
is used as is. The target half is "re-scanned" by a second device whose optics are
softer and whose sensor responds non-linearly: every image is blurred with a Gaussian
point-spread function (sigma 0.8 pixel) and its intensities pass through a gamma curve
(gamma 0.5, which brightens faint strokes). This is the covariate shift a model meets
when the acquisition hardware changes while the classes stay the same, as when an
appliance classifier trained on one metering device meets another.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from transferkit._validation import TransferKitInputError, check_random_state
from transferkit.baselines import SourceOnly, TargetOnly
from transferkit.mapping import CORAL, JointPCA
from transferkit.pipeline import make_transfer_pipeline

__all__ = ["rescanned_digits", "DemoRow", "run_demo", "check_labels_per_class"]


def _rescan(images: np.ndarray, blur_sigma: float, gamma: float) -> np.ndarray:
    out = np.empty_like(images, dtype=np.float64)
    for i, image in enumerate(images):
        blurred = ndimage.gaussian_filter(image.astype(np.float64), blur_sigma)
        out[i] = 16.0 * np.clip(blurred / 16.0, 0.0, 1.0) ** gamma
    return out


def rescanned_digits(
    *, blur_sigma: float = 0.8, gamma: float = 0.5, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source and "re-scanned" target halves of scikit-learn's digits.

    Returns
    -------
    X_source, y_source, X_target, y_target : ndarrays
        64 pixel intensities (0-16, as shipped); 898/899 samples per domain, 10 classes.

    Examples
    --------
    >>> Xs, ys, Xt, yt = rescanned_digits(random_state=0)
    >>> Xs.shape, Xt.shape
    ((898, 64), (899, 64))
    """
    digits = load_digits()
    order = check_random_state(random_state).permutation(len(digits.target))
    half = len(order) // 2
    source, target = order[:half], order[half:]
    X_source = digits.images[source].reshape(len(source), -1)
    X_target = _rescan(digits.images[target], blur_sigma, gamma).reshape(len(target), -1)
    return X_source, digits.target[source], X_target, digits.target[target]


@dataclass(frozen=True)
class DemoRow:
    """One line of the demo table."""

    method: str
    target_accuracy: float
    uses_target_labels: str


def check_labels_per_class(labels_per_class: int, random_state: int = 0) -> None:
    """Raise :class:`TransferKitInputError` unless ``labels_per_class`` fits the target.

    Examples
    --------
    >>> check_labels_per_class(3)
    """
    _check_labels_per_class(labels_per_class, rescanned_digits(random_state=random_state)[3])


def _check_labels_per_class(labels_per_class: int, yt: np.ndarray) -> None:
    most = int(np.bincount(yt).min()) - 1  # keep one unlabelled sample per class to score
    if (
        isinstance(labels_per_class, bool)
        or not isinstance(labels_per_class, numbers.Integral)
        or not 1 <= labels_per_class <= most
    ):
        raise TransferKitInputError(
            f"labels_per_class={labels_per_class!r} is out of range: choose an integer from 1 "
            f"to {most} (the smallest target class has {most + 1} samples, and at least one "
            "per class must stay unlabelled to measure accuracy)."
        )


def run_demo(random_state: int = 0, labels_per_class: int = 3) -> list[DemoRow]:
    """Run source-only, joint PCA, CORAL and target-only on :func:`rescanned_digits`.

    All methods share one classifier (multinomial logistic regression). The last row
    is an upper bound trained on half of the target, labelled, and tested on the rest.

    Examples
    --------
    >>> rows = run_demo()
    >>> [r.method for r in rows][:3]
    ['source only', 'joint PCA (k=20)', 'CORAL (lambda=1)']
    """
    Xs, ys, Xt, yt = rescanned_digits(random_state=random_state)
    _check_labels_per_class(labels_per_class, yt)
    clf = LogisticRegression(max_iter=300, tol=1e-3)
    rows = []
    for name, model in (
        ("source only", SourceOnly(clf)),
        ("joint PCA (k=20)", make_transfer_pipeline(JointPCA(n_components=20), clf)),
        ("CORAL (lambda=1)", make_transfer_pipeline(CORAL(lambda_=1.0), clf)),
    ):
        model.fit(Xs, ys, X_target=Xt)
        rows.append(DemoRow(name, model.score(Xt, yt), "none"))
    rng = check_random_state(random_state)
    partial = np.full_like(yt, -1)
    for label in np.unique(yt):
        chosen = rng.choice(np.flatnonzero(yt == label), labels_per_class, replace=False)
        partial[chosen] = label
    labelled = partial != -1
    for name, model in (
        (f"target only ({labels_per_class}/class)", TargetOnly(clf)),
        (
            f"CORAL + {labels_per_class}/class target labels",
            make_transfer_pipeline(CORAL(lambda_=1.0), clf),
        ),
    ):
        model.fit(Xs, ys, X_target=Xt, y_target=partial)
        rows.append(DemoRow(name, model.score(Xt[~labelled], yt[~labelled]), f"{labelled.sum()}"))
    train, test = train_test_split(
        np.arange(len(yt)), test_size=0.5, stratify=yt, random_state=random_state
    )
    oracle = clone(clf).fit(Xt[train], yt[train]).score(Xt[test], yt[test])
    rows.append(DemoRow("target oracle (half the target labelled)", float(oracle), f"{len(train)}"))
    return rows
