"""Readable ``distance``/``rank`` tables: full names, directions, consensus, p-value floor."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import rankdata
from typer.testing import CliRunner

from transferkit.cli import app
from transferkit.commands._format import fmt_p_value, short_names
from transferkit.commands.rank import _caption

runner = CliRunner()


@pytest.fixture
def long_named_files(tmp_path, rng):
    ys = np.repeat([0, 1], 30)
    paths = []
    for name, shift in (
        ("target_domain", 0.0),
        ("candidate_very_long_name_alpha", 0.3),
        ("candidate_very_long_name_bravo", 1.5),
        ("candidate_very_long_name_charlie", 3.0),
    ):
        X = np.c_[ys, -ys, ys] * 2.0 + rng.normal(scale=0.7, size=(60, 3)) + shift
        np.savez(tmp_path / f"{name}.npz", X=X, y=ys)
        paths.append(str(tmp_path / f"{name}.npz"))
    return paths


@pytest.mark.parametrize("columns", [100, 60, 200])
def test_rank_table_keeps_names_whole_in_narrow_terminals(long_named_files, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    target, *cands = long_named_files
    result = runner.invoke(app, ["rank", target, *[a for c in cands for a in ("-c", c)]])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= columns
    for name in ("candidate_very_long_name_alpha", "_bravo", "_charlie"):
        assert name in result.output, result.output  # never "candidate_..." or "cand…"
    assert "…" not in result.output
    assert "↓ better" in result.output and "↑ better" in result.output  # mmd vs leep
    assert "mean rank" in result.output


def test_rank_on_benchmark_domains_at_100_columns(data_home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    args = ["rank", "office_caltech10_surf:webcam", "-c", "office_caltech10_surf:amazon"]
    args += ["-c", "office_caltech10_surf:dslr", "-c", "office_caltech10_surf:caltech"]
    result = runner.invoke(app, [*args, "--max-samples", "200"])
    assert result.exit_code == 0, result.output
    assert "office_…" not in result.output and "…" not in result.output
    for name in ("amazon", "dslr", "caltech", "office_caltech10_surf"):
        assert name in result.output


def test_mean_rank_is_the_consensus_of_the_metrics(long_named_files):
    target, *cands = long_named_files
    result = runner.invoke(app, ["rank", target, *[a for c in cands for a in ("-c", c)], "--json"])
    payload = json.loads(result.stdout)
    assert payload["directions"]["leep"] == "higher"
    assert payload["directions"]["mmd2_gaussian"] == "lower"
    used = payload["consensus"]
    assert len(used) >= 2
    rows = payload["candidates"]
    ranks = [
        rankdata(
            [(-1 if payload["directions"][k] == "higher" else 1) * c["metrics"][k] for c in rows]
        )
        for k in used
    ]
    expected = np.mean(ranks, axis=0)
    np.testing.assert_allclose([c["mean_rank"] for c in rows], expected)


def test_caption_says_when_metrics_disagree():
    payload = {
        "directions": {"mmd2_gaussian": "lower", "leep": "higher"},
        "candidates": [
            {"metrics": {"mmd2_gaussian": 0.1, "leep": -2.0}},
            {"metrics": {"mmd2_gaussian": 0.2, "leep": -1.0}},
        ],
    }
    text = _caption(payload, ["amazon", "dslr"], ["mmd2_gaussian", "leep"])
    assert "disagree" in text and "amazon by mmd2_gaussian" in text and "dslr by leep" in text
    payload["candidates"][1]["metrics"]["leep"] = -3.0
    assert "disagree" not in _caption(payload, ["amazon", "dslr"], ["mmd2_gaussian", "leep"])


def test_p_value_at_the_permutation_floor(tmp_path, rng):
    np.save(tmp_path / "a.npy", rng.normal(size=(60, 3)))
    np.save(tmp_path / "b.npy", rng.normal(size=(60, 3)) + 3.0)
    args = ["distance", str(tmp_path / "a.npy"), str(tmp_path / "b.npy")]
    result = runner.invoke(app, [*args, "--only", "mmd2_gaussian,energy", "--n-permutations", "50"])
    assert result.exit_code == 0, result.output
    assert result.output.count("< 1/51") >= 2 + 1  # two rows and the caption
    assert "0.01961" not in result.output and "0.0196" not in result.output
    assert "↓ closer" in result.output


def test_formatting_helpers():
    assert fmt_p_value(1 / 201, 200) == "< 1/201"
    assert fmt_p_value(2 / 201, 200) == "0.00995"
    assert short_names(["d:amazon", "d:dslr"]) == ("d", ["amazon", "dslr"])
    assert short_names(["d:amazon", "e:dslr"]) == (None, ["d:amazon", "e:dslr"])
    assert short_names(["x/a.npy", "y/a.npy"]) == (None, ["x/a.npy", "y/a.npy"])
