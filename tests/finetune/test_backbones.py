"""Backbone registry, the packaged ImageNet weights, safe checkpoints."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from torch import nn

from transferkit.finetune import (
    Backbone,
    SmallCNN,
    UnknownBackboneError,
    available_backbones,
    load_backbone,
    load_checkpoint,
    register_backbone,
    save_checkpoint,
    state_dict_sha256,
)
from transferkit.finetune.backbones import (
    EFFICIENTNET_LITE0_FILE_SHA256,
    efficientnet_lite0_weights_path,
)

# SHA-256 over (name, shape, dtype, bytes) of every tensor of the packaged weight file.
LITE0_STATE_SHA256 = "0deb2ddd2999f43cb5d7b349095c91dd1334ad97116fcec94b7d3b53d21035c8"


@pytest.fixture(scope="module")
def lite0():
    return load_backbone("efficientnet_lite0", pretrained=True).eval()


def _synthetic_images() -> dict[str, np.ndarray]:
    yy, xx = np.mgrid[0:224, 0:224]
    checker = ((yy // 28) + (xx // 28)) % 2 * 255.0
    grid = (((yy % 16) < 2) | ((xx % 16) < 2)) * 255.0
    rings = (np.hypot(yy - 112, xx - 112) // 10) % 2 * 255.0
    return {"checker": checker, "grid": grid, "rings": rings}


def _to_input(img: np.ndarray) -> torch.Tensor:
    x = torch.tensor((img - 127.0) / 128.0, dtype=torch.float32)
    return x[None, None].repeat(1, 3, 1, 1)


def test_weight_file_and_state_dict_checksums(lite0):
    path = efficientnet_lite0_weights_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EFFICIENTNET_LITE0_FILE_SHA256
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert state_dict_sha256(state) == LITE0_STATE_SHA256
    # the registry's backbone holds exactly the file's tensors (under its own names)
    ours = sorted(
        hashlib.sha256(t.numpy().tobytes()).hexdigest() for t in lite0.state_dict().values()
    )
    theirs = sorted(hashlib.sha256(t.numpy().tobytes()).hexdigest() for t in state.values())
    assert ours == theirs
    assert torch.equal(lite0.stages["stem"][0].weight, state["_conv_stem.weight"])
    assert torch.equal(lite0.pretrained_head.weight, state["_fc.weight"])
    assert lite0.pretrained_head.out_features == 1000 and lite0.out_features == 1280


def test_imagenet_predictions_on_generated_images(lite0):
    """Only ImageNet-trained weights name these textures: a checkerboard is a crossword
    puzzle (918), a fine grid a window screen (904), concentric rings a maze (646)."""
    imgs = _synthetic_images()
    x = torch.cat([_to_input(imgs[k]) for k in ("checker", "grid", "rings")])
    with torch.no_grad():
        p = lite0.predict_pretrained(x).softmax(1)
    assert p.argmax(1).tolist() == [918, 904, 646]
    assert p[2, 646] > 0.5 and p[1, 904] > 0.3
    # an untrained network of the same architecture is near uniform (max prob ~ 1/1000)
    torch.manual_seed(0)
    raw = load_backbone("efficientnet_lite0", pretrained=False).eval()
    with torch.no_grad():
        q = raw.predict_pretrained(x).softmax(1)
    assert q.max() < 0.01


def test_stages_reproduce_the_packaged_network(lite0):
    from efficientnet_lite_pytorch import EfficientNet

    ref = EfficientNet.from_name("efficientnet-lite0", image_size=None)
    ref.load_state_dict(torch.load(efficientnet_lite0_weights_path(), weights_only=True))
    ref.eval()
    x = _to_input(_synthetic_images()["rings"][::2, ::2])  # 112 x 112
    with torch.no_grad():
        assert torch.allclose(lite0.predict_pretrained(x), ref(x), atol=1e-5)


def test_unknown_name_lists_available():
    with pytest.raises(UnknownBackboneError, match=r"efficientnet_lite0.*small_cnn"):
        load_backbone("resnet50")
    assert "efficientnet_lite0" in available_backbones()


def test_no_packaged_weights_error():
    with pytest.raises(ValueError, match="no packaged weights"):
        load_backbone("small_cnn", pretrained=True)


def test_register_any_module_and_duplicates():
    register_backbone("test_linear", lambda pretrained=False: nn.Linear(5, 2), overwrite=True)
    bb = load_backbone("test_linear", pretrained=False)
    assert isinstance(bb, Backbone) and bb(torch.zeros(3, 5)).shape == (3, 2)
    with pytest.raises(ValueError, match="already registered"):
        register_backbone("test_linear", lambda pretrained=False: nn.Linear(5, 2))
    register_backbone("test_noout", lambda pretrained=False: nn.ReLU(), overwrite=True)
    with pytest.raises(TypeError, match="out_features"):
        load_backbone("test_noout", pretrained=False)


def test_safetensors_round_trip_and_checksum(tmp_path):
    torch.manual_seed(0)
    a, b = SmallCNN(widths=(4, 8, 8)), SmallCNN(widths=(4, 8, 8))
    path = save_checkpoint(a, tmp_path / "cnn")
    assert path.suffix == ".safetensors"
    load_checkpoint(b, path)
    assert state_dict_sha256(a) == state_dict_sha256(b)
    with pytest.raises(ValueError, match="SHA-256"):
        load_checkpoint(b, path, expected_sha256="0" * 64)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(b, tmp_path / "missing.pt")


class _Evil:
    def __reduce__(self):
        return (print, ("arbitrary code ran",))


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"weight": _Evil()}, path)
    with pytest.raises(ValueError, match="safely"):
        load_checkpoint(SmallCNN(widths=(4, 8, 8)), path)


def test_weights_only_torch_file_accepted(tmp_path):
    torch.manual_seed(1)
    a, b = SmallCNN(widths=(4, 8, 8)), SmallCNN(widths=(4, 8, 8))
    torch.save({"state_dict": a.state_dict()}, tmp_path / "a.pt")
    load_checkpoint(b, tmp_path / "a.pt")
    assert state_dict_sha256(a) == state_dict_sha256(b)


def test_split_shares_weights_and_matches_forward():
    torch.manual_seed(0)
    bb = SmallCNN(widths=(4, 8, 16)).eval()
    x = torch.rand(3, 1, 16, 16)
    for k in (1, 2, 3):
        prefix, top = bb.split(k)
        assert torch.allclose(top(prefix(x)), bb(x), atol=1e-6)
    prefix, top = bb.split(1)
    assert top.stages["block3"] is bb.stages["block3"]
    with pytest.raises(ValueError, match="k must be"):
        bb.split(4)
