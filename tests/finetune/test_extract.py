"""Multi-layer pooled features: hooks, pooling, batching, the disk cache."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from transferkit.finetune import (
    FeatureCacheWarning,
    PretrainedFeatures,
    SmallCNN,
    extract_features,
)


@pytest.fixture
def cnn():
    torch.manual_seed(0)
    return SmallCNN(widths=(4, 8, 16)).eval()


@pytest.fixture
def images(rng):
    return rng.random((7, 256))


def test_matches_manual_forward(cnn, images):
    F = extract_features(
        cnn, images, ["block1", "block3"], image_shape=(1, 16, 16), pool="avgmax", verbose=False
    )
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 16, 16)
    with torch.no_grad():
        a1 = cnn.stages["block1"](x)
        a3 = cnn.stages["block3"](cnn.stages["block2"](a1))
    expected = torch.cat([a1.mean((2, 3)), a1.amax((2, 3)), a3.mean((2, 3)), a3.amax((2, 3))], 1)
    assert F.shape == (7, 2 * 4 + 2 * 16)
    np.testing.assert_allclose(F, expected.numpy(), rtol=1e-5, atol=1e-6)
    # default layer = last stage = the backbone's own pooled output
    with torch.no_grad():
        np.testing.assert_allclose(
            extract_features(cnn, images, image_shape=(1, 16, 16), verbose=False),
            cnn(x).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


def test_batch_size_invariant_and_input_untouched(cnn, images):
    before = images.copy()
    a = extract_features(
        cnn, images, "block2", image_shape=(1, 16, 16), batch_size=2, verbose=False
    )
    b = extract_features(
        cnn, images, "block2", image_shape=(1, 16, 16), batch_size=64, verbose=False
    )
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(images, before)
    assert cnn.training is False


def test_cache_hit_and_key(cnn, images, tmp_path):
    calls = []
    hook = cnn.register_forward_hook(lambda *a: calls.append(1))
    kw = dict(image_shape=(1, 16, 16), cache_dir=tmp_path, verbose=False)
    a = extract_features(cnn, images, "block3", **kw)
    n_first = len(calls)
    b = extract_features(cnn, images, "block3", **kw)
    assert len(calls) == n_first and np.array_equal(a, b)  # read from disk, no forward
    extract_features(cnn, images, "block2", **kw)  # other layer -> new entry
    extract_features(cnn, images[:5], "block3", **kw)  # other data -> new entry
    with torch.no_grad():
        cnn.stages["block3"][0].weight.mul_(2)  # other weights -> new entry
    c = extract_features(cnn, images, "block3", **kw)
    hook.remove()
    assert len(list(tmp_path.glob("features-*.npz"))) == 4
    assert not np.allclose(a, c)


def _corrupt_cache(kind, path, features):
    """Replace the cache file at ``path`` in one of several hostile ways."""
    if kind == "foreign (3, 2) array":  # the defect: any file with the right name was trusted
        with open(path, "wb") as fh:
            np.save(fh, np.zeros((3, 2)))
    elif kind == "other settings":
        np.savez(path, features=features, key=np.str_("0" * 64), digest=np.str_("0"))
    elif kind == "wrong shape":
        data = dict(np.load(path))
        np.savez(path, **{**data, "features": data["features"][:3]})
    elif kind == "flipped value":
        data = dict(np.load(path))
        data["features"][0, 0] += 1.0
        np.savez(path, **data)
    elif kind == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    else:  # random bytes
        path.write_bytes(np.random.default_rng(0).bytes(500))


@pytest.mark.parametrize(
    "kind",
    [
        "foreign (3, 2) array",
        "other settings",
        "wrong shape",
        "flipped value",
        "truncated",
        "empty",
        "random bytes",
    ],
)
def test_a_bad_cache_file_is_recomputed_with_a_warning(cnn, images, tmp_path, kind):
    kw = dict(image_shape=(1, 16, 16), cache_dir=tmp_path, verbose=False)
    expected = extract_features(cnn, images, "block3", **kw)
    (path,) = tmp_path.glob("features-*.npz")
    _corrupt_cache(kind, path, expected)
    with pytest.warns(FeatureCacheWarning, match=f"feature cache {path}.*recomputing"):
        again = extract_features(cnn, images, "block3", **kw)
    np.testing.assert_array_equal(again, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entry is valid again
        np.testing.assert_array_equal(extract_features(cnn, images, "block3", **kw), expected)


def test_errors(cnn, images):
    with pytest.raises(ValueError, match="layer 'conv9' not found"):
        extract_features(cnn, images, "conv9", image_shape=(1, 16, 16), verbose=False)
    with pytest.raises(ValueError, match="image_shape"):
        extract_features(cnn, images, verbose=False)
    bad = images.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        extract_features(cnn, bad, image_shape=(1, 16, 16), verbose=False)
    with pytest.raises(ValueError, match="pool"):
        extract_features(cnn, images, image_shape=(1, 16, 16), pool="median", verbose=False)
    with pytest.raises(ValueError, match="transform_id"):
        extract_features(
            cnn,
            images,
            image_shape=(1, 16, 16),
            transform=lambda t: t,
            cache_dir="x",
            verbose=False,
        )


def test_pretrained_features_multilayer_widths():
    pf = PretrainedFeatures(
        layers=("stage4", "stage6", "head"), image_shape=(1, 16, 16), resize_to=32, verbose=False
    )
    F = pf.fit_transform(np.zeros((2, 256)))
    assert F.shape == (2, 80 + 192 + 1280)
    assert np.all(np.isfinite(F))
