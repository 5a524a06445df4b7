"""TRANSFERKIT_MEMORY_LIMIT: clear errors for values that are not a usable budget."""

import numpy as np
import pytest

from transferkit._validation import MemoryBudgetError, TransferKitInputError, available_memory_bytes
from transferkit.mapping import SubspaceAlignmentSVC


@pytest.mark.parametrize("value", ["inf", "-1", "0", "nan", "-2G", "1e400"])
def test_unusable_limits_are_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", value)
    with pytest.raises(TransferKitInputError, match=r"TRANSFERKIT_MEMORY_LIMIT.*positive finite"):
        available_memory_bytes()


@pytest.mark.parametrize(("value", "expected"), [("512M", 512 * 1024**2), ("1.5G", 1.5 * 1024**3)])
def test_sizes_are_parsed(monkeypatch, value, expected):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", value)
    assert available_memory_bytes() == int(expected)


def test_subspace_alignment_svc_refuses_a_kernel_that_cannot_fit(monkeypatch):
    # 100k + 100k samples died in numpy with "Unable to allocate 74.5 GiB"; the same
    # check at a small size, with a small budget
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "1M")
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(400, 5)), rng.normal(size=(300, 5))
    ys = (Xs[:, 0] > 0).astype(int)
    with pytest.raises(MemoryBudgetError, match=r"400 x 400.*LinearSVC"):
        SubspaceAlignmentSVC(n_components=2, C=1.0).fit(Xs, ys, X_target=Xt)


def test_subspace_alignment_svc_predicts_in_blocks(monkeypatch):
    rng = np.random.default_rng(1)
    Xs, Xt = rng.normal(size=(120, 5)), rng.normal(size=(90, 5))
    ys = (Xs[:, 0] > 0).astype(int)
    model = SubspaceAlignmentSVC(n_components=3, C=1.0).fit(Xs, ys, X_target=Xt)
    whole = model.svc_.decision_function(model._similarity(Xt, "target"))
    np.testing.assert_allclose(model.decision_function(Xt), whole)
