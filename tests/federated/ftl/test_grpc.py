"""The parties over gRPC with mutual TLS: in threads, and as two OS processes (the CLI)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from transferkit.federated.ftl import LocalChannel, PartyA, PartyB, PartyUnreachableError
from transferkit.federated.ftl.grpc_transport import GrpcChannel, make_certificate

from ._problem import CANARY_A, CANARY_B, CANARY_LABELS, canary_forms
from .conftest import free_port

KW = dict(hidden_dim=3, gamma=0.5, lam=0.01, learning_rate=0.2)
ROOT = Path(__file__).resolve().parents[3]


def test_grpc_tls_run_equals_the_in_process_run(problem, certs, port, serve_b):
    p = problem
    dir_a, dir_b = certs
    b = PartyB(p.X_b, p.ids_b, p.overlap, random_state=2)
    served = serve_b(b)
    a = PartyA(
        p.X_a, p.y_a, p.ids_a, p.overlap, mode="paillier", key_bits=512, random_state=1, **KW
    )
    channel = GrpcChannel(f"127.0.0.1:{port}", cert_dir=dir_a, peer_cert=dir_b / "cert.pem")
    a.fit(channel, rounds=2)
    a.predict_for_partner(channel)
    a.close(channel)
    channel.close()
    served.join()
    assert b.finished and len(b.scores_) == len(p.X_b)

    a2 = PartyA(p.X_a, p.y_a, p.ids_a, p.overlap, mode="plain", random_state=1, **KW)
    b2 = PartyB(p.X_b, p.ids_b, p.overlap, random_state=2)
    a2.fit(LocalChannel(b2), rounds=2)
    assert np.allclose(a.W_, a2.W_, atol=1e-4) and np.allclose(b.W_, b2.W_, atol=1e-4)
    types = [e["type"] for e in served.result["transcript"].entries]
    assert types[:2] == ["hello", "hello"] and "predict" in types


def test_a_partner_that_is_not_running_is_a_clear_error(problem, certs):
    dir_a, dir_b = certs
    p = problem
    a = PartyA(p.X_a, p.y_a, p.ids_a, p.overlap, mode="paillier", key_bits=512, **KW)
    channel = GrpcChannel(
        f"127.0.0.1:{free_port()}",
        cert_dir=dir_a,
        peer_cert=dir_b / "cert.pem",
        connect_timeout=1.0,
        timeout=1.0,
    )
    with pytest.raises(PartyUnreachableError, match=r"party b at 127\.0\.0\.1:.*--resume"):
        a.fit(channel, rounds=1)


def test_an_untrusted_client_certificate_is_refused(tmp_path, problem, certs, port, serve_b):
    p = problem
    _dir_a, dir_b = certs
    make_certificate(tmp_path / "mallory")
    b = PartyB(p.X_b, p.ids_b, p.overlap)
    served = serve_b(b, idle_timeout=3.0)
    a = PartyA(p.X_a, p.y_a, p.ids_a, p.overlap, mode="paillier", key_bits=512, **KW)
    channel = GrpcChannel(
        f"127.0.0.1:{port}",
        cert_dir=tmp_path / "mallory",
        peer_cert=dir_b / "cert.pem",
        connect_timeout=1.0,
        timeout=2.0,
    )
    with pytest.raises(PartyUnreachableError):
        a.fit(channel, rounds=1)
    assert b.round_ == 0
    served.join(10)
    assert served.errors and "party a sent nothing" in served.errors[0]


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return [sys.executable, "-m", "transferkit.cli", "ftl", *args], env


def test_two_processes_train_crash_and_resume(tmp_path, problem, certs, port):
    p = problem
    # canaries in both parties' raw features and in A's labels: no output of either
    # process (stdout, stderr, transcripts) may carry them
    X_a, X_b = p.X_a.copy(), p.X_b.copy()
    X_a[0, 1] = X_a[5, 0] = CANARY_A
    X_b[2, 2] = X_b[9, 3] = CANARY_B
    y_a = np.where(p.y_a == "pos", *CANARY_LABELS)
    outputs: list[str] = []
    np.savez(tmp_path / "a.npz", X=X_a, y=y_a, ids=p.ids_a, overlap=p.overlap)
    np.savez(tmp_path / "b.npz", X=X_b, ids=p.ids_b, overlap=p.overlap)
    dir_a, dir_b = certs
    serve_args = [
        "serve",
        "--party",
        "b",
        "--data",
        str(tmp_path / "b.npz"),
        "--port",
        str(port),
        "--cert-dir",
        str(dir_b),
        "--peer-cert",
        str(dir_a / "cert.pem"),
        "--checkpoint-dir",
        str(tmp_path / "ckb"),
        "--random-state",
        "2",
        "--predictions-out",
        str(tmp_path / "scores.npz"),
        "--transcript",
        str(tmp_path / "b.json"),
    ]
    train_args = [
        "train",
        "--party",
        "a",
        "--data",
        str(tmp_path / "a.npz"),
        "--peer",
        f"127.0.0.1:{port}",
        "--cert-dir",
        str(dir_a),
        "--peer-cert",
        str(dir_b / "cert.pem"),
        "--mode",
        "paillier",
        "--key-bits",
        "512",
        "--hidden-dim",
        "3",
        "--gamma",
        "0.5",
        "--lam",
        "0.01",
        "--learning-rate",
        "0.2",
        "--random-state",
        "1",
        "--checkpoint-dir",
        str(tmp_path / "cka"),
        "--timeout",
        "20",
        "--connect-timeout",
        "20",
        "--transcript",
        str(tmp_path / "a.json"),
    ]
    # 1. B runs, A trains 2 rounds, then B is killed: A's next run fails clearly
    cmd, env = _cli(*serve_args)
    server = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        cmd, env = _cli(*train_args, "--rounds", "2", "--no-predict")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
    finally:
        outputs += server.communicate(timeout=30)
    assert server.returncode == 0
    cmd, env = _cli(*train_args, "--rounds", "4", "--resume", "--connect-timeout", "2")
    failed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    outputs += [failed.stdout, failed.stderr]
    assert "party b at 127.0.0.1" in failed.stderr and "--resume" in failed.stderr
    assert failed.stderr.startswith("Error: party b") and "Traceback" not in failed.stderr
    # 2. B restarts; A resumes from round 2 and finishes rounds 3 and 4, then B scores
    cmd, env = _cli(*serve_args)
    server = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(0.5)
        cmd, env = _cli(*train_args, "--rounds", "4", "--resume")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "round 3" in done.stdout and "round 4" in done.stdout
        assert "round 1:" not in done.stdout
        outputs += [done.stdout, done.stderr]
    finally:
        outputs += server.communicate(timeout=30)
    scores = np.load(tmp_path / "scores.npz")
    assert len(scores["scores"]) == len(p.X_b)
    # the resumed two-process run equals an uninterrupted in-process run
    a = PartyA(X_a, y_a, p.ids_a, p.overlap, mode="plain", random_state=1, **KW)
    b = PartyB(X_b, p.ids_b, p.overlap, random_state=2)
    a.fit(LocalChannel(b), rounds=4)
    with np.load(tmp_path / "ckb" / "party_b_round_4.npz") as saved:
        assert np.allclose(saved["W"], b.W_, atol=1e-4)
    transcript = json.loads((tmp_path / "a.json").read_text())
    assert {m["type"] for m in transcript["messages"]} >= {"hello", "rows", "masked"}
    assert all(
        f["kind"] in ("ciphertext", "masked", "public_key", "control")
        for m in transcript["messages"]
        for f in m["fields"].values()
    )
    logged = "".join(outputs).encode() + b"".join(
        (tmp_path / name).read_bytes() for name in ("a.json", "b.json")
    )
    assert b"round 4" in logged  # the scan reads the real outputs
    for canary in (CANARY_A, CANARY_B):
        for form in canary_forms(canary):
            assert form not in logged, (canary, form)
    for label in CANARY_LABELS:
        assert label.encode() not in logged


class _SlowB(PartyB):
    def handle(self, message):
        if message.type == "rows":
            time.sleep(3)
        return super().handle(message)


def test_a_partner_that_times_out_is_a_clear_error(problem, certs, port, serve_b):
    p = problem
    dir_a, dir_b = certs
    b = _SlowB(p.X_b, p.ids_b, p.overlap)
    served = serve_b(b, idle_timeout=5.0)
    a = PartyA(p.X_a, p.y_a, p.ids_a, p.overlap, mode="paillier", key_bits=512, **KW)
    channel = GrpcChannel(
        f"127.0.0.1:{port}", cert_dir=dir_a, peer_cert=dir_b / "cert.pem", timeout=1.0
    )
    with pytest.raises(PartyUnreachableError, match=r"did not answer within 1 s at the 'rows'"):
        a.fit(channel, rounds=1)
    served.join(20)
    assert served.errors and "party a sent nothing" in served.errors[0]
