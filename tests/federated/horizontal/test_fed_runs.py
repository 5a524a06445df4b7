"""Federated fine-tuning end to end on Flower: the simulation runtime (Ray) and the
deployment runtime (a SuperLink and SuperNodes as OS processes over TLS on loopback).

Both runs use the same clients, settings and seed. The server sorts the replies by
client before averaging (in float64), and every client trains with one torch thread, so
the two runtimes give bit-identical bodies and heads.
"""

from __future__ import annotations

import numpy as np
import pytest
from _horizontal_setup import SETTINGS, make_clients

from transferkit.federated.horizontal import (
    BODY_PREFIX,
    ClientFailureError,
    FederatedFineTune,
    build_net,
    fedavg,
    load_head,
)
from transferkit.federated.horizontal.client import CLIENT_DATA_FILE

_clients = make_clients


def test_simulation_fits_a_shared_body_and_a_head_per_client(simulated):
    fed, rounds = simulated
    data = _clients()
    assert [fed.score(X, y, client=k) for k, (X, y) in enumerate(data)] == [1.0, 1.0]
    # one client's head on the other client's data is wrong: the heads are personal
    assert fed.score(*data[1], client=0) < 0.5
    assert [r for r, _ in rounds] == [1, 2] and len(fed.history_) == 2
    row = fed.history_[-1]
    assert row["clients"] == 2 and row["failed"] == [] and row["seconds"] > 0
    from flwr.app import Array

    # Flower's count: each array serialised (.npy bytes, header included) plus its name
    body_bytes = sum(len(Array(v).data) + len(k) for k, v in fed.body_.items())
    raw = sum(v.nbytes for v in fed.body_.values())
    assert row["bytes_up"] == row["bytes_down"] == 2 * body_bytes
    assert raw < body_bytes < raw + 200 * len(fed.body_)


def test_only_the_body_leaves_the_clients(simulated):
    fed, _ = simulated
    body_keys = set(fed.body_)
    assert body_keys and all(k.startswith(BODY_PREFIX) for k in body_keys)
    assert len(fed.audit_) == 2 * 2  # two clients, two rounds
    for entry in fed.audit_:
        assert entry["error"] is None
        assert entry["records"] == ["arrays", "metrics"]
        assert set(entry["arrays"]) == body_keys  # no head.* array, nothing else
        assert entry["metrics"] == ["num-examples", "partition-id", "train-loss"]
    # the heads live in the clients' own folders only
    heads = [load_head(fed.workdir + f"/client-{k}") for k in range(2)]
    for k in range(2):
        assert set(heads[k]) == {"head.weight", "head.bias"}
        np.testing.assert_array_equal(heads[k]["head.weight"], fed.heads_[k]["head.weight"])
    assert not np.allclose(heads[0]["head.weight"], heads[1]["head.weight"])


def test_the_server_body_is_fedavg_of_the_last_round(tmp_path):
    """One round, one local epoch: re-running each client's local step by hand and
    averaging by sample counts gives the server's body."""
    from transferkit.federated.horizontal.client import local_round

    settings = dict(SETTINGS, rounds=1)
    fed = FederatedFineTune(mode="simulation", workdir=str(tmp_path / "fed"), **settings)
    fed.fit(_clients())
    config = fed.run_config(2, tmp_path / "unused")
    config["server-round"] = 1
    start = build_net("small_cnn", config["backbone-kwargs"], 2, config["random-state"])
    body0 = {k: v.numpy() for k, v in start.state_dict().items() if k.startswith(BODY_PREFIX)}
    updates = []
    for k, (X, y) in enumerate(_clients()):
        from transferkit.federated.horizontal import save_client_data
        from transferkit.finetune.transforms import as_images

        folder = tmp_path / f"replay-{k}"
        save_client_data(folder, as_images(X, (1, 8, 8)).numpy(), y)
        body, n, _ = local_round(folder, k, body0, config)
        updates.append((body, n))
    expected = fedavg(updates)
    for key, value in expected.items():
        np.testing.assert_array_equal(fed.body_[key], value)


def test_a_client_that_fails_mid_run_stops_it_with_a_clear_error(tmp_path):
    workdir = tmp_path / "fed"

    def lose_data(server_round, row):  # client 1 loses its data after round 1
        if server_round == 1:
            (workdir / "client-1" / CLIENT_DATA_FILE).unlink()

    fed = FederatedFineTune(mode="simulation", workdir=str(workdir), **SETTINGS)
    with pytest.raises(ClientFailureError, match=r"1 of 2 clients failed in round 2") as info:
        fed.fit(_clients(), round_callback=lose_data)
    assert "client data" in str(info.value) and "on_client_failure='skip'" in str(info.value)


def test_skip_leaves_a_failed_client_out_and_the_run_goes_on(tmp_path):
    """``on_client_failure="skip"`` end to end: client 1 loses its data after round 1; round
    2 averages client 0 alone, so the final body is client 0's round-2 body (replayed)."""
    from transferkit.federated.horizontal import local_round, save_client_data
    from transferkit.finetune.transforms import as_images

    workdir = tmp_path / "fed"

    def lose_data(server_round, row):
        if server_round == 1:
            (workdir / "client-1" / CLIENT_DATA_FILE).unlink()

    fed = FederatedFineTune(
        mode="simulation", workdir=str(workdir), on_client_failure="skip", **SETTINGS
    )
    fed.fit(_clients(), round_callback=lose_data)
    assert [row["clients"] for row in fed.history_] == [2, 1]
    assert fed.history_[0]["failed"] == []
    (failure,) = fed.history_[1]["failed"]
    assert "client data" in failure["reason"]
    errors = [e for e in fed.audit_ if e["error"] is not None]
    assert len(errors) == 1 and errors[0]["round"] == 2
    assert fed.history_[1]["bytes_up"] == fed.history_[0]["bytes_up"] // 2

    config = fed.run_config(2, tmp_path / "unused")
    start = build_net("small_cnn", config["backbone-kwargs"], 2, config["random-state"])
    body = {k: v.numpy() for k, v in start.state_dict().items() if k.startswith(BODY_PREFIX)}
    folders = []
    for k, (X, y) in enumerate(_clients()):
        folders.append(tmp_path / f"replay-{k}")
        save_client_data(folders[-1], as_images(X, (1, 8, 8)).numpy(), y)
    updates = [local_round(f, k, body, config | {"server-round": 1}) for k, f in enumerate(folders)]
    body = fedavg([(b, n) for b, n, _ in updates])
    expected, _, _ = local_round(folders[0], 0, body, config | {"server-round": 2})
    for key, value in expected.items():
        np.testing.assert_array_equal(fed.body_[key], value)


def test_deployment_over_tls_gives_the_simulation_model(simulated, tmp_path):
    fed_sim, _ = simulated
    fed = FederatedFineTune(mode="deployment", tls=True, workdir=str(tmp_path), **SETTINGS)
    fed.fit(_clients())
    assert set(fed.body_) == set(fed_sim.body_)
    for key in fed.body_:
        np.testing.assert_array_equal(fed.body_[key], fed_sim.body_[key])
    for mine, theirs in zip(fed.heads_, fed_sim.heads_, strict=True):
        for key in mine:
            np.testing.assert_array_equal(mine[key], theirs[key])
    assert [set(e["arrays"]) for e in fed.audit_] == [set(fed.body_)] * 4
    assert (
        "--ssl-certfile" in " ".join((tmp_path / "logs" / "superlink.log").read_text())
        or (tmp_path / "tls" / "ca.crt").exists()
    )
