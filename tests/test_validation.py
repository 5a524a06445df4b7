import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from transferkit import (
    CORAL,
    DomainMismatchError,
    LabelError,
    MemoryBudgetError,
    SourceOnly,
    TargetOnly,
    TransferKitInputError,
    WeightCollapseWarning,
)
from transferkit._validation import (
    available_memory_bytes,
    check_labels,
    check_matrix,
    check_memory,
    check_sample_weights,
    check_source_target,
    effective_sample_size,
)


def test_check_matrix_copies_and_converts():
    X = np.arange(6).reshape(3, 2)
    out = check_matrix(X)
    assert out.dtype == np.float64
    out[0, 0] = 99
    assert X[0, 0] == 0
    Xf = np.ones((2, 2))
    assert check_matrix(Xf) is not Xf


def test_check_matrix_accepts_torch():
    torch = pytest.importorskip("torch")
    out = check_matrix(torch.ones(3, 2))
    assert isinstance(out, np.ndarray) and out.shape == (3, 2)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.ones(3), r"must be 2-D .*reshape\(-1, 1\)"),
        (np.ones((2, 2, 2)), "must be 2-D"),
        (np.array([[1.0, np.nan]]), "1 NaN"),
        (np.array([[1.0, np.inf]]), "1 infinite"),
        (np.ones((0, 3)), "at least 1 sample"),
        (np.ones((3, 0)), "no features"),
        (np.array([["a", "b"]]), "must hold numbers"),
    ],
)
def test_check_matrix_errors(X, match):
    with pytest.raises(TransferKitInputError, match=match):
        check_matrix(X)


def test_sparse_input_gets_a_hint():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TransferKitInputError, match=r"toarray\(\)"):
        check_matrix(sparse.csr_matrix(np.eye(3)))


def test_labels():
    assert check_labels([1.0, 2.0], 2).dtype.kind == "i"
    with pytest.raises(LabelError, match="continuous values"):
        check_labels([0.5, 1.0], 2)
    with pytest.raises(LabelError, match="1-D"):
        check_labels(np.ones((2, 2)), 2)
    with pytest.raises(LabelError, match="shorter"):
        check_labels([0], 2)
    with pytest.raises(LabelError, match="NaN"):
        check_labels([0.0, np.nan], 2)
    with pytest.raises(LabelError, match="mixes label types"):
        check_labels(np.array([1, "a"], dtype=object), 2)


def _pair(rng):
    return rng.normal(size=(20, 3)), np.repeat([0, 1], 10), rng.normal(size=(15, 3))


def test_foundation_error_cases(rng):
    Xs, ys, Xt = _pair(rng)
    from sklearn.neighbors import KNeighborsClassifier

    one_nn = KNeighborsClassifier(1)
    with pytest.raises(DomainMismatchError, match="3 features but X_target has 2"):
        check_source_target(Xs, ys, Xt[:, :2])
    with pytest.raises(TransferKitInputError, match="empty target"):
        check_source_target(Xs, ys, Xt[:0])
    with pytest.raises(LabelError, match=r"1 class\(es\)"):
        check_source_target(Xs, np.zeros(20, dtype=int), Xt)
    with pytest.raises(LabelError, match="continuous"):
        check_source_target(Xs, rng.normal(size=20), Xt)
    with pytest.raises(LabelError, match=r"y_target has 16 labels .* longer"):
        check_source_target(Xs, ys, Xt, np.zeros(16, dtype=int))
    with pytest.raises(LabelError, match=r"class\(es\) \[7\] that never occur"):
        check_source_target(Xs, ys, Xt, np.r_[7, np.full(14, -1)])
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        CORAL().fit(Xs, ys)
    with pytest.raises(LabelError, match="needs labelled target samples"):
        TargetOnly(one_nn).fit(Xs, ys, X_target=Xt)
    with pytest.raises(LabelError, match="y \\(source labels\\) is required"):
        SourceOnly(one_nn).fit(Xs, None)


def test_memory_check_names_amount_and_alternative(monkeypatch):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "1G")
    assert available_memory_bytes() == 1024**3
    with pytest.raises(MemoryBudgetError, match=r"needs about 6\.7 GiB.*nystroem"):
        check_memory(30_000**2 * 8 + 1, "the exact kernel", suggestion='approximation="nystroem"')
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "lots")
    with pytest.raises(TransferKitInputError, match="TRANSFERKIT_MEMORY_LIMIT"):
        available_memory_bytes()


def test_weights_checks():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10)
    with pytest.raises(TransferKitInputError, match="All weights are zero"):
        check_sample_weights(np.zeros(4), 4)
    with pytest.raises(TransferKitInputError, match="blew up"):
        check_sample_weights(np.array([1.0, np.inf]), 2)
    with pytest.warns(WeightCollapseWarning, match="effective sample size 1.0 of 100"):
        check_sample_weights(np.r_[1.0, np.zeros(99)], 100)


def test_float_labels_beyond_int64_are_refused_not_merged():
    # the int64 cast used to map 1e20 and 2e20 both to -2**63: two classes merged
    with pytest.raises(LabelError, match=r"1 label value\(s\) of magnitude 2\*\*63.*LabelEncoder"):
        check_labels([1e20, 3.0], 2)
    with pytest.raises(LabelError, match="magnitude 2\\*\\*63"):
        check_source_target(np.ones((3, 1)), [1e20, 2e20, 3.0], np.ones((2, 1)))
    with pytest.raises(LabelError, match="magnitude 2\\*\\*63"):
        check_source_target(np.ones((2, 1)), [0, 1], np.ones((2, 1)), [-1.0, -1e19])
    y = check_labels([1.0, 2.0, -(2.0**62)], 3)
    assert y.dtype == np.int64 and y.tolist() == [1, 2, -(2**62)]


def test_target_only_with_one_labelled_class_is_a_clear_error(rng):
    Xs, ys, Xt = _pair(rng)
    yt = np.full(15, -1)
    yt[:3] = 1
    with pytest.raises(LabelError, match=r"just one class \(\[1\], 3 sample"):
        TargetOnly(LogisticRegression()).fit(Xs, ys, X_target=Xt, y_target=yt)


def test_string_labels_accept_both_unlabelled_markers(rng):
    Xs = rng.normal(size=(6, 2))
    ys = np.array(["cat", "dog"] * 3, dtype=object)  # what a pandas column gives
    for marker in (-1, "-1"):
        yt = np.array(["cat", marker, "dog", marker], dtype=object)
        d = check_source_target(Xs, ys, Xs[:4], yt)
        np.testing.assert_array_equal(d.target_labelled, [True, False, True, False])
        assert d.y_target.tolist() == ["cat", "-1", "dog", "-1"]
        assert yt[1] == marker  # input untouched
    ys_str = np.array(["cat", "dog"] * 3)
    d = check_source_target(Xs, ys_str, Xs[:2], np.array(["dog", "-1"]))
    np.testing.assert_array_equal(d.target_labelled, [True, False])
    with pytest.raises(LabelError, match=r"2 missing value\(s\) .*mark unlabelled .* -1"):
        check_source_target(Xs, ys, Xs[:3], np.array(["cat", None, np.nan], dtype=object))
    with pytest.raises(LabelError, match=r"mixes label types \['int', 'str'\].*astype\(str\)"):
        check_labels(np.array(["cat", 3], dtype=object), 2)


def test_pandas_string_labels_with_a_marker(rng):
    pd = pytest.importorskip("pandas")
    Xs = rng.normal(size=(6, 2))
    ys = pd.Series(["cat", "dog"] * 3)
    yt = pd.Series(["cat", -1, "dog", "-1"])
    d = check_source_target(Xs, ys, Xs[:4], yt)
    np.testing.assert_array_equal(d.target_labelled, [True, False, True, False])


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_inputs_at_extreme_scales_fail_early_with_the_fix(scale, rng):
    from transferkit import CORAL, JDA, KMM, TCA, JointPCA, SubspaceAlignment

    Xs, ys, Xt = _pair(rng)
    word = "large" if scale > 1 else "small"
    for est in (TCA(), JDA(), CORAL(), KMM(), JointPCA(), SubspaceAlignment()):
        with pytest.raises(TransferKitInputError, match=rf"as {word} as .*StandardScaler"):
            est.fit(Xs * scale, ys, X_target=Xt)
        with pytest.raises(TransferKitInputError, match=rf"X_target holds values as {word}"):
            est.fit(Xs, ys, X_target=Xt * scale)
    # ordinary magnitudes pass, zeros pass
    check_matrix(np.vstack([Xs * 1e100, np.zeros((1, Xs.shape[1]))]))
