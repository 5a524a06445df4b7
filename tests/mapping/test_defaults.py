"""Defaults that fit any data shape: n_components=None and kernel="auto"."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit import InvalidParameterError, TransferKitInputError
from transferkit.mapping import (
    BDA,
    GFK,
    JDA,
    MEDA,
    TCA,
    JointPCA,
    SubspaceAlignment,
    SubspaceAlignmentSVC,
)


def _table(rng, d=29, ns=60, nt=50):
    """A labelled 29-feature table (below every former default dimension of 30/100)."""
    ys = np.arange(ns) % 3
    centres = rng.normal(scale=2.0, size=(3, d))
    Xs = centres[ys] + rng.normal(size=(ns, d))
    Xt = 1.2 * (centres[np.arange(nt) % 3] + rng.normal(size=(nt, d))) + 0.5
    return Xs, ys, Xt


# estimator, n_components_ expected on 29 features (60 + 50 samples)
DEFAULTS = [
    (TCA, 29),
    (JDA, 29),
    (BDA, 29),
    (JointPCA, 29),
    (SubspaceAlignment, 29),
    (SubspaceAlignmentSVC, 29),
    (GFK, 14),
    (MEDA, 14),
]


@pytest.mark.parametrize(("cls", "expected"), DEFAULTS, ids=[c.__name__ for c, _ in DEFAULTS])
def test_default_dimension_fits_a_29_feature_table(cls, expected, rng):
    Xs, ys, Xt = _table(rng)
    est = cls().fit(Xs, ys, X_target=Xt)
    assert est.n_components_ == expected
    if hasattr(est, "transform"):
        assert est.transform(Xt).shape[0] == Xt.shape[0]
    else:
        assert est.predict(Xt).shape == (Xt.shape[0],)


@pytest.mark.parametrize("cls", [TCA, JDA, BDA, JointPCA, SubspaceAlignment, GFK])
def test_default_dimension_is_thirty_or_twenty_when_the_data_allow_it(cls, rng):
    Xs, ys, Xt = _table(rng, d=80)
    est = cls().fit(Xs, ys, X_target=Xt)
    assert est.n_components_ == (20 if cls is GFK else 30)


@pytest.mark.parametrize("cls", [TCA, JDA, BDA, JointPCA, SubspaceAlignment, GFK])
def test_an_explicit_impossible_dimension_still_raises(cls, rng):
    Xs, ys, Xt = _table(rng)
    with pytest.raises(TransferKitInputError, match=r"n_components=40 .*(29|features)"):
        cls(n_components=40).fit(Xs, ys, X_target=Xt)


def test_few_samples_bound_the_default_too(rng):
    Xs, ys, Xt = _table(rng, d=29, ns=9, nt=7)
    assert SubspaceAlignment().fit(Xs, X_target=Xt).n_components_ == 6  # n_t - 1
    assert GFK().fit(Xs, X_target=Xt).n_components_ == 6
    assert JDA().fit(Xs, ys, X_target=Xt).n_components_ == 16  # rank of 16 samples


@pytest.mark.parametrize("cls", [TCA, JDA, BDA])
def test_kernel_auto_is_the_primal_map_in_the_cheaper_space(cls, rng):
    Xs, ys, Xt = _table(rng)
    narrow = cls(n_components=5).fit(Xs, ys, X_target=Xt)
    assert narrow.kernel == "auto" and narrow.kernel_ == "primal"
    assert narrow.kernel_factor_.mode_ == "primal"
    lift = rng.normal(size=(29, 300))
    wide = cls(n_components=5).fit(Xs @ lift, ys, X_target=Xt @ lift)
    assert wide.kernel_ == "primal" and wide.kernel_factor_.mode_ == "primal_samples"
    assert wide.projection_.shape == (300, 5)
    explicit = cls(n_components=5, kernel="rbf").fit(Xs, ys, X_target=Xt)
    assert explicit.kernel_ == "rbf"
    with pytest.raises(TransferKitInputError, match="with kernel='auto'"):
        cls(kernel="auto", approximation="nystroem").fit(Xs, ys, X_target=Xt)
    with pytest.raises(InvalidParameterError, match="'kernel' parameter"):
        cls(kernel="poly").fit(Xs, ys, X_target=Xt)
