"""``transferkit federated simulate|deploy|client|app``: clear errors, and a real run."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from _horizontal_setup import make_clients as _clients
from typer.testing import CliRunner

from transferkit.cli import USAGE_ERROR, app
from transferkit.federated.horizontal import load_client_data

runner = CliRunner()


def _write_clients(folder, with_test=True):
    paths = []
    for k, (X, y) in enumerate(_clients()):
        path = folder / f"c{k}.npz"
        extra = {"X_test": X, "y_test": y} if with_test else {}
        np.savez(path, X=X, y=y, **extra)
        paths.append(path)
    return paths


def _args(paths, out):
    args = ["federated", "simulate", "--out", str(out)]
    for p in paths:
        args += ["--client", str(p)]
    return [
        *args,
        "--image-shape",
        "1,8,8",
        "--widths",
        "4,8,8",
        "--rounds",
        "2",
        "--local-epochs",
        "2",
        "--lr",
        "0.01",
        "--batch-size",
        "8",
        "--random-state",
        "3",
        "--shared-batchnorm",
    ]


def _error(result, *words):
    assert result.exit_code == USAGE_ERROR, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert text.startswith("Error:"), text
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda a, p, t: a[: a.index("--client") + 2] + a[a.index("--client") + 4 :],
            ["at least 2"],
        ),
        (lambda a, p, t: [*a, "--image-shape", "1,8"], ["--image-shape '1,8'", "C,H,W"]),
        (lambda a, p, t: [*a, "--image-shape", "1,4,4"], ["client_datasets[0]", "(n, 16)"]),
        (lambda a, p, t: [*a, "--widths", "4,x,8"], ["--widths '4,x,8'"]),
        (lambda a, p, t: [*a, "--policy", "bogus"], ["policy='bogus'", "linear_probe"]),
        (lambda a, p, t: [*a, "--lr", "0"], ["lr must"]),
        (lambda a, p, t: [*a, "--on-client-failure", "retry"], ["on_client_failure='retry'"]),
        (lambda a, p, t: [*a, "--initial-body", str(t / "none.safetensors")], ["initial_body="]),
        (lambda a, p, t: [*a, "--client", str(t / "missing.npz")], ["does not exist"]),
        (lambda a, p, t: [*a, "--client", str(t / "random.npz")], ["not a readable .npz"]),
        (lambda a, p, t: [*a, "--client", str(t / "no_y.npz")], ["lacks ['y']"]),
        (lambda a, p, t: [*a, "--client", str(t / "half_test.npz")], ["only one of X_test"]),
        (lambda a, p, t: [*a, "--client", str(t / "nan.npz")], ["NaN"]),
        (lambda a, p, t: [*a, "--client", str(t / "forged.npz")], ["claims a", "truncated"]),
    ],
    ids=[
        "one client",
        "two-number shape",
        "wrong shape",
        "bad widths",
        "unknown policy",
        "zero lr",
        "unknown failure mode",
        "missing initial body",
        "missing client file",
        "random bytes",
        "no labels",
        "X_test without y_test",
        "NaN features",
        "forged header",
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, change, words):
    import zipfile

    paths = _write_clients(tmp_path)
    (tmp_path / "random.npz").write_bytes(np.random.default_rng(0).bytes(300))
    X, y = _clients()[0]
    np.savez(tmp_path / "no_y.npz", X=X)
    np.savez(tmp_path / "half_test.npz", X=X, y=y, X_test=X)
    np.savez(tmp_path / "nan.npz", X=np.where(X > 0.9, np.nan, X), y=y)
    with zipfile.ZipFile(tmp_path / "forged.npz", "w") as archive:
        with archive.open("X.npy", "w") as member:
            header = {"descr": "<f8", "fortran_order": False, "shape": (10**12, 64)}
            np.lib.format.write_array_header_1_0(member, header)
    args = change(_args(paths, tmp_path / "out"), paths, tmp_path)
    _error(runner.invoke(app, args), *words)
    assert not (tmp_path / "out" / "server" / "body.safetensors").exists()


def test_client_and_app_write_what_flower_needs(tmp_path):
    X, y = _clients()[1]
    np.savez(tmp_path / "c.npz", X=X, y=y + 5)
    result = runner.invoke(
        app,
        [
            "federated",
            "client",
            "--data",
            str(tmp_path / "c.npz"),
            "--out",
            str(tmp_path / "client-1"),
            "--image-shape",
            "1,8,8",
            "--classes",
            "4,5,6",
        ],
    )
    assert result.exit_code == 0, result.output
    images, labels = load_client_data(tmp_path / "client-1")
    assert images.shape == (16, 1, 8, 8)
    np.testing.assert_array_equal(labels, y + 1)  # indices into --classes 4,5,6
    np.testing.assert_allclose(images.numpy().reshape(16, -1), X, rtol=1e-6)
    assert "partition-id=K" in result.output

    bad = runner.invoke(
        app,
        [
            "federated",
            "client",
            "--data",
            str(tmp_path / "c.npz"),
            "--out",
            str(tmp_path / "x"),
            "--image-shape",
            "1,8,8",
            "--classes",
            "0,1",
        ],
    )
    _error(bad, "labels [5, 6] are not in --classes")

    result = runner.invoke(
        app,
        [
            "federated",
            "app",
            "--out",
            str(tmp_path / "app"),
            "--n-clients",
            "3",
            "--n-classes",
            "3",
            "--server-dir",
            str(tmp_path / "server"),
            "--rounds",
            "7",
            "--image-shape",
            "1,8,8",
            "--widths",
            "4,8,8",
            "--local-batchnorm",
        ],
    )
    assert result.exit_code == 0, result.output
    project = tomllib.loads((tmp_path / "app" / "pyproject.toml").read_text())
    config = project["tool"]["flwr"]["app"]["config"]
    assert config["rounds"] == 7 and config["num-clients"] == 3 and config["n-classes"] == 3
    assert config["local-batchnorm"] is True and config["server-dir"] == str(tmp_path / "server")
    assert json.loads(config["backbone-kwargs"]) == {"in_channels": 1, "widths": [4, 8, 8]}
    components = project["tool"]["flwr"]["app"]["components"]
    assert components["serverapp"] == "transferkit.federated.horizontal.app:server_app"


def test_simulate_runs_the_federation_and_scores_each_client(simulated, tmp_path):
    """The command's run is the estimator's run: the same body, bit for bit."""
    fed, _ = simulated
    paths = _write_clients(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, _args(paths, out))
    assert result.exit_code == 0, result.output
    assert "round 1: 2 clients" in result.output and "round 2: 2 clients" in result.output
    assert "client 0: accuracy 100.0 %" in result.output
    assert json.loads((out / "scores.json").read_text()) == {"0": 1.0, "1": 1.0}
    from safetensors.numpy import load_file

    body = load_file(str(out / "server" / "body.safetensors"))
    assert set(body) == set(fed.body_)
    for key, value in body.items():
        np.testing.assert_array_equal(value, fed.body_[key])
    assert len(json.loads((out / "server" / "audit.json").read_text())) == 4


def test_the_commands_defaults_are_the_estimators():
    import inspect

    from transferkit.commands import federated as command
    from transferkit.federated.horizontal import FederatedFineTune

    estimator = inspect.signature(FederatedFineTune).parameters
    checked = set()
    for function in (command.simulate_command, command.deploy_command, command.app_command):
        for name, param in inspect.signature(function).parameters.items():
            if name in estimator and name not in ("image_shape", "tls"):
                assert param.default == estimator[name].default, (function.__name__, name)
                checked.add(name)
        assert command.parse_shape(
            inspect.signature(function).parameters["image_shape"].default
        ) == (estimator["image_shape"].default)
    assert {"local_batchnorm", "shared_head_init", "head_epochs", "lr", "rounds"} <= checked
