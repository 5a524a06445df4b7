import shutil

import numpy as np
import pytest

from transferkit.datasets import (
    DatasetChecksumError,
    DatasetNotFoundError,
    get_data_home,
    load_domain,
    load_plaid_subset,
    load_task,
    verify_dataset,
)
from transferkit.datasets._files import dataset_info


def test_data_home_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSFERKIT_DATA", str(tmp_path / "env"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("TRANSFERKIT_DATA")
    home = get_data_home()
    assert home.name in ("data", "transferkit_data")


@pytest.mark.parametrize(
    ("dataset", "domain", "shape", "n_classes"),
    [
        ("office_caltech10_surf", "caltech", (1123, 800), 10),
        ("office_caltech10_surf", "W", (295, 800), 10),
        ("mnist_usps", "usps", (1800, 256), 10),
        ("coil20", "coil2", (720, 1024), 20),
        ("amazon_review_400", "dvd", (1999, 400), 2),
    ],
)
def test_domains_have_published_shapes(data_home, dataset, domain, shape, n_classes):
    X, y = load_domain(dataset, domain)
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],)
    assert np.array_equal(np.unique(y), np.arange(n_classes))


def test_standard_preprocessing_surf_is_l1_then_population_zscore(data_home):
    raw, _ = load_domain("office_caltech10_surf", "dslr", preprocessing="none")
    X, _ = load_domain("office_caltech10_surf", "dslr", preprocessing="standard")
    l1 = raw / raw.sum(axis=1, keepdims=True)
    sd = l1.std(axis=0)
    expected = (l1 - l1.mean(0)) / np.where(sd == 0, 1, sd)
    np.testing.assert_allclose(X, expected)
    kept = sd > 0
    np.testing.assert_allclose(X[:, kept].std(axis=0), 1.0)


def test_standard_preprocessing_digits_is_unit_l2(data_home):
    Xs, ys, Xt, yt = load_task("mnist_usps", "U", "M")
    np.testing.assert_allclose(np.linalg.norm(Xs, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(Xt, axis=1), 1.0)
    assert Xs.shape == (1800, 256) and Xt.shape == (2000, 256)
    # JDA convention: label k means digit k - 1, so label 0 is digit 0.
    assert ys.min() == 0 and yt.max() == 9


def test_unknown_domain_and_dataset_are_named(data_home):
    with pytest.raises(ValueError, match="Unknown domain 'paris'"):
        load_domain("office_caltech10_surf", "paris")
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_domain("imagenet", "a")
    with pytest.raises(ValueError, match="preprocessing='zscore'"):
        load_domain("coil20", "coil1", preprocessing="zscore")


def test_missing_file_names_file_location_and_source(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load_domain("coil20", "coil1", data_home=tmp_path)
    text = str(err.value)
    assert "coil20/COIL_1.mat" in text and str(tmp_path) in text
    assert "AngryCarrot/JDA" in text and "TRANSFERKIT_DATA" in text


def test_altered_file_is_refused(data_home, tmp_path):
    info = dataset_info("amazon_review_400")
    for file in info.files:
        target = tmp_path / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_home / file.path, target)
    altered = tmp_path / "amazon_review_400/books_400.mat"
    payload = bytearray(altered.read_bytes())
    payload[-1] ^= 0xFF
    altered.write_bytes(bytes(payload))
    with pytest.raises(DatasetChecksumError, match=r"books_400\.mat"):
        load_domain("amazon_review_400", "books", data_home=tmp_path)
    statuses = {s.path.name: s.status for s in verify_dataset("amazon_review_400", tmp_path)}
    assert statuses["books_400.mat"] == "altered" and statuses["dvd_400.mat"] == "ok"


def test_plaid_subset(data_home):
    plaid = load_plaid_subset()
    assert plaid.current.shape == plaid.voltage.shape == (250, 500)
    assert len(plaid.class_names) == 12 and plaid.labels.max() == 11
    assert "Blender" not in plaid.class_names
    assert set(np.unique(plaid.on_events)) == {0, 1}
