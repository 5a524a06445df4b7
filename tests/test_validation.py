import numpy as np
import pytest

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
    coral_svm = SourceOnly(estimator=None)
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
        TargetOnly(coral_svm).fit(Xs, ys, X_target=Xt)
    with pytest.raises(LabelError, match="y \\(source labels\\) is required"):
        SourceOnly(None).fit(Xs, None)


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
