"""JDA, BDA and weighted BDA: dense-algorithm equivalence, published numbers, contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier

from transferkit import LabelError, TransferKitInputError
from transferkit.mapping import BDA, JDA
from transferkit.mapping.jda import _bda_a_distance as proxy_a_distance

from ._reference import dense_jda, dense_mmd, dense_solve, same_subspace_embedding
from ._tasks import one_nn_accuracy


def _task(rng, ns=45, nt=40, d=6):
    ys = np.repeat([0, 1, 2], ns // 3)
    centres = rng.normal(scale=2.0, size=(3, d))
    Xs = centres[ys] + rng.normal(size=(ns, d))
    yt = np.repeat([0, 1, 2], nt // 3 + 1)[:nt]
    Xt = 1.3 * (centres[yt] + rng.normal(size=(nt, d))) + 0.8
    return Xs, ys, Xt, yt


@pytest.mark.parametrize(("kernel", "d"), [("primal", 6), ("linear", 60), ("rbf", 6)])
def test_jda_solves_the_dense_published_problem(kernel, d, rng):
    Xs, ys, Xt, _ = _task(rng, d=d)
    jda = JDA(n_components=4, kernel=kernel, lambda_=0.3, n_iter=3, gamma=0.1)
    jda.fit(Xs, ys, X_target=Xt)
    ref = dense_jda(Xs, ys, Xt, kernel=kernel, lam=0.3, k=4, T=3, gamma=0.1)
    ours = np.vstack([jda.transform(Xs, "source"), jda.transform(Xt, "target")])
    assert same_subspace_embedding(ours, ref, atol=1e-6)


def test_bda_balance_factor_and_jda_equivalence(rng):
    Xs, ys, Xt, _ = _task(rng)
    jda = JDA(n_components=3, n_iter=4, lambda_=0.5).fit(Xs, ys, X_target=Xt)
    bda = BDA(n_components=3, n_iter=4, lambda_=0.5, mu=0.5).fit(Xs, ys, X_target=Xt)
    assert np.allclose(jda.transform(Xt), bda.transform(Xt))
    mu = 0.2
    bda = BDA(n_components=3, n_iter=3, lambda_=0.5, mu=mu).fit(Xs, ys, X_target=Xt)
    ref = dense_jda(Xs, ys, Xt, lam=0.5, k=3, T=3, mu=mu)
    ours = np.vstack([bda.transform(Xs, "source"), bda.transform(Xt)])
    assert same_subspace_embedding(ours, ref, atol=1e-6)
    assert bda.mu_history_ == [mu] * 3


def test_weighted_bda_uses_class_prior_ratios(rng):
    Xs, ys, Xt, _ = _task(rng)
    wbda = BDA(n_components=3, n_iter=2, lambda_=0.5, mu=1.0, weighted=True)
    wbda.fit(Xs, ys, X_target=Xt)
    # Dense reference: 1-NN on the raw features, then one solve with alpha = Pt / Ps.
    X = np.vstack([Xs, Xt])
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    pseudo = KNeighborsClassifier(1).fit(Xs, ys).predict(Xt)
    for _ in range(2):
        alpha = np.bincount(pseudo, minlength=3) / pseudo.size / (np.bincount(ys) / ys.size)
        M = dense_mmd(ys, pseudo, Xt.shape[0], mu=1.0, alpha=alpha)
        Z = dense_solve(X, M, kernel="primal", lam=0.5, k=3)
        pseudo = KNeighborsClassifier(1).fit(Z[:45], ys).predict(Z[45:])
    ours = np.vstack([wbda.transform(Xs, "source"), wbda.transform(Xt)])
    assert same_subspace_embedding(ours, Z, atol=1e-6)


def test_bda_estimates_mu_from_proxy_a_distances(rng):
    Xs, ys, Xt, _ = _task(rng)
    bda = BDA(n_components=3, n_iter=3, mu="auto").fit(Xs, ys, X_target=Xt)
    assert bda.mu_history_[0] == 0.0
    assert all(0.0 <= m <= 1.0 for m in bda.mu_history_)
    assert len(set(bda.mu_history_[1:])) >= 1 and bda.mu_history_[1] > 0


def test_proxy_a_distance_limits(rng):
    a = rng.normal(size=(80, 3))
    assert proxy_a_distance(a, a + 10.0) == pytest.approx(2.0)
    assert proxy_a_distance(a, a.copy()) <= 0.5
    assert proxy_a_distance(a, a[:0]) == 0.0


def test_labelled_target_samples_keep_their_labels(rng):
    Xs, ys, Xt, yt = _task(rng)
    y_target = np.full(yt.size, -1)
    y_target[:6] = yt[:6]
    jda = JDA(n_components=3, n_iter=3).fit(Xs, ys, X_target=Xt, y_target=y_target)
    assert np.array_equal(jda.pseudo_labels_[:6], yt[:6])


def test_pseudo_label_history_records_every_solve(rng):
    Xs, ys, Xt, _ = _task(rng)
    jda = JDA(n_components=3, n_iter=4, lambda_=0.5).fit(Xs, ys, X_target=Xt)
    history = jda.pseudo_label_history_
    assert len(history) == 4
    # Entry t feeds solve t + 1: the last solve used the second-to-last entry ...
    assert np.array_equal(jda.pseudo_labels_, history[-2])
    # ... and the last entry is the 1-NN prediction in the final embedding.
    knn = KNeighborsClassifier(1).fit(jda.transform(Xs, "source"), ys)
    assert np.array_equal(history[-1], knn.predict(jda.transform(Xt, "target")))
    # Fixing the target labels to entry t and solving once reproduces entry t + 1.
    one_step = JDA(n_components=3, n_iter=2, lambda_=0.5)
    one_step.fit(Xs, ys, X_target=Xt, y_target=history[1])
    assert np.array_equal(one_step.pseudo_label_history_[1], history[2])


def test_string_labels_and_estimator_contract(rng):
    Xs, ys, Xt, _ = _task(rng)
    names = np.array(["cat", "dog", "eel"])[ys]
    Xs0 = Xs.copy()
    jda = JDA(n_components=3, n_iter=2, kernel="rbf", approximation="nystroem", n_landmarks=40)
    jda.set_params(random_state=1)
    a = jda.fit(Xs, names, X_target=Xt).transform(Xt)
    assert set(jda.pseudo_labels_) <= set(names)
    assert np.array_equal(a, clone(jda).fit(Xs, names, X_target=Xt).transform(Xt))
    assert np.array_equal(Xs, Xs0)


@pytest.mark.parametrize(
    ("cls", "params", "match"),
    [
        (JDA, {"n_iter": 0}, r"'n_iter' parameter of JDA must be an int in the range \[1, 10000\]"),
        (JDA, {"lambda_": -1.0}, r"'lambda_' parameter of JDA must be a float in the range \(0"),
        (BDA, {"mu": 1.5}, r"'mu' parameter of BDA must be a float in the range \[0.0, 1.0\]"),
        (BDA, {"mu": "balanced"}, "'auto'"),
        (JDA, {"n_components": 7}, "n_components=7 exceeds the rank 6"),
    ],
)
def test_jda_rejects_bad_parameters(cls, params, match, rng):
    Xs, ys, Xt, _ = _task(rng)
    with pytest.raises(TransferKitInputError, match=match):
        cls(**{"n_components": 3, **params}).fit(Xs, ys, X_target=Xt)


def test_jda_rejects_bad_labels(rng):
    Xs, ys, Xt, yt = _task(rng)
    with pytest.raises(LabelError, match="source labels"):
        JDA(n_components=3).fit(Xs, X_target=Xt)
    with pytest.raises(LabelError, match="never occur in the source"):
        JDA(n_components=3).fit(Xs, ys, X_target=Xt, y_target=yt + 5)
    with pytest.raises(LabelError, match="labels but the matching X has"):
        JDA(n_components=3).fit(Xs, ys[:-1], X_target=Xt)


# Published JDA (Long et al., ICCV 2013, Table 2; PUBLISHED_RESULTS.md sections 1a, 2, 3):
# primal kernel, k=100, lambda=0.1, T=10 on digits/COIL; linear, lambda=1 on SURF.
JDA_PUBLISHED = [
    ("mnist_usps", "U", "M", "primal", 0.1, 59.65),
    ("mnist_usps", "M", "U", "primal", 0.1, 67.28),
    ("coil20", "coil1", "coil2", "primal", 0.1, 89.31),
    ("coil20", "coil2", "coil1", "primal", 0.1, 88.47),
    ("office_caltech10_surf", "W", "D", "linear", 1.0, 89.17),
    ("office_caltech10_surf", "D", "W", "linear", 1.0, 89.49),
]


@pytest.mark.usefixtures("data_home")
@pytest.mark.parametrize(
    ("dataset", "source", "target", "kernel", "lam", "published"), JDA_PUBLISHED
)
def test_jda_reproduces_the_paper(dataset, source, target, kernel, lam, published):
    jda = JDA(n_components=100, kernel=kernel, lambda_=lam, n_iter=10)
    acc = one_nn_accuracy(jda, dataset, source, target)
    assert abs(acc - published) <= 0.5, acc


@pytest.mark.usefixtures("data_home")
def test_bda_matches_published_values():
    """[JPDA-S] BDA U->M 59.90 (mu estimated, k=100, lambda=0.1, T=10, 1-NN)."""
    acc = one_nn_accuracy(BDA(100, lambda_=0.1, mu="auto"), "mnist_usps", "U", "M")
    assert abs(acc - 59.90) <= 0.5, acc


@pytest.mark.parametrize("cls", [JDA, BDA])
def test_wide_primal_map_solved_in_the_sample_space_equals_the_feature_space(cls, rng):
    """n < d: the primal problem restricted to the row space has the same solution."""
    Xs, ys, Xt, _ = _task(rng)
    lift = rng.normal(size=(Xs.shape[1], 120))  # 6 -> 120 features, n = 85 samples
    Xs, Xt = np.tanh(Xs @ lift), np.tanh(Xt @ lift)
    fast = cls(n_components=5, n_iter=3, lambda_=0.5).fit(Xs, ys, X_target=Xt)
    assert fast.kernel_ == "primal" and fast.kernel_factor_.mode_ == "primal_samples"
    slow = cls(n_components=5, n_iter=3, lambda_=0.5, kernel="primal")
    slow._primal_space = "features"
    slow.fit(Xs, ys, X_target=Xt)
    assert slow.kernel_factor_.mode_ == "primal"
    assert fast.projection_.shape == slow.projection_.shape == (120, 5)
    np.testing.assert_allclose(fast.eigenvalues_, slow.eigenvalues_, rtol=1e-8)
    # same components up to sign
    signs = np.sign(np.sum(fast.projection_ * slow.projection_, axis=0))
    np.testing.assert_allclose(fast.projection_, slow.projection_ * signs, atol=1e-7)
    np.testing.assert_array_equal(fast.pseudo_labels_, slow.pseudo_labels_)
    Zf, Zs = fast.transform(Xt), slow.transform(Xt)
    np.testing.assert_allclose(Zf, Zs * signs, atol=1e-7)
