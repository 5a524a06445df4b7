"""Fine-tuning policies: which parameters move, with which learning rate."""

from __future__ import annotations

import pytest
import torch

from transferkit.finetune import (
    DiscriminativeLR,
    GradualUnfreezing,
    LastKStages,
    LinearProbe,
    SmallCNN,
    TransferNet,
    make_policy,
    train_net,
)


def _net():
    torch.manual_seed(0)
    return TransferNet(SmallCNN(widths=(4, 8, 8)), 3)


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(24, 1, 8, 8, generator=g), torch.randint(0, 3, (24,), generator=g)


def _changed(before, after):
    return {k: not torch.equal(before[k], after[k]) for k in before}


def _train(policy, epochs=2):
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X, y = _data()
    train_net(net, X, y, policy=policy, epochs=epochs, lr=1e-2, batch_size=8, verbose=False)
    return _changed(before, net.state_dict())


def test_linear_probe_freezes_backbone_including_bn_statistics():
    ch = _train("linear_probe")
    assert not any(v for k, v in ch.items() if k.startswith("backbone."))
    assert ch["head.weight"] and ch["head.bias"]


def test_last_k_trains_only_the_top_stage():
    ch = _train(LastKStages(1))
    assert not any(v for k, v in ch.items() if "block1" in k or "block2" in k)
    assert ch["backbone.stages.block3.0.weight"] and ch["head.weight"]
    assert ch["backbone.stages.block3.1.running_mean"]  # trained stage in train mode


def test_full_trains_everything():
    ch = _train("full")
    assert ch["backbone.stages.block1.0.weight"] and ch["backbone.stages.block3.0.weight"]


def test_gradual_unfreezing_schedule():
    pol = GradualUnfreezing(epochs_per_stage=1)
    assert [pol.trainable_stages(3, e) for e in range(5)] == [0, 1, 2, 3, 3]
    ch = _train(pol, epochs=2)  # epoch 0 head only, epoch 1 + block3
    assert ch["backbone.stages.block3.0.weight"]
    assert not ch["backbone.stages.block2.0.weight"] and not ch["backbone.stages.block1.0.weight"]


def test_discriminative_learning_rates():
    net = _net()
    groups = DiscriminativeLR(decay=0.5).param_groups(net, lr=0.1)
    assert [g["lr"] for g in groups] == pytest.approx([0.0125, 0.025, 0.05, 0.1])
    assert sum(len(g["params"]) for g in groups) == len(list(net.parameters()))


def test_linear_probe_groups_cover_all_params():
    net = _net()
    groups = LinearProbe().param_groups(net, lr=1.0)
    assert sum(len(g["params"]) for g in groups) == len(list(net.parameters()))
    LinearProbe().apply(net, 0)
    assert [p.requires_grad for p in net.backbone.parameters()] == [False] * len(
        list(net.backbone.parameters())
    )


def test_make_policy_errors_and_names():
    assert isinstance(make_policy("gradual"), GradualUnfreezing)
    with pytest.raises(ValueError, match="policy='freeze_all' is not supported"):
        make_policy("freeze_all")
    with pytest.raises(ValueError, match="k must be"):
        _train(LastKStages(-1))
