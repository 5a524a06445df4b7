"""One Flower simulation of the small federation, shared by the tests that read it."""

from __future__ import annotations

import pytest
from _horizontal_setup import SETTINGS, make_clients


@pytest.fixture(scope="session")
def simulated(tmp_path_factory):
    """The fitted simulation (shared batch-norm) and its ``(round, history row)`` calls."""
    from transferkit.federated.horizontal import FederatedFineTune

    workdir = tmp_path_factory.mktemp("sim")
    rounds = []
    fed = FederatedFineTune(mode="simulation", workdir=str(workdir), **SETTINGS)
    return fed.fit(make_clients(), round_callback=lambda r, row: rounds.append((r, row))), rounds
