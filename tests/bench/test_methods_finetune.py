"""The finetune_* entries: the rows of benchmarks/finetune_mnist_usps.py on digits_pixels."""

import pytest

from transferkit.bench import get_method, list_methods
from transferkit.finetune import BSS, L2SP, FewShotFineTune

ROWS = {
    "finetune_source_only": ("source_only", "full", None),
    "finetune_scratch": ("scratch", "full", None),
    "finetune_linear_probe": ("finetune", "linear_probe", None),
    "finetune_last_k": ("finetune", "last_k", None),
    "finetune_full": ("finetune", "full", None),
    "finetune_discriminative": ("finetune", "discriminative", None),
    "finetune_gradual": ("finetune", "gradual", None),
    "finetune_l2sp": ("finetune", "full", L2SP),
    "finetune_bss": ("finetune", "full", BSS),
}


def test_the_entries_run_on_raw_pixels_only():
    on_pixels = {m.name for m in list_methods("digits_pixels")}
    assert set(ROWS) <= on_pixels
    for suite in ("digits", "office_caltech_surf", "amazon"):
        assert not set(ROWS) & {m.name for m in list_methods(suite)}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_entry_is_the_script_row(name):
    spec = get_method(name)
    mode, policy, regularizer = ROWS[name]
    assert spec.uses_target_labels == (mode != "source_only")
    est = spec.build(4)
    assert isinstance(est, FewShotFineTune)
    params = est.get_params()
    assert (params["mode"], params["policy"]) == (mode, policy)
    assert params["random_state"] == 4 and params["n_threads"] == 1
    assert params["backbone"] == "small_cnn" and params["backbone_kwargs"]["widths"] == (16, 32, 64)
    assert (params["pretrain_epochs"], params["pretrain_lr"], params["pretrain_batch_size"]) == (
        10,
        1e-3,
        64,
    )
    assert (params["epochs"], params["min_steps"], params["lr"], params["batch_size"]) == (
        8,
        120,
        1e-3,
        32,
    )
    assert (params["augment_shift"], params["last_k"], params["lr_decay"]) == (1, 1, 0.3)
    reg = params["regularizer"]
    if regularizer is None:
        assert reg is None
    elif regularizer is L2SP:
        assert isinstance(reg, L2SP) and (reg.alpha, reg.beta) == (0.1, 0.01)
    else:
        assert isinstance(reg, BSS) and (reg.eta, reg.k) == (0.001, 1)
    if reg is not None:
        assert spec.build(4).get_params()["regularizer"] is not reg  # a fresh one per build
