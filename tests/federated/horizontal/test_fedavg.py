"""FedAvg over bodies against its closed form, the body/head split, and the server's
aggregation of replies (order, failures, a head that tries to leave)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from transferkit._validation import TransferKitInputError
from transferkit.federated.horizontal import (
    BODY_PREFIX,
    ClientFailureError,
    body_arrays,
    build_net,
    fedavg,
    head_arrays,
    load_arrays,
)
from transferkit.federated.horizontal.server import _strategy_class


def test_fedavg_is_the_sample_weighted_mean(rng):
    counts = [7, 30, 3]
    updates = [
        ({"w": rng.normal(size=(4, 3)), "b": rng.normal(size=5).astype(np.float32)}, n)
        for n in counts
    ]
    out = fedavg(updates)
    for key in ("w", "b"):
        stacked = np.stack([np.asarray(u[key], dtype=np.float64) for u, _ in updates])
        closed = np.tensordot(np.array(counts) / sum(counts), stacked, axes=1)
        assert out[key].dtype == updates[0][0][key].dtype
        np.testing.assert_allclose(out[key], closed, rtol=1e-6 if key == "b" else 1e-12)
    # equal counts: the plain mean
    same = fedavg([(u, 5) for u, _ in updates])
    np.testing.assert_allclose(same["w"], np.mean([u["w"] for u, _ in updates], axis=0))


def test_fedavg_rounds_integer_buffers_and_refuses_bad_input():
    out = fedavg([({"n": np.array(3)}, 1), ({"n": np.array(6)}, 2)])
    assert out["n"].dtype.kind == "i" and int(out["n"]) == 5
    with pytest.raises(TransferKitInputError, match="positive sample counts"):
        fedavg([({"w": np.zeros(2)}, 0)])
    with pytest.raises(TransferKitInputError, match="same body"):
        fedavg([({"w": np.zeros(2)}, 1), ({"v": np.zeros(2)}, 1)])
    with pytest.raises(TransferKitInputError, match="shape"):
        fedavg([({"w": np.zeros(2)}, 1), ({"w": np.zeros(3)}, 1)])
    with pytest.raises(TransferKitInputError, match="at least one"):
        fedavg([])


def test_body_and_head_split_the_network():
    net = build_net("small_cnn", {"widths": (4, 8, 8)}, 3, seed=0)
    body, head = body_arrays(net), head_arrays(net)
    assert set(body) | set(head) == set(net.state_dict())
    assert all(k.startswith(BODY_PREFIX) for k in body)
    assert set(head) == {"head.weight", "head.bias"}
    other = build_net("small_cnn", {"widths": (4, 8, 8)}, 3, seed=1)
    load_arrays(other, body, BODY_PREFIX)
    assert all(torch.equal(other.state_dict()[k], torch.as_tensor(v)) for k, v in body.items())
    assert not torch.equal(other.head.weight, net.head.weight)  # the head was left alone
    with pytest.raises(TransferKitInputError, match="do not fit"):
        load_arrays(other, head, BODY_PREFIX)


# ---------------------------------------------------------------- the server's aggregation
def _array(value):
    return SimpleNamespace(numpy=lambda: value, shape=value.shape, dtype=str(value.dtype))


class _Record(dict):
    def count_bytes(self):
        return sum(a.numpy().nbytes for a in self.values())


def _reply(node, partition, arrays, n):
    content = SimpleNamespace(
        array_records={"arrays": _Record({k: _array(v) for k, v in arrays.items()})},
        metric_records={
            "metrics": {"num-examples": n, "train-loss": 0.5, "partition-id": partition}
        },
        keys=lambda: ["arrays", "metrics"],
    )
    return SimpleNamespace(
        metadata=SimpleNamespace(src_node_id=node), has_error=lambda: False, content=content
    )


def _failed(node, reason):
    return SimpleNamespace(
        metadata=SimpleNamespace(src_node_id=node),
        has_error=lambda: True,
        error=SimpleNamespace(reason=reason, code=0),
    )


def _strategy(on_failure, expected):
    log = []
    strategy = _strategy_class()(
        body_keys={"backbone.w"},
        on_failure=on_failure,
        record=lambda *args: log.append(args),
        min_train_nodes=1,
        min_available_nodes=1,
    )
    strategy.expected = expected
    return strategy, log


def test_server_average_does_not_depend_on_the_reply_order():
    a = {"backbone.w": np.array([0.1, 0.2, 0.3], dtype=np.float32)}
    b = {"backbone.w": np.array([1e-8, 7.0, -3.3], dtype=np.float32)}
    c = {"backbone.w": np.array([5.5, 1e7, 0.7], dtype=np.float32)}
    replies = [_reply(11, 0, a, 3), _reply(12, 1, b, 5), _reply(13, 2, c, 2)]
    outs = []
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        strategy, log = _strategy("raise", 3)
        arrays, metrics = strategy.aggregate_train(1, [replies[i] for i in order])
        outs.append(arrays["backbone.w"].numpy())
        assert metrics["num-examples"] == 10 and len(log[0][1]) == 3
    assert all(np.array_equal(outs[0], o) for o in outs[1:])
    expected = fedavg([(a, 3), (b, 5), (c, 2)])["backbone.w"]
    assert np.array_equal(outs[0], expected)


def test_server_refuses_a_reply_that_carries_a_head():
    leaky = {"backbone.w": np.zeros(2, dtype=np.float32), "head.weight": np.ones(2)}
    strategy, _ = _strategy("raise", 1)
    with pytest.raises(ClientFailureError, match="only backbone"):
        strategy.aggregate_train(1, [_reply(11, 0, leaky, 3)])


def test_a_failed_client_stops_the_run_or_is_skipped():
    ok = _reply(11, 0, {"backbone.w": np.ones(2, dtype=np.float32)}, 4)
    bad = _failed(12, "FileNotFoundError: client data missing")
    strategy, log = _strategy("raise", 2)
    with pytest.raises(ClientFailureError, match=r"1 of 2 clients failed in round 3.*node 12"):
        strategy.aggregate_train(3, [ok, bad])
    assert log[0][2] == [(12, "FileNotFoundError: client data missing (code 0)")]
    strategy, log = _strategy("skip", 3)  # one failure and one client that never answered
    arrays, metrics = strategy.aggregate_train(2, [ok, bad])
    assert np.array_equal(arrays["backbone.w"].numpy(), np.ones(2, dtype=np.float32))
    assert metrics["num-examples"] == 4 and len(log[0][2]) == 2
    assert "no reply" in log[0][2][1][1]
    strategy, _ = _strategy("skip", 1)
    with pytest.raises(ClientFailureError, match="1 of 1 clients"):
        strategy.aggregate_train(1, [bad])


def _replay(tmp_path, **options):
    """The small federation replayed in-process (local_round + fedavg, as the Flower apps
    run them); returns each client's accuracy on its own data."""
    from _horizontal_setup import SETTINGS, make_clients

    from transferkit.federated.horizontal import (
        FederatedFineTune,
        load_head,
        local_round,
        save_client_data,
    )
    from transferkit.finetune import predict_logits
    from transferkit.finetune.transforms import as_images

    fed = FederatedFineTune(**SETTINGS, **options)
    fed.classes_ = np.array([0, 1])
    config = fed.run_config(2, tmp_path / "unused")
    body = body_arrays(build_net("small_cnn", config["backbone-kwargs"], 2, 3))
    data = make_clients()
    folders = []
    for k, (X, y) in enumerate(data):
        folders.append(tmp_path / "-".join(f"{v}" for v in options.values()) / f"c{k}")
        save_client_data(folders[-1], as_images(X, (1, 8, 8)).numpy(), y)
    for r in range(1, SETTINGS["rounds"] + 1):
        replies = [
            local_round(f, k, body, config | {"server-round": r}) for k, f in enumerate(folders)
        ]
        body = fedavg([(b, n) for b, n, _ in replies])
    scores = []
    for folder, (X, y) in zip(folders, data, strict=True):
        net = build_net("small_cnn", config["backbone-kwargs"], 2, 3)
        load_arrays(net, body, BODY_PREFIX)
        load_arrays(net, load_head(folder), "head.")
        pred = predict_logits(net, as_images(X, (1, 8, 8))).argmax(1).numpy()
        scores.append(float((pred == y).mean()))
    return scores


def test_a_shared_initial_head_fails_clients_with_personal_label_semantics(tmp_path):
    """Why ``shared_head_init`` defaults to False: the two clients label the same inputs
    oppositely; with their own random heads both are fitted, with one shared start the
    bodies are pulled in opposite directions and one client collapses."""
    assert _replay(tmp_path) == [1.0, 1.0]
    shared = _replay(tmp_path, shared_head_init=True)
    assert min(shared) < 0.5


def test_fedbn_keeps_batch_norm_on_the_clients(tmp_path):
    """local-batchnorm: the reply lacks every batch-norm array, the client keeps its own
    (trained) ones and uses them instead of the received ones from round 2 on; the server
    averages the rest and re-sends its initial batch-norm arrays unchanged."""
    from _horizontal_setup import SETTINGS, make_clients

    from transferkit.federated.horizontal import (
        FederatedFineTune,
        batchnorm_keys,
        load_local_batchnorm,
        local_round,
        save_client_data,
    )
    from transferkit.finetune.transforms import as_images

    fed = FederatedFineTune(**SETTINGS, local_batchnorm=True)
    fed.classes_ = np.array([0, 1])
    config = fed.run_config(2, tmp_path / "unused")
    net = build_net("small_cnn", config["backbone-kwargs"], 2, 3)
    body, bn = body_arrays(net), batchnorm_keys(net)
    assert bn and all(k.startswith(BODY_PREFIX) for k in bn)
    assert any(k.endswith("running_mean") for k in bn) and any(k.endswith("weight") for k in bn)
    X, y = make_clients()[0]
    save_client_data(tmp_path / "c0", as_images(X, (1, 8, 8)).numpy(), y)
    reply, n, _ = local_round(tmp_path / "c0", 0, body, config | {"server-round": 1})
    assert set(reply) == set(body) - bn and n == 24
    own = load_local_batchnorm(tmp_path / "c0")
    assert set(own) == bn
    assert not np.allclose(own[sorted(k for k in bn if "running_mean" in k)[0]], 0.0)
    # round 2: the received batch-norm arrays are ignored, the client's own are used: a
    # copy of the client given garbage ones trains exactly like one given the initial ones
    import shutil

    save_client_data(tmp_path / "c1", as_images(X, (1, 8, 8)).numpy(), y)
    for name in ("head.safetensors", "batchnorm.safetensors"):
        shutil.copy(tmp_path / "c0" / name, tmp_path / "c1" / name)
    garbage = reply | {k: np.full_like(body[k], 7) for k in bn}
    clean = reply | {k: body[k] for k in bn}
    a, _, _ = local_round(tmp_path / "c0", 0, garbage, config | {"server-round": 2})
    b, _, _ = local_round(tmp_path / "c1", 0, clean, config | {"server-round": 2})
    assert set(a) == set(b) == set(body) - bn
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    # without local-batchnorm the received arrays count: the same two runs differ
    shared = config | {"server-round": 2, "local-batchnorm": False}
    c, _, _ = local_round(tmp_path / "c0", 0, garbage, shared)
    d, _, _ = local_round(tmp_path / "c1", 0, clean, shared)
    assert not all(np.array_equal(c[k], d[k]) for k in a)
    # the server side: only the shared part is averaged, the batch-norm arrays are fixed
    strategy = _strategy_class()(
        body_keys=set(body) - bn,
        on_failure="raise",
        record=lambda *args: None,
        fixed={k: body[k] for k in bn},
        min_train_nodes=1,
        min_available_nodes=1,
    )
    strategy.expected = 1
    arrays, _ = strategy.aggregate_train(1, [_reply(11, 0, reply, n)])
    assert set(arrays) == set(body)
    for k in bn:
        np.testing.assert_array_equal(arrays[k].numpy(), body[k])
    with pytest.raises(ClientFailureError, match="only backbone"):
        strategy.aggregate_train(1, [_reply(11, 0, reply | {k: own[k] for k in bn}, n)])
