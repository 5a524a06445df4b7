"""The validated domain object and the stacked (skada ``sample_domain``) forms of ``fit``."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit import DomainMismatchError, LabelError, TransferKitInputError
from transferkit._validation import (
    Domains,
    ValidatedDomains,
    check_domains,
    check_sample_domain,
    check_source_target,
)


@pytest.fixture
def three_domains(rng):
    """Sources 1 (classes 0, 1) and 2 (classes 1, 2), intermediate -3, target -2."""
    X1 = rng.normal(size=(6, 3))
    X2 = rng.normal(size=(4, 3)) + 1.0
    Xi = rng.normal(size=(5, 3)) + 2.0
    Xt = rng.normal(size=(7, 3)) + 3.0
    y1, y2 = np.array([0, 1, 0, 1, 0, 1]), np.array([1, 2, 2, 1])
    return X1, y1, X2, y2, Xi, Xt


def test_two_domain_call_keeps_the_old_views(rng):
    Xs, ys, Xt = rng.normal(size=(5, 2)), np.array([0, 1, 0, 1, 1]), rng.normal(size=(3, 2))
    d = check_source_target(Xs, ys, Xt)
    assert ValidatedDomains is Domains
    assert d.n_sources == 1 and d.source_ids.tolist() == [1] and d.target_id == -2
    assert d.sample_domain.tolist() == [1] * 5 and d.intermediates == ()
    assert [dom.role for dom in d.domains] == ["source", "target"]
    np.testing.assert_array_equal(d.sources[0].X, Xs)
    assert set(d.fit_params()) == {"X", "y", "X_target", "y_target"}


def test_stacked_sources_with_target_and_intermediate(three_domains):
    X1, y1, X2, y2, Xi, Xt = three_domains
    X = np.vstack([X1, Xi, X2])
    y = np.r_[y1, np.full(5, -1), y2]
    ids = np.r_[np.full(6, 1), np.full(5, -3), np.full(4, 2)]
    d = check_domains(X, y, Xt, sample_domain=ids)
    assert d.n_sources == 2 and d.source_ids.tolist() == [1, 2]
    np.testing.assert_array_equal(d.X, np.vstack([X1, X2]))
    np.testing.assert_array_equal(d.y, np.r_[y1, y2])
    assert d.classes.tolist() == [0, 1, 2]  # the union of the source label sets
    assert d.sample_domain.tolist() == [1] * 6 + [2] * 4
    (inter,) = d.intermediates
    assert (inter.id, inter.role, inter.y) == (-3, "intermediate", None)
    np.testing.assert_array_equal(inter.X, Xi)
    assert [s.n_samples for s in d.sources] == [6, 4]
    np.testing.assert_array_equal(d.X_target, Xt)
    assert [dom.role for dom in d.domains] == ["source", "source", "intermediate", "target"]
    # fit_params() hands the same domains on: validating them again is the identity.
    again = check_domains(**d.fit_params())
    np.testing.assert_array_equal(again.X, d.X)
    np.testing.assert_array_equal(again.sample_domain, d.sample_domain)
    np.testing.assert_array_equal(again.intermediates[0].X, Xi)


def test_skada_fully_stacked_form(three_domains):
    X1, y1, _, _, _, Xt = three_domains
    yt = np.array([0, -1, 1, -1, -1, -1, -1])
    X = np.vstack([X1, Xt])
    d = check_domains(X, np.r_[y1, yt], sample_domain=np.r_[np.full(6, 1), np.full(7, -2)])
    np.testing.assert_array_equal(d.X_target, Xt)
    np.testing.assert_array_equal(d.y_target, yt)
    assert d.target_labelled.sum() == 2
    # all target rows unlabelled (-1): as if no y_target had been passed
    d = check_domains(X, np.r_[y1, np.full(7, -1)], sample_domain=np.r_[np.ones(6), -np.ones(7)])
    assert d.y_target is None and d.target_id == -1


def test_several_negative_ids_without_x_target_are_ambiguous(three_domains):
    X1, y1, _, _, Xi, Xt = three_domains
    X = np.vstack([X1, Xi, Xt])
    ids = np.r_[np.full(6, 1), np.full(5, -3), np.full(7, -2)]
    with pytest.raises(TransferKitInputError, match=r"target is ambiguous.*X_target.*from_skada"):
        check_domains(X, np.r_[y1, np.full(12, -1)], sample_domain=ids)


@pytest.mark.parametrize(
    ("case", "error", "words"),
    [
        ("length", TransferKitInputError, "one domain id per row"),
        ("float ids", TransferKitInputError, "integer domain ids"),
        ("no source", TransferKitInputError, "ids >= 0"),
        ("y_target twice", LabelError, "target rows are inside X"),
        ("unknown target class", LabelError, "never occur in the source"),
        ("unknown intermediate class", LabelError, "intermediate domain -3"),
        ("feature mismatch", DomainMismatchError, "features"),
        ("no target", TransferKitInputError, "negative sample_domain"),
        ("one class", LabelError, "over all source domains"),
        ("nan in target rows", TransferKitInputError, "NaN"),
    ],
)
def test_stacked_form_errors_name_the_problem(case, error, words, three_domains):
    X1, y1, _, _, Xi, Xt = three_domains
    X = np.vstack([X1, Xt])
    y = np.r_[y1, np.full(7, -1)]
    ids = np.r_[np.full(6, 1), np.full(7, -2)]
    kwargs = {}
    if case == "length":
        ids = ids[:-1]
    elif case == "float ids":
        ids = ids + 0.5
    elif case == "no source":
        ids = -np.abs(ids)
    elif case == "y_target twice":
        kwargs["y_target"] = np.zeros(7, dtype=int)
    elif case == "unknown target class":
        y = np.r_[y1, 7, np.full(6, -1)]
    elif case == "unknown intermediate class":
        X, y = np.vstack([X1, Xi]), np.r_[y1, 9, np.full(4, -1)]
        ids = np.r_[np.full(6, 1), np.full(5, -3)]
        kwargs["X_target"] = Xt
    elif case == "feature mismatch":
        X, y, ids = X1, y1, np.ones(6)
        kwargs["X_target"] = Xt[:, :2]
    elif case == "no target":
        X, y, ids = X1, y1, np.ones(6)
    elif case == "one class":
        y = np.r_[np.zeros(6, dtype=int), np.full(7, -1)]
    elif case == "nan in target rows":
        X = X.copy()
        X[-1, 0] = np.nan
    with pytest.raises(error, match=words):
        check_domains(X, y, sample_domain=ids, **kwargs)


def test_inputs_are_not_modified(three_domains):
    X1, y1, _, _, _, Xt = three_domains
    X, y = np.vstack([X1, Xt]), np.r_[y1, np.full(7, -1)]
    ids = np.r_[np.full(6, 1), np.full(7, -2)]
    copies = [a.copy() for a in (X, y, ids)]
    d = check_domains(X, y, sample_domain=ids)
    d.X[:] = 0
    for before, after in zip(copies, (X, y, ids), strict=True):
        np.testing.assert_array_equal(before, after)


def test_regression_stacked_form_uses_nan_for_unlabelled(rng):
    Xs, Xt = rng.normal(size=(5, 2)), rng.normal(size=(3, 2))
    y = np.r_[rng.normal(size=5), 0.5, np.nan, np.nan]
    d = check_domains(
        np.vstack([Xs, Xt]),
        y,
        sample_domain=np.r_[np.ones(5), -2 * np.ones(3)],
        classification=False,
    )
    assert d.classes is None and d.target_labelled.tolist() == [True, False, False]
    with pytest.raises(LabelError, match=r"NaN value.*source rows"):
        check_domains(
            Xs,
            np.r_[np.nan, rng.normal(size=4)],
            Xt,
            sample_domain=np.ones(5),
            classification=False,
        )


def test_check_sample_domain_accepts_integral_floats_and_zero():
    assert check_sample_domain(np.array([0.0, 1.0, -2.0]), 3).tolist() == [0, 1, -2]
    with pytest.raises(TransferKitInputError, match="integer"):
        check_sample_domain(["a", "b"], 2)
    # skada counts id 0 as a source
    d = check_domains(np.eye(3), [0, 1, -1], sample_domain=[0, 0, -1])
    assert d.source_ids.tolist() == [0] and d.X_target.shape == (1, 3)


def test_the_source_count_error_lists_multi_source_estimators_in_a_fresh_process():
    """``import transferkit`` is lazy; the message still names the multi-source options."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from transferkit.mapping import CORAL\n"
        "X = np.random.default_rng(0).normal(size=(8, 2))\n"
        "try:\n"
        "    CORAL().fit(X, X_target=X, sample_domain=[1, 1, 1, 1, 2, 2, 2, 2])\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "CORAL accepts one source domain" in out
    for name in ("SourceOnly", "TargetOnly", "SourceSelection", "pool_sources"):
        assert name in out, out
