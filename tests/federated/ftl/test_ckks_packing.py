"""CKKS mode is vectorised: many values per ciphertext, and the packed arithmetic equals
plain arithmetic within CKKS's approximation error."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.federated.ftl.crypto.ckks import CKKSScheme


@pytest.fixture(scope="module")
def key():
    return CKKSScheme(8192).keygen()


def test_rows_are_packed_many_to_a_ciphertext(key, rng):
    X = rng.normal(size=(1000, 32))
    rows = key.public.encrypt_rows(X)
    # 4096 slots hold 128 rows of 32 values: 8 ciphertexts for 32,000 values
    assert rows.rows_per_block == 128 and len(rows.vecs) == 8
    np.testing.assert_allclose(key.decrypt_rows(rows), X, atol=1e-5)
    # a small matrix is copied into the free slots, so that one ciphertext carries
    # several output columns of a combination
    small = key.public.encrypt_rows(X[:10, :8])
    assert len(small.vecs) == 1 and small.copies == 4096 // 80


def test_packed_combination_equals_the_plain_product(key, rng):
    X = rng.normal(size=(300, 32))
    C = rng.normal(size=(300, 33))
    cols = key.public.combine(key.public.encrypt_rows(X), C)
    assert len(cols.vecs) == 33  # one ciphertext per output column: C^T X's 33 x 32 values
    masked, mask = key.public.mask(cols)
    seen = key.decrypt(masked)
    assert np.abs(seen - C.T @ X).min() > 1e-3  # what the key owner sees is masked
    np.testing.assert_allclose(key.public.unmask(seen, mask), C.T @ X, atol=1e-3)
