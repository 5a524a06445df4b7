import numpy as np
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
