"""The two feature sets of V-I images: blurred pixels and frozen ImageNet-network features."""

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.nilm import vi_cnn_features, vi_features


def _images(n=3):
    t = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    phase = np.linspace(0.2, 1.4, n)[:, None]
    return vi_features(np.sin(t)[None].repeat(n, 0), np.sin(t[None] - phase))[1]


def test_cnn_features_are_the_pooled_head_of_efficientnet_on_the_scaled_rgb_image():
    torch = pytest.importorskip("torch")
    from transferkit.finetune import load_backbone

    images = _images()
    ours = vi_cnn_features(images)
    # by hand: bilinear resize to 64x64, grey -> RGB, (255 x - 127) / 128, mean of "head"
    x = torch.as_tensor(images, dtype=torch.float32)[:, None]
    x = torch.nn.functional.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    x = (255 * x.repeat(1, 3, 1, 1) - 127) / 128
    net = load_backbone("efficientnet_lite0", pretrained=True).eval()
    with torch.no_grad():
        expected = net.forward_stages(x).mean(dim=(2, 3)).numpy()
    assert ours.shape == (3, 1280) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    # different trajectories give different features; the input is left as it was
    assert not np.allclose(ours[0], ours[2])
    np.testing.assert_array_equal(images, _images())


def test_cnn_features_refuse_what_is_not_a_stack_of_grey_images():
    with pytest.raises(TransferKitInputError, match="expected a non-empty"):
        vi_cnn_features(np.zeros((2, 1024)))
    with pytest.raises(TransferKitInputError, match="NaN"):
        vi_cnn_features(np.full((2, 32, 32), np.nan))
    with pytest.raises(TransferKitInputError, match="expected a non-empty"):
        vi_cnn_features(np.zeros((0, 32, 32)))
