"""``transferkit ftl serve|train|certs``: secure FTL between two processes over TLS.

Each party's data is an ``.npz`` file with ``X`` (features), ``ids`` (sample ids) and
``overlap`` (the ids both parties hold, in the same order on both sides: the output of
a private set intersection); party A's file also has ``y`` (labels, two classes).

Party B (no labels) serves, party A (labels) drives::

    transferkit ftl certs --out certs/b        # on B; give certs/b/cert.pem to A
    transferkit ftl certs --out certs/a        # on A; give certs/a/cert.pem to B
    transferkit ftl serve --party b --data b.npz --port 50051 \\
        --cert-dir certs/b --peer-cert certs/a/cert.pem --predictions-out scores.npz
    transferkit ftl train --party a --data a.npz --peer 127.0.0.1:50051 \\
        --cert-dir certs/a --peer-cert certs/b/cert.pem --rounds 20 --mode paillier
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from transferkit._validation import TransferKitInputError

__all__ = ["app", "serve_command", "train_command", "certs_command"]

app = typer.Typer(
    help="Secure two-party federated transfer learning (FTL) over gRPC with TLS.",
    no_args_is_help=True,
)

CertDir = Annotated[Path, typer.Option("--cert-dir", help="This party's certificate folder.")]
PeerCert = Annotated[Path, typer.Option("--peer-cert", help="The other party's cert.pem (pinned).")]
Data = Annotated[Path, typer.Option("--data", help=".npz with X, ids, overlap (A: also y).")]


def _load(path: Path, party: str) -> dict[str, np.ndarray]:
    needed = ("X", "ids", "overlap") + (("y",) if party == "a" else ())
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in needed if k not in data.files]
        if missing:
            raise TransferKitInputError(
                f"--data {path} lacks {missing}; party {party}'s file needs arrays "
                f"{list(needed)} (np.savez(path, X=..., ids=..., overlap=...))."
            )
        return {k: np.array(data[k]) for k in needed}


def _check_party(party: str, expected: str, command: str) -> None:
    if party != expected:
        raise TransferKitInputError(
            f"--party {party!r} cannot {command}: party b (no labels) serves and party a "
            f"(labels) trains; use --party {expected}."
        )


def _write_transcript(path: Path | None, transcript: Any, extra: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"messages": transcript.entries, "bytes_per_round": transcript.bytes_per_round()}
    path.write_text(json.dumps(payload | extra, indent=1))


@app.command("certs")
def certs_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for cert.pem and key.pem.")],
    host: Annotated[
        list[str] | None, typer.Option("--host", help="Names of this party (default loopback).")
    ] = None,
) -> None:
    """Make this party's self-signed TLS certificate (give cert.pem to the other party)."""
    from transferkit.federated.ftl.grpc_transport import make_certificate

    hosts = tuple(host) if host else ("localhost", "127.0.0.1")
    cert, key = make_certificate(out, hosts=hosts)
    typer.echo(f"certificate {cert} (share it), private key {key} (keep it here)")


@app.command("serve")
def serve_command(
    party: Annotated[str, typer.Option("--party", help="Must be b (the party without labels).")],
    data: Data,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")],
    cert_dir: CertDir,
    peer_cert: PeerCert,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    checkpoint_dir: Annotated[
        Path | None, typer.Option("--checkpoint-dir", help="Save B's layer every round here.")
    ] = None,
    predictions_out: Annotated[
        Path | None, typer.Option("--predictions-out", help="Write B's scores (.npz) here.")
    ] = None,
    transcript: Annotated[
        Path | None, typer.Option("--transcript", help="Write message sizes/types (JSON).")
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", help="Give up after this many silent seconds.")
    ] = 600.0,
    random_state: Annotated[int | None, typer.Option("--random-state")] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve party B until party A ends the session."""
    from transferkit.federated.ftl import PartyB
    from transferkit.federated.ftl.grpc_transport import serve

    _check_party(party, "b", "serve")
    arrays = _load(data, "b")
    party_b = PartyB(
        arrays["X"],
        arrays["ids"],
        arrays["overlap"],
        random_state=random_state,
        checkpoint_dir=checkpoint_dir,
        modes=("paillier", "ckks"),
        n_jobs=n_jobs,
    )
    typer.echo(f"party b listening on {host}:{port}", err=True)
    record = serve(
        party_b,
        port=port,
        cert_dir=cert_dir,
        peer_cert=peer_cert,
        host=host,
        idle_timeout=idle_timeout,
    )
    if predictions_out is not None and hasattr(party_b, "scores_"):
        np.savez(predictions_out, ids=party_b.ids, scores=party_b.scores_)
    _write_transcript(transcript, record, {"party": "b", "losses": party_b.losses_})
    typer.echo(f"party b done after round {party_b.round_}", err=True)


@app.command("train")
def train_command(
    party: Annotated[str, typer.Option("--party", help="Must be a (the label holder).")],
    data: Data,
    peer: Annotated[str, typer.Option("--peer", help="host:port of party b.")],
    cert_dir: CertDir,
    peer_cert: PeerCert,
    rounds: Annotated[int, typer.Option("--rounds", min=0)] = 10,
    mode: Annotated[str, typer.Option("--mode", help="paillier or ckks.")] = "paillier",
    key_bits: Annotated[
        int | None, typer.Option("--key-bits", help="Paillier bits / CKKS ring degree.")
    ] = None,
    hidden_dim: Annotated[int, typer.Option("--hidden-dim", min=1)] = 32,
    gamma: Annotated[float, typer.Option("--gamma")] = 1.0,
    lam: Annotated[float, typer.Option("--lam")] = 1e-3,
    learning_rate: Annotated[float, typer.Option("--learning-rate")] = 0.1,
    random_state: Annotated[int | None, typer.Option("--random-state")] = None,
    checkpoint_dir: Annotated[
        Path | None, typer.Option("--checkpoint-dir", help="Save A's layer every round here.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpointed round.")
    ] = False,
    predict: Annotated[
        bool, typer.Option("--predict/--no-predict", help="Let B score its samples at the end.")
    ] = True,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per reply.")] = 600.0,
    connect_timeout: Annotated[
        float, typer.Option("--connect-timeout", help="Seconds to wait for party b to come up.")
    ] = 60.0,
    transcript: Annotated[
        Path | None, typer.Option("--transcript", help="Write message sizes/types (JSON).")
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", min=1, help="Worker processes.")] = 1,
) -> None:
    """Train as party A against party B at --peer (Algorithm 1), then Algorithm 2."""
    from transferkit.federated.ftl import PartyA
    from transferkit.federated.ftl.grpc_transport import GrpcChannel

    _check_party(party, "a", "train")
    if mode not in ("paillier", "ckks"):
        raise TransferKitInputError(
            f"--mode {mode!r}: between processes use paillier or ckks (plain is for tests)."
        )
    arrays = _load(data, "a")
    party_a = PartyA(
        arrays["X"],
        arrays["y"],
        arrays["ids"],
        arrays["overlap"],
        hidden_dim=hidden_dim,
        gamma=gamma,
        lam=lam,
        learning_rate=learning_rate,
        mode=mode,
        key_bits=key_bits,
        random_state=random_state,
        checkpoint_dir=checkpoint_dir,
        n_jobs=n_jobs,
    )
    channel = GrpcChannel(
        peer,
        cert_dir=cert_dir,
        peer_cert=peer_cert,
        timeout=timeout,
        connect_timeout=connect_timeout,
    )
    try:
        history = party_a.fit(channel, rounds=rounds, resume=resume)
        for record in history:
            typer.echo(f"round {record.round}: loss {record.loss:.6f} ({record.seconds:.1f} s)")
        if predict:
            n = party_a.predict_for_partner(channel)
            typer.echo(f"party b scored {n} samples")
        party_a.close(channel)
    finally:
        channel.close()
        _write_transcript(
            transcript,
            channel.transcript,
            {
                "party": "a",
                "mode": mode,
                "rounds": [
                    {"round": h.round, "loss": h.loss, "seconds": h.seconds}
                    for h in party_a.history_
                ],
            },
        )
