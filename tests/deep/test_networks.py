"""The networks: the channels-last LeNet computes what the NCHW one computes."""

from __future__ import annotations

import torch

from transferkit.deep import lenet


def test_channels_last_lenet_matches_the_default_layout():
    torch.manual_seed(0)
    fast = lenet((1, 16, 16), 10)
    plain = lenet((1, 16, 16), 10, channels_last=False)
    plain.load_state_dict(fast.state_dict())
    conv = fast.trunk[3].weight  # 20 -> 50 channels (the first conv has one input channel)
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert plain.trunk[3].weight.is_contiguous()
    x = torch.rand(8, 1, 16, 16)
    fast.eval(), plain.eval()
    (la, fa), (lb, fb) = fast.forward_features(x), plain.forward_features(x)
    torch.testing.assert_close(la, lb, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fa, fb, rtol=1e-5, atol=1e-5)
    la.square().sum().backward()
    lb.square().sum().backward()
    for (name, a), b in zip(fast.named_parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5, msg=name)
    # the regions TADA reads keep their (n, C, H, W) shape
    assert fast.trunk_map(x).shape == (8, 50, 4, 4)
