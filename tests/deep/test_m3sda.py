"""M3SDA: the moment distance against its closed form, k sources, the combination, alignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from sklearn.base import clone

from transferkit import TransferKitInputError
from transferkit.deep import M3SDA, moment_distance
from transferkit.deep.m3sda import moment_vectors, source_weights

FAST = dict(hidden=(16,), epochs=3, batch_size=32, dropout=0.0, selection=None)


def closed_form(sources, target, K, central=False):
    """Peng et al. 2019, Eq. 1, written out with NumPy loops."""

    def moment(X, k):
        X = np.asarray(X, dtype=float)
        if central and k >= 2:
            X = X - X.mean(0)
        return (X**k).mean(0)

    N = len(sources)
    total = 0.0
    for k in range(1, K + 1):
        total += sum(np.linalg.norm(moment(S, k) - moment(target, k)) for S in sources) / N
        pairs = list(itertools.combinations(range(N), 2))
        if pairs:
            total += sum(
                np.linalg.norm(moment(sources[i], k) - moment(sources[j], k)) for i, j in pairs
            ) / len(pairs)
    return total


@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("central", [False, True])
@pytest.mark.parametrize("n_sources", [1, 2, 4])
def test_moment_distance_matches_the_closed_form(K, central, n_sources, rng):
    sources = [rng.normal(loc=i, size=(5 + i, 3)) for i in range(n_sources)]
    target = rng.normal(loc=0.5, scale=2.0, size=(7, 3))
    got = moment_distance(
        [torch.as_tensor(s) for s in sources], torch.as_tensor(target), K, central=central
    )
    assert float(got) == pytest.approx(closed_form(sources, target, K, central), rel=1e-12)


def test_moment_distance_by_hand():
    # one feature; sources {0, 2} and {4}, target {1}: first moments 1, 4 | 1; second
    # moments 2, 16 | 1. k=1: (|1-1| + |4-1|)/2 + |1-4| = 4.5; k=2: (1 + 15)/2 + 14 = 22.
    s1, s2, t = torch.tensor([[0.0], [2.0]]), torch.tensor([[4.0]]), torch.tensor([[1.0]])
    assert float(moment_distance([s1, s2], t, 1)) == pytest.approx(4.5)
    assert float(moment_distance([s1, s2], t, 2)) == pytest.approx(26.5)
    _, per_source = moment_distance([s1, s2], t, 2, return_terms=True)
    assert per_source.tolist() == pytest.approx([0 + 1, 3 + 15])
    # empty sources are skipped; no source at all is an error
    assert float(moment_distance([s1, s2[:0], s2], t, 2)) == pytest.approx(26.5)
    with pytest.raises(TransferKitInputError, match="at least one non-empty source"):
        moment_distance([s1[:0]], t)


def test_moment_vectors_raw_and_central():
    X = torch.tensor([[1.0, 0.0], [3.0, 2.0]])
    np.testing.assert_allclose(moment_vectors(X, 2).numpy(), [[2, 1], [5, 2]])
    np.testing.assert_allclose(moment_vectors(X, 2, central=True).numpy(), [[2, 1], [1, 1]])


@pytest.mark.parametrize("central", [False, True])
def test_moment_distance_gradient_matches_finite_differences(central):
    g = torch.Generator().manual_seed(0)
    s1 = torch.randn(6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    s2 = (torch.randn(4, 3, generator=g, dtype=torch.float64) + 1).requires_grad_()
    s3 = (torch.randn(5, 3, generator=g, dtype=torch.float64) - 1).requires_grad_()
    t = (2 * torch.randn(5, 3, generator=g, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda a, b, c, d: moment_distance([a, b, c], d, 3, central=central),
        (s1, s2, s3, t),
        eps=1e-6,
        atol=1e-6,
    )


def test_source_weights():
    assert source_weights(torch.tensor([1.0, 3.0]), "uniform").tolist() == [0.5, 0.5]
    assert source_weights(torch.tensor([1.0, 3.0])).tolist() == [0.5, 0.5]  # the default
    w = source_weights(torch.tensor([1.0, 2.0, 3.0]), "moment")
    np.testing.assert_allclose(
        w.numpy(), np.exp(-np.array([0.5, 1, 1.5])) / np.exp(-np.array([0.5, 1, 1.5])).sum()
    )


def _sources(rng, n_sources, n=120, d=5, flip=()):
    """Sources shifted apart; in the sources listed in ``flip`` the labels are inverted."""
    parts = []
    for i in range(n_sources):
        X = rng.normal(size=(n, d)) + 0.3 * i
        y = (X[:, 0] > 0.3 * i).astype(int)
        parts.append((X, 1 - y if i in flip else y))
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    ids = np.repeat(np.arange(n_sources) * 2 + 1, n)  # ids 1, 3, 5, ...
    return X, y, ids


@pytest.mark.parametrize("n_sources", [1, 2, 4])
def test_k_sources_get_one_classifier_each(n_sources, rng):
    X, y, ids = _sources(rng, n_sources)
    Xt = rng.normal(size=(100, 5)) + 0.2
    clf = M3SDA(**FAST, random_state=0).fit(X, y, X_target=Xt, sample_domain=ids)
    assert clf.source_ids_.tolist() == list(range(1, 2 * n_sources, 2))
    assert len(clf.net_.heads) == n_sources
    assert clf.source_weights_.shape == clf.source_distances_.shape == (n_sources,)
    assert clf.source_weights_.sum() == pytest.approx(1.0)
    assert len(clf.moment_distances_) == 3 and len(clf.history_["moment"]) == 3
    P = clf.predict_proba(Xt)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-9)
    # the prediction is the weighted combination of the source classifiers
    with torch.no_grad():
        f = torch.as_tensor(clf.embed(Xt), dtype=torch.float32)
        heads = [torch.softmax(z, 1).double().numpy() for z in clf.net_.head_logits(f)]
    expected = sum(w * h for w, h in zip(clf.source_weights_, heads, strict=True))
    np.testing.assert_allclose(P, expected, rtol=1e-5, atol=1e-6)


def test_each_classifier_learns_its_own_source(rng):
    # source 3's labels are the inverse of source 1's: a shared classifier could not fit
    # both, per-source classifiers do, and each predicts its own source's rule
    X, y, ids = _sources(rng, 2, n=200, flip=(1,))
    X[ids == 3] -= 0.3  # same inputs distribution, inverted labels
    Xt = rng.normal(size=(100, 5))
    clf = M3SDA(**dict(FAST, epochs=15), lr=0.05, trade_off=0.0, random_state=0)
    clf.fit(X, y, X_target=Xt, sample_domain=ids)
    with torch.no_grad():
        f = torch.as_tensor(clf.embed(Xt), dtype=torch.float32)
        p1, p3 = (z.argmax(1).numpy() for z in clf.net_.head_logits(f))
    rule = (Xt[:, 0] > 0).astype(int)
    assert (p1 == rule).mean() > 0.9 and (p3 == 1 - rule).mean() > 0.9


def test_closer_source_weighs_more_and_uniform_is_uniform(rng):
    Xt = rng.normal(size=(150, 4))
    near = rng.normal(size=(150, 4)) + 0.1
    far = rng.normal(size=(150, 4)) * 3 + 4.0
    X = np.vstack([near, far])
    y = np.r_[(near[:, 0] > 0.1).astype(int), (far[:, 0] > 4).astype(int)]
    ids = np.repeat([1, 2], 150)
    kw = dict(FAST, trade_off=0.0, random_state=0)
    clf = M3SDA(**kw, combination="moment").fit(X, y, X_target=Xt, sample_domain=ids)
    assert clf.source_distances_[0] < clf.source_distances_[1]
    assert clf.source_weights_[0] > clf.source_weights_[1]
    d = clf.source_distances_
    np.testing.assert_allclose(
        clf.source_weights_, np.exp(-d / d.mean()) / np.exp(-d / d.mean()).sum()
    )
    # the default (the paper's re-implementations): equal weights, the same distances
    uniform = M3SDA(**kw).fit(X, y, X_target=Xt, sample_domain=ids)
    assert uniform.combination == "uniform"
    assert uniform.source_weights_.tolist() == [0.5, 0.5]
    np.testing.assert_allclose(uniform.source_distances_, d)
    # training does not depend on the combination: the same epoch gives the same heads,
    # and the default prediction is the plain average of the heads' probabilities
    assert clf.selected_epoch_ == uniform.selected_epoch_ == 2  # selection=None: the last
    with torch.no_grad():
        f = torch.as_tensor(uniform.embed(Xt), dtype=torch.float32)
        heads = [torch.softmax(z, 1).double().numpy() for z in uniform.net_.head_logits(f)]
    np.testing.assert_allclose(uniform.embed(Xt), clf.embed(Xt))
    np.testing.assert_allclose(uniform.predict_proba(Xt), (heads[0] + heads[1]) / 2, rtol=1e-5)
    w = clf.source_weights_
    np.testing.assert_allclose(clf.predict_proba(Xt), w[0] * heads[0] + w[1] * heads[1], rtol=1e-5)


def test_alignment_reduces_the_moment_distance_on_amazon_reviews(data_home):
    """On a real slice (300 reviews per domain, dvd/elec/kitchen -> books), the moment term
    brings the learned features of every domain closer than training without it."""
    from transferkit.datasets import load_domain

    rng = np.random.default_rng(0)
    parts = []
    for d in ("dvd", "elec", "kitchen", "books"):
        X, y = load_domain("amazon_review_400", d, preprocessing="standard")
        idx = rng.choice(len(y), 300, replace=False)
        parts.append((X[idx], y[idx]))
    X = np.vstack([p[0] for p in parts[:3]])
    y = np.concatenate([p[1] for p in parts[:3]])
    ids = np.repeat([1, 2, 3], 300)
    Xt = parts[3][0]

    def distance(clf):
        f, ft = torch.as_tensor(clf.embed(X)), torch.as_tensor(clf.embed(Xt))
        md = float(moment_distance([f[ids == i] for i in (1, 2, 3)], ft, 2))
        return md, md / float(torch.cat([f, ft]).norm(dim=1).mean())

    kw = dict(hidden=(64,), epochs=5, selection=None, dropout=0.0, random_state=0)
    plain = M3SDA(**kw, trade_off=0.0).fit(X, y, X_target=Xt, sample_domain=ids)
    aligned = M3SDA(**kw, trade_off=1.0).fit(X, y, X_target=Xt, sample_domain=ids)
    (md0, rel0), (md1, rel1) = distance(plain), distance(aligned)
    assert md1 < 0.5 * md0
    assert rel1 < 0.7 * rel0  # not only a shrinking of the features
    assert aligned.moment_distances_[-1] < aligned.moment_distances_[0]
    assert aligned.moment_distances_[-1] < 0.5 * plain.moment_distances_[-1]


def test_fit_is_reproducible_and_leaves_global_random_state_alone(rng):
    X, y, ids = _sources(rng, 3)
    Xt = rng.normal(size=(80, 5))
    torch.manual_seed(3)
    before = torch.random.get_rng_state()
    a = M3SDA(**dict(FAST, selection="dev"), random_state=4)
    a.fit(X, y, X_target=Xt, sample_domain=ids)
    assert torch.equal(before, torch.random.get_rng_state())
    b = clone(a).fit(X, y, X_target=Xt, sample_domain=ids)
    c = clone(a).set_params(random_state=5).fit(X, y, X_target=Xt, sample_domain=ids)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    assert not np.array_equal(a.predict_proba(Xt), c.predict_proba(Xt))
    # the label-free selection keeps the best DEV epoch, weights included
    dev = a.selection_scores_["dev"]
    assert a.selected_epoch_ == max(i for i, v in enumerate(dev) if v == min(dev))
    kept = a.predict_proba(Xt), a.source_weights_.copy()
    assert a.n_epochs_recorded_ == 3
    a.use_epoch(0).use_epoch(a.selected_epoch_)
    np.testing.assert_array_equal(kept[0], a.predict_proba(Xt))
    np.testing.assert_array_equal(kept[1], a.source_weights_)
    with pytest.raises(TransferKitInputError, match="epoch must be in"):
        a.use_epoch(3)


def test_errors_name_the_fix(rng):
    X, y, ids = _sources(rng, 2)
    Xt = rng.normal(size=(50, 5))
    with pytest.raises(TransferKitInputError, match="val_fraction > 0"):
        M3SDA(**dict(FAST, selection="dev"), val_fraction=0.0).fit(
            X, y, X_target=Xt, sample_domain=ids
        )
    with pytest.raises(TransferKitInputError, match="image_shape"):
        M3SDA(**FAST, network="lenet").fit(X, y, X_target=Xt, sample_domain=ids)
    with pytest.raises(TransferKitInputError, match="does not match the 5 features"):
        M3SDA(**FAST, image_shape=(1, 2, 2)).fit(X, y, X_target=Xt, sample_domain=ids)


def test_lenet_on_images(rng):
    X = rng.normal(size=(96, 64))
    y = (X[:, :32].mean(1) > 0).astype(int)
    ids = np.repeat([1, 2], 48)
    clf = M3SDA(**FAST, image_shape=(1, 8, 8), features=16, random_state=0)
    clf.fit(X, y, X_target=rng.normal(size=(40, 64)), sample_domain=ids)
    assert clf.predict(X[:5]).shape == (5,) and clf.embed(X[:3]).shape == (3, 16)


def test_tensors_and_datasets_give_the_same_model_as_arrays(rng):
    from torch.utils.data import DataLoader, TensorDataset

    X, y, ids = _sources(rng, 2)
    Xt = rng.normal(size=(80, 5))
    ref = M3SDA(**FAST, random_state=1).fit(X, y, X_target=Xt, sample_domain=ids)
    source = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    target = DataLoader(TensorDataset(torch.as_tensor(Xt)), batch_size=16)
    clf = M3SDA(**FAST, random_state=1).fit(
        source, X_target=target, sample_domain=torch.as_tensor(ids)
    )
    np.testing.assert_allclose(clf.predict_proba(target), ref.predict_proba(Xt), rtol=1e-6)
    assert clf.score(TensorDataset(torch.as_tensor(Xt), torch.as_tensor(Xt[:, 0] > 0))) == (
        ref.score(Xt, (Xt[:, 0] > 0).astype(int))
    )


def test_checkpoint_dir_resumes_an_interrupted_fit_exactly(tmp_path, rng, resume_after_interrupt):
    X, y, ids = _sources(rng, 3)
    Xt = rng.normal(size=(80, 5))
    kw = dict(FAST, epochs=5, dropout=0.3, selection="dev", combination="moment", random_state=2)
    args = ((X, y), dict(X_target=Xt, sample_domain=ids))
    full = M3SDA(**kw).fit(*args[0], **args[1])
    resumed = resume_after_interrupt(M3SDA, kw, args, tmp_path)
    assert (tmp_path / "m3sda.pt").is_file()
    assert full.resumed_from_epoch_ is None and resumed.resumed_from_epoch_ == 2
    np.testing.assert_array_equal(resumed.predict_proba(Xt), full.predict_proba(Xt))
    assert resumed.selection_scores_ == full.selection_scores_
    assert resumed.selected_epoch_ == full.selected_epoch_
    assert resumed.history_ == full.history_
    assert resumed.moment_distances_ == full.moment_distances_
    np.testing.assert_array_equal(resumed.source_weights_, full.source_weights_)
    assert resumed.n_epochs_recorded_ == 5
    # other settings never reuse it: trains anew, as without a checkpoint
    other = dict(kw, combination="uniform")
    with pytest.warns(UserWarning, match="training anew"):
        again = M3SDA(**other, checkpoint_dir=str(tmp_path)).fit(*args[0], **args[1])
    assert again.resumed_from_epoch_ is None
    np.testing.assert_array_equal(
        again.predict_proba(Xt), M3SDA(**other).fit(*args[0], **args[1]).predict_proba(Xt)
    )


def test_parameters_are_those_of_the_other_deep_estimators(rng):
    from transferkit.deep import DANN, AdaptationNet, mlp
    from transferkit.deep.methods import _DeepAdaptation

    shared = _DeepAdaptation._parameter_constraints
    own = M3SDA._parameter_constraints
    assert set(own) == (set(shared) - {"discriminator_hidden"}) | {
        "n_moments",
        "central",
        "combination",
    }
    assert all(own[k] is shared[k] for k in own if k in shared)  # one definition
    assert set(M3SDA().get_params()) == set(own)
    assert set(DANN().get_params()) - set(M3SDA().get_params()) == {"discriminator_hidden"}
    with pytest.raises(TypeError, match="discriminator_hidden"):
        M3SDA(discriminator_hidden=(8,))
    X, y, ids = _sources(rng, 2)
    Xt = rng.normal(size=(40, 5))
    # the networks of the other deep estimators: an AdaptationNet (its trunk and neck),
    # a callable, and torch.device
    net = mlp(5, 2, (8,), 0.0)
    clf = M3SDA(**dict(FAST, hidden=(99,)), network=net, device=torch.device("cpu"))
    clf.fit(X, y, X_target=Xt, sample_domain=ids)
    assert clf.embed(Xt).shape == (40, 8) and len(clf.net_.heads) == 2
    assert clf.net_.trunk is not net.trunk  # copied, the given network is left alone

    def make(d, k):
        return AdaptationNet(torch.nn.Identity(), torch.nn.Linear(d, 3), 3, k)

    made = M3SDA(**FAST, network=make)
    assert made.fit(X, y, X_target=Xt, sample_domain=ids).embed(Xt).shape == (40, 3)
