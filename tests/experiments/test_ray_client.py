"""``ray://`` connections: a session the head's Ray Client server failed to start is retried.

The failure itself (a crash of the session server that the head forks,
ray-project/ray#63202) cannot be provoked on demand, so these tests give
:func:`~transferkit.experiments.engine._connect` a stand-in for the ``ray`` module whose
``init`` raises Ray's own error text. What was measured on a real head is in
docs/experiments.md (Ray Client).
"""

from __future__ import annotations

import warnings

import pytest

from transferkit.experiments import engine
from transferkit.experiments.engine import _connect

# What ray.init("ray://...") raised when the session server died (Ray 2.55, copied from a run).
SERVER_DIED = (
    "Initialization failure from server:\nTraceback (most recent call last):\n"
    '  File ".../ray/util/client/server/proxier.py", line 771, in Datapath\n'
    "    raise RuntimeError(\nRuntimeError: Starting Ray client server failed. See "
    "ray_client_server_23000.err for detailed logs.\n"
)


class FakeRay:
    """``init`` raises the queued errors in turn, then connects; counts ``shutdown``."""

    def __init__(self, errors):
        self.errors = list(errors)
        self.inits = []
        self.shutdowns = 0
        self.connected = False

    def init(self, **kwargs):
        self.inits.append(kwargs)
        if self.errors:
            raise self.errors.pop(0)
        self.connected = True

    def shutdown(self):
        self.shutdowns += 1


def test_a_dead_session_server_is_retried_until_a_connection_works():
    ray = FakeRay([ConnectionAbortedError(SERVER_DIED)] * 2)
    with pytest.warns(RuntimeWarning, match=r"connecting again \([23] of 3\)") as caught:
        _connect(ray, "ray://10.0.0.1:10001", log_to_driver=False)
    assert ray.connected and len(ray.inits) == 3 and ray.shutdowns == 2
    assert ray.inits[-1] == {"address": "ray://10.0.0.1:10001", "log_to_driver": False}
    assert [str(w.message).rsplit("again ", 1)[1] for w in caught] == ["(2 of 3).", "(3 of 3)."]
    assert "ray-project/ray#63202" in str(caught[0].message)


def test_the_last_failure_says_what_happened_and_what_to_do():
    ray = FakeRay([ConnectionAbortedError(SERVER_DIED)] * engine._CLIENT_ATTEMPTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ConnectionError) as raised:
            _connect(ray, "ray://10.0.0.1:10001")
    message = str(raised.value)
    assert "address='ray://10.0.0.1:10001'" in message
    assert "failed to start a session 3 times in a row" in message
    assert "logs/ray_client_server_*.err" in message and "ray-project/ray#63202" in message
    assert "--address HEAD_IP:6379" in message
    assert isinstance(raised.value.__cause__, ConnectionAbortedError)
    assert len(ray.inits) == 3 and not ray.connected


def _no_local_node() -> ConnectionError:
    """What ray.init("HOST:PORT") raised on a machine without a node (Ray 2.55)."""
    error = ConnectionError("Failed to connect to Ray cluster at 10.77.0.1:6379")
    error.__cause__ = RuntimeError(
        "No node info found matching attributes: '' when trying to resolve node to connect to."
    )
    return error


def test_a_gcs_address_from_a_machine_without_a_node_says_what_to_use():
    ray = FakeRay([_no_local_node()])
    with pytest.raises(ConnectionError) as raised:
        _connect(ray, "10.77.0.1:6379")
    message = str(raised.value)
    assert message.startswith("address='10.77.0.1:6379': this machine runs no Ray node")
    assert "`ray start --address 10.77.0.1:6379`" in message
    assert "--address ray://HEAD_IP:10001" in message
    assert len(ray.inits) == 1


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("10.0.0.1:6379", ConnectionAbortedError(SERVER_DIED)),  # not a Ray Client address
        ("ray://10.0.0.1:10001", ConnectionAbortedError("version mismatch")),  # other cause
        ("ray://10.0.0.1:10001", ConnectionError("Ray Client connection timed out")),
        ("10.0.0.1:6379", ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379")),
    ],
)
def test_other_failures_are_raised_at_once(address, error):
    ray = FakeRay([error])
    with pytest.raises(type(error)) as raised:
        _connect(ray, address)
    assert raised.value is error and len(ray.inits) == 1
