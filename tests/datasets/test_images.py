import numpy as np
import pytest
from PIL import Image

from transferkit._validation import TransferKitInputError
from transferkit.datasets.images import load_image_folder


def _folder(root, values):
    for name, levels in values.items():
        (root / name).mkdir(parents=True)
        for k, level in enumerate(levels):
            Image.new("L", (10, 6), level).save(root / name / f"{k}.png")
    return root


def test_reads_classes_in_order_resizes_and_scales(tmp_path):
    root = _folder(tmp_path / "d", {"b_bright": [255, 204], "a_dark": [0]})
    (root / "a_dark" / "notes.txt").write_text("not an image")
    X, y, classes = load_image_folder(root, size=5)
    assert classes == ["a_dark", "b_bright"] and y.tolist() == [0, 1, 1]
    assert X.shape == (3, 25)
    np.testing.assert_allclose(X.mean(axis=1), [0.0, 1.0, 0.8])
    Xc, _, _ = load_image_folder(root, size=4, grayscale=False)
    assert Xc.shape == (3, 48)


def test_target_uses_the_source_classes(tmp_path):
    _folder(tmp_path / "s", {"a": [0], "b": [255]})
    _folder(tmp_path / "t", {"b": [255]})
    _, yt, _ = load_image_folder(tmp_path / "t", classes=["a", "b"])
    assert yt.tolist() == [1]
    _folder(tmp_path / "u", {"c": [0]})
    with pytest.raises(TransferKitInputError, match="class 'c', which the source does not have"):
        load_image_folder(tmp_path / "u", classes=["a", "b"])


def test_bad_folders_and_files_are_named(tmp_path):
    with pytest.raises(TransferKitInputError, match="does not exist"):
        load_image_folder(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TransferKitInputError, match="no class sub-folders"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "noimg" / "a").mkdir(parents=True)
    with pytest.raises(TransferKitInputError, match="holds no images"):
        load_image_folder(tmp_path / "noimg")
    (tmp_path / "noimg" / "a" / "x.png").write_bytes(b"not a png")
    with pytest.raises(TransferKitInputError, match=r"x\.png' is not a readable image"):
        load_image_folder(tmp_path / "noimg")
