import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from transferkit import JointPCA, TransferKitInputError, make_transfer_pipeline
from transferkit.datasets import load_task

# Long et al. ICCV 2013, Table 2, PCA column (k = 100), PUBLISHED_RESULTS.md section 1a.
JDA_PAPER_PCA = {
    "CA": 36.95, "CW": 32.54, "CD": 38.22, "AC": 34.73, "AW": 35.59, "AD": 27.39,
    "WC": 26.36, "WA": 31.00, "WD": 77.07, "DC": 29.65, "DA": 32.05, "DW": 75.93,
}  # fmt: skip


def test_joint_pca_reproduces_jda_paper_exactly(data_home):
    accuracies = []
    for task, published in JDA_PAPER_PCA.items():
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", task[0], task[1])
        model = make_transfer_pipeline(JointPCA(n_components=100), KNeighborsClassifier(1))
        acc = 100 * model.fit(Xs, ys, X_target=Xt).score(Xt, yt)
        assert round(acc, 2) == published, (task, acc)
        accuracies.append(acc)
    assert round(float(np.mean(accuracies)), 2) == 39.79


def test_joint_pca_matches_sklearn_pca_on_stacked_data(rng):
    Xs, Xt = rng.normal(size=(40, 6)), rng.normal(size=(30, 6)) * 2 + 1
    ours = JointPCA(n_components=3).fit(Xs, X_target=Xt)
    ref = PCA(n_components=3).fit(np.vstack([Xs, Xt]))
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_)
    np.testing.assert_allclose(np.abs(ours.transform(Xt)), np.abs(ref.transform(Xt)), atol=1e-10)


def test_joint_pca_rejects_too_many_components(rng):
    with pytest.raises(TransferKitInputError, match="n_components=7 exceeds the 6 features"):
        JointPCA(n_components=7).fit(rng.normal(size=(9, 6)), X_target=rng.normal(size=(9, 6)))
