"""The ``transferkit distance`` and ``transferkit rank`` commands and their JSON schemas."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from transferkit.cli import app
from transferkit.commands.distance import DISTANCE_SCHEMA
from transferkit.commands.rank import RANK_SCHEMA
from transferkit.metrics import domain_distances, leep, logme, mmd2

runner = CliRunner()


@pytest.fixture
def files(tmp_path, rng):
    ys = np.repeat([0, 1], 40)
    centres = np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 0.0]])
    paths = {}
    for name, shift in (("near", 0.2), ("far", 2.5), ("target", 0.0)):
        X = centres[ys] + rng.normal(scale=0.7, size=(80, 3)) + shift
        np.savez(tmp_path / f"{name}.npz", X=X, y=ys)
        paths[name] = str(tmp_path / f"{name}.npz")
    np.save(tmp_path / "plain.npy", rng.normal(size=(30, 3)))
    np.savetxt(
        tmp_path / "plain.csv", rng.normal(size=(25, 3)), delimiter=",", header="a,b,c", comments=""
    )
    paths["npy"], paths["csv"] = str(tmp_path / "plain.npy"), str(tmp_path / "plain.csv")
    return paths


def test_distance_json_schema(files):
    only = "mmd2_gaussian,energy,proxy_a,coral"
    result = runner.invoke(
        app,
        [
            "distance",
            files["near"],
            files["target"],
            "--json",
            "--n-permutations",
            "50",
            "--n-bootstrap",
            "5",
            "--only",
            only,
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == DISTANCE_SCHEMA
    assert (payload["n_source"], payload["n_target"], payload["n_features"]) == (80, 80, 3)
    names = [d["name"] for d in payload["distances"]]
    assert names == only.split(",")
    for d in payload["distances"]:
        assert set(d) == {"name", "value", "p_value", "ci_low", "ci_high", "details"}
        assert (d["p_value"] is None) != (d["ci_low"] is None)
    X = np.load(files["near"])["X"]
    Y = np.load(files["target"])["X"]
    expected = domain_distances(
        X, Y, n_permutations=50, n_bootstrap=5, random_state=0, include=("mmd2_gaussian",)
    )
    assert payload["distances"][0]["value"] == pytest.approx(expected[0].value)
    assert payload["distances"][0]["p_value"] == pytest.approx(expected[0].p_value)


def test_distance_table_files_and_only(files):
    result = runner.invoke(
        app,
        [
            "distance",
            files["npy"],
            files["csv"],
            "--only",
            "mmd2_gaussian,coral",
            "--n-bootstrap",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "mmd2_gaussian" in result.stdout and "coral" in result.stdout
    assert "energy" not in result.stdout


def test_distance_on_benchmark_domains(data_home):
    result = runner.invoke(
        app,
        [
            "distance",
            "office_caltech10_surf:D",
            "office_caltech10_surf:W",
            "--json",
            "--only",
            "mmd2_gaussian,mmd2_linear",
            "--n-permutations",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    from transferkit.datasets import load_domain

    Xd, _ = load_domain("office_caltech10_surf", "dslr", preprocessing="none")
    Xw, _ = load_domain("office_caltech10_surf", "webcam", preprocessing="none")
    value = payload["distances"][1]["value"]
    assert value == pytest.approx(mmd2(Xd, Xw, kernel="linear"))


def test_distance_errors(files):
    result = runner.invoke(app, ["distance", "amazon", files["target"]])
    assert result.exit_code == 2
    assert "DATASET:DOMAIN" in result.output
    result = runner.invoke(app, ["distance", files["near"], files["target"], "--only", "foo"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["distance", "missing.npy", files["target"]])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_rank_domains_json(files):
    result = runner.invoke(
        app, ["rank", files["target"], "-c", files["far"], "-c", files["near"], "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == RANK_SCHEMA
    assert payload["mode"] == "domains" and payload["ranked_by"] == "mmd2_gaussian"
    assert payload["higher_is_better"] is False
    assert [c["name"] for c in payload["candidates"]] == [files["near"], files["far"]]
    assert [c["rank"] for c in payload["candidates"]] == [1, 2]
    metrics = payload["candidates"][0]["metrics"]
    assert {"mmd2_gaussian", "proxy_a", "leep", "nce"} <= set(metrics)
    by_leep = json.loads(
        runner.invoke(
            app,
            [
                "rank",
                files["target"],
                "-c",
                files["far"],
                "-c",
                files["near"],
                "--by",
                "leep",
                "--json",
            ],
        ).stdout
    )
    assert by_leep["higher_is_better"] is True
    scores = [c["metrics"]["leep"] for c in by_leep["candidates"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("style", ["list", "comma"])
def test_rank_accepts_the_issue_syntax_for_candidates(files, style):
    tail = (
        ["--candidates", files["far"], files["near"]]
        if style == "list"
        else ["--candidates", f"{files['far']},{files['near']}"]
    )
    result = runner.invoke(app, ["rank", files["target"], *tail, "--json"])
    assert result.exit_code == 0, result.output
    names = [c["name"] for c in json.loads(result.stdout)["candidates"]]
    assert names == [files["near"], files["far"]]


def test_rank_features_mode(tmp_path, rng):
    y = np.repeat([0, 1, 2], 30)
    good = np.eye(3)[y] + 0.3 * rng.normal(size=(90, 3))
    bad = rng.normal(size=(90, 3))
    np.savez(tmp_path / "t.npz", X=bad, y=y)
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "bad.npy", bad)
    result = runner.invoke(
        app,
        [
            "rank",
            str(tmp_path / "t.npz"),
            "--features",
            "-c",
            str(tmp_path / "bad.npy"),
            "-c",
            str(tmp_path / "good.npy"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ranked_by"] == "logme" and payload["higher_is_better"] is True
    top = payload["candidates"][0]
    assert top["name"].endswith("good.npy")
    assert top["metrics"]["logme"] == pytest.approx(logme(good, y))
    table = runner.invoke(
        app, ["rank", str(tmp_path / "t.npz"), "--features", "-c", str(tmp_path / "good.npy")]
    )
    assert table.exit_code == 0 and "h_score" in table.stdout
    short = runner.invoke(
        app,
        [
            "rank",
            str(tmp_path / "t.npz"),
            "--features",
            "-c",
            str(tmp_path / "good.npy"),
            "-c",
            str(tmp_path / "t.npz"),
        ],
    )
    assert short.exit_code == 0
    np.save(tmp_path / "wrong.npy", good[:10])
    wrong = runner.invoke(
        app, ["rank", str(tmp_path / "t.npz"), "--features", "-c", str(tmp_path / "wrong.npy")]
    )
    assert wrong.exit_code == 2 and "rows" in wrong.output


def test_leep_in_rank_uses_source_only_logistic_regression(files):
    from sklearn.linear_model import LogisticRegression

    src, tgt = np.load(files["near"]), np.load(files["target"])
    probs = LogisticRegression(max_iter=2000).fit(src["X"], src["y"]).predict_proba(tgt["X"])
    payload = json.loads(
        runner.invoke(app, ["rank", files["target"], "-c", files["near"], "--json"]).stdout
    )
    assert payload["candidates"][0]["metrics"]["leep"] == pytest.approx(leep(probs, tgt["y"]))
