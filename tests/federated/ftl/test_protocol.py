"""Algorithm 1 and 2 between two in-process parties: plain, Paillier and CKKS agree."""

import numpy as np
import pytest

from transferkit.federated.ftl import (
    FTLProtocolError,
    LocalChannel,
    PartyA,
    PartyB,
    PartyUnreachableError,
    ftl_objective,
    with_bias,
)
from transferkit.federated.ftl.objective import signed_labels
from transferkit.federated.ftl.protocol import align_overlap

from ._problem import make_problem

KW = dict(hidden_dim=3, gamma=0.5, lam=0.01, learning_rate=0.2)


def _parties(mode, key_bits=None, seed=0, **kw):
    p = make_problem(seed=seed)
    a = PartyA(
        p.X_a, p.y_a, p.ids_a, p.overlap, mode=mode, key_bits=key_bits, random_state=1, **(KW | kw)
    )
    b = PartyB(p.X_b, p.ids_b, p.overlap, random_state=2)
    return p, a, b


def _reference(p, W_a, W_b):
    F_a, F_b = with_bias(p.X_a), with_bias(p.X_b)
    y = signed_labels(p.y_a, np.unique(p.y_a))
    rows_a = align_overlap(p.ids_a, p.overlap, name="a")
    rows_b = align_overlap(p.ids_b, p.overlap, name="b")
    return ftl_objective(W_a, W_b, F_a, y, rows_a, F_b[rows_b], gamma=KW["gamma"], lam=KW["lam"])


def test_plain_protocol_equals_the_centralised_objective():
    p, a, b = _parties("plain")
    W_a0 = a.W_.copy()
    a.fit(LocalChannel(b), rounds=1)
    W_b0 = b.W_ + KW["learning_rate"] * b.last_gradient_  # B's weights before the step
    ref = _reference(p, W_a0, W_b0)
    assert np.allclose(a.last_gradient_, ref.grad_a, atol=1e-9)
    assert np.allclose(b.last_gradient_, ref.grad_b, atol=1e-9)
    assert np.isclose(a.history_[0].loss, ref.loss, atol=1e-9)
    assert np.isclose(b.losses_[0], ref.loss, atol=1e-9)


@pytest.mark.parametrize(("mode", "bits", "tol"), [("paillier", 512, 1e-4), ("ckks", 8192, 1e-3)])
def test_encrypted_modes_equal_plain_mode(mode, bits, tol):
    _, a_plain, b_plain = _parties("plain")
    _, a_enc, b_enc = _parties(mode, key_bits=bits)
    a_plain.fit(LocalChannel(b_plain), rounds=3)
    a_enc.fit(LocalChannel(b_enc), rounds=3)
    for h_p, h_e in zip(a_plain.history_, a_enc.history_, strict=True):
        assert abs(h_p.loss - h_e.loss) < tol
    assert np.allclose(a_plain.last_gradient_, a_enc.last_gradient_, atol=tol)
    assert np.allclose(b_plain.last_gradient_, b_enc.last_gradient_, atol=tol)
    assert np.allclose(a_plain.W_, a_enc.W_, atol=tol)
    assert np.allclose(b_plain.W_, b_enc.W_, atol=tol)


def test_training_lowers_the_loss_and_predicts_better_than_chance():
    p, a, b = _parties("plain", learning_rate=0.5)
    channel = LocalChannel(b)
    a.fit(channel, rounds=40)
    assert a.history_[-1].loss < a.history_[0].loss
    assert a.predict_for_partner(channel) == len(p.X_b)
    y_b = signed_labels(p.y_b, np.unique(p.y_a))
    assert (b.predict() == y_b).mean() > 0.8


def test_prediction_matches_plain_scores_under_paillier():
    p, a, b = _parties("paillier", key_bits=512)
    channel = LocalChannel(b)
    a.fit(channel, rounds=1)
    a.predict_for_partner(channel)
    expected = (
        with_bias(p.X_b)
        @ b.W_.T
        @ (a.W_ @ (signed_labels(p.y_a, a.classes_)[:, None] * with_bias(p.X_a)).mean(0))
    )
    assert np.allclose(b.scores_, expected, atol=1e-4)


def test_a_crashed_partner_is_a_clear_error_and_training_resumes(tmp_path):
    p, a, b = _parties("plain", checkpoint_dir=tmp_path / "a")
    b.checkpoint_dir = tmp_path / "b"
    broken = LocalChannel(b, fail_at=lambda m: m.round == 2 and m.type == "masked")
    with pytest.raises(PartyUnreachableError, match="round 2"):
        a.fit(broken, rounds=4)
    assert a.round_ == 2 and b.round_ == 2
    # B restarts from its checkpoints; A resumes from its last completed round
    b2 = PartyB(p.X_b, p.ids_b, p.overlap, random_state=2, checkpoint_dir=tmp_path / "b")
    a2 = PartyA(
        p.X_a,
        p.y_a,
        p.ids_a,
        p.overlap,
        mode="plain",
        random_state=1,
        checkpoint_dir=tmp_path / "a",
        **KW,
    )
    a2.fit(LocalChannel(b2), rounds=4, resume=True)
    # the same as an uninterrupted run
    _, a3, b3 = _parties("plain")
    a3.fit(LocalChannel(b3), rounds=4)
    assert np.allclose(a2.W_, a3.W_) and np.allclose(b2.W_, b3.W_)
    assert [h.round for h in a2.history_] == [3, 4]


def test_out_of_protocol_messages_are_refused_with_a_reason():
    p, a, _b = _parties("plain")
    other = make_problem(seed=0)
    b_wrong = PartyB(other.X_b, other.ids_b, other.overlap[::-1], random_state=2)
    with pytest.raises(FTLProtocolError, match="overlap ids differ"):
        a.fit(LocalChannel(b_wrong), rounds=1)
    b_strict = PartyB(p.X_b, p.ids_b, p.overlap, modes=("paillier",))
    with pytest.raises(FTLProtocolError, match="not accepted"):
        a.fit(LocalChannel(b_strict), rounds=1)


def test_too_many_features_for_the_overlap_is_refused():
    p = make_problem(n_overlap=4)
    with pytest.raises(ValueError, match="Reduce the features"):
        PartyA(p.X_a, p.y_a, p.ids_a, p.overlap, mode="plain")


def test_worker_processes_give_the_same_result():
    _, a1, b1 = _parties("paillier", key_bits=512)
    _, a2, b2 = _parties("paillier", key_bits=512, n_jobs=2)
    b2.n_jobs = 2
    a1.fit(LocalChannel(b1), rounds=1)
    a2.fit(LocalChannel(b2), rounds=1)
    assert np.allclose(a1.W_, a2.W_, atol=1e-6) and np.allclose(b1.W_, b2.W_, atol=1e-6)
