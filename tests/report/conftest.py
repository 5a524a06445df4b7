"""Fixtures of the report tests: a real results folder of the tiny synthetic suite."""

from __future__ import annotations

import pytest

import bench._fake as _fake
from transferkit.bench import run_benchmark

fake_suite = _fake.fake_suite


@pytest.fixture
def tiny_results(fake_suite, tmp_path):
    """``transferkit bench tiny --methods source_only,coral --seeds 2`` in a temp folder."""
    out = tmp_path / "results"
    state = run_benchmark(
        "tiny",
        ["source_only", "coral"],
        seeds=2,
        output_dir=out,
        verbose=False,
        plot=False,
        memory="none",
    )
    assert all(c["status"] == "ok" for c in state["cells"])
    return out
