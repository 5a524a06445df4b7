import numpy as np
import pytest
from PIL import Image

from transferkit.experiments import parse_config
from transferkit.experiments.data import resolve_data


def test_image_folders_become_one_task(tmp_path):
    for domain, shift in (("src", 0), ("tgt", 40)):
        for label, level in (("dark", 20), ("light", 200)):
            (tmp_path / domain / label).mkdir(parents=True)
            for k in range(3):
                value = level + shift + 5 * k
                Image.new("L", (8, 8), value).save(tmp_path / domain / label / f"{k}.png")
    config = parse_config(
        {"data": [{"images": {"source": "src", "target": "tgt", "size": 4}}], "methods": ["pca"]},
        base_dir=tmp_path,
    )
    (task,) = resolve_data(config)
    assert task.data == "images:src->tgt" and task.task == "src->tgt"
    Xs, ys, Xt, yt = task.load()
    assert Xs.shape == (6, 16) and Xt.shape == (6, 16) and ys.tolist() == yt.tolist()
    before = task.fingerprint
    Image.new("L", (8, 8), 0).save(tmp_path / "tgt" / "dark" / "9.png")
    (again,) = resolve_data(config)
    assert again.fingerprint != before  # a new image invalidates the cells


def test_nilm_simulated_is_one_task_of_vi_features():
    config = parse_config(
        {
            "data": [{"nilm": {"dataset": "simulated", "n_houses": 2, "records_per_appliance": 1}}],
            "methods": ["source_only"],
        }
    )
    (task,) = resolve_data(config)
    assert task.data == "nilm:simulated" and task.task == "US->CN"
    Xs, ys, Xt, _ = task.load()
    assert Xs.shape == (18, 1024) and Xt.shape[1] == 1024 and len(np.unique(ys)) == 9
    assert task.fingerprint["nilm"]["n_houses"] == 2


def test_suite_tasks_keep_the_order_of_the_subset():
    config = parse_config({"data": [{"suite": "digits", "tasks": ["M->U"]}], "methods": ["pca"]})
    (task,) = resolve_data(config)
    assert (task.data, task.task, task.suite) == ("digits", "M->U", "digits")
    assert "protocol" in task.fingerprint


def test_nilm_features_pixels_keep_the_cell_identity_and_efficientnet_is_its_own_data():
    pytest.importorskip("torch")
    from transferkit.nilm import vi_cnn_features

    spec = {"dataset": "simulated", "n_houses": 2, "records_per_appliance": 1}
    pixels, net = resolve_data(
        parse_config(
            {
                "data": [
                    {"nilm": {**spec, "features": "pixels"}},
                    {"nilm": {**spec, "features": "efficientnet"}},
                ],
                "methods": ["source_only"],
            }
        )
    )
    # the default leaves the key out of the fingerprint: cells from before keep their id
    assert "features" not in pixels.fingerprint["nilm"]
    assert net.fingerprint["nilm"]["features"] == "efficientnet"
    assert (net.data, net.task) == ("nilm:simulated:efficientnet", "US->CN (efficientnet)")
    Xs, ys, Xt, yt = net.load()
    Ps, ps, _, pt = pixels.load()
    assert Xs.shape == (18, 1280) and Xt.shape == (18, 1280) and Xs.dtype == np.float32
    assert ys.tolist() == ps.tolist() and yt.tolist() == pt.tolist()
    # the network sees the unblurred images of the same records
    from transferkit.demo import simulated_demo_data

    d = simulated_demo_data(n_houses=2, records_per_appliance=1)
    np.testing.assert_array_equal(Xs, vi_cnn_features(d.images_source))
    np.testing.assert_array_equal(Ps, d.X_source)


def test_nilm_plaid_suites_are_the_nilm_data_entry(data_home):
    """The suites plaid_hfhadc(_efficientnet) load exactly what the nilm entry loads."""
    from transferkit.bench.suites import get_suite

    suite = get_suite("plaid_hfhadc")
    (task,) = resolve_data(
        parse_config({"data": [{"nilm": {"dataset": "plaid_hfhadc"}}], "methods": ["pca"]})
    )
    ours = suite.load(suite.tasks[0])
    for a, b in zip(ours, task.load(), strict=True):
        np.testing.assert_array_equal(a, b)
    Xs, ys, Xt, yt = ours
    assert Xs.shape == (80, 1024) and Xt.shape == (80, 1024)
    assert sorted(set(ys)) == sorted(set(yt)) == ["air_conditioner", "fridge", "kettle", "laptop"]
