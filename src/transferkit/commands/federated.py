"""``transferkit federated simulate|deploy|app``: federated fine-tuning on Flower.

Each client's data is an ``.npz`` file with ``X`` (one flattened image per row, see
``--image-shape``) and ``y`` (labels); it may also hold ``X_test`` and ``y_test``, on which
the client's final model (shared body, its own head) is scored at the end.

On one machine (Flower's simulation runtime, or its deployment runtime with a SuperLink
and one SuperNode per client as OS processes on loopback)::

    transferkit federated simulate --client c0.npz --client c1.npz --client c2.npz \\
        --image-shape 1,16,16 --initial-body body.safetensors --rounds 5 --out run/
    transferkit federated deploy --client c0.npz --client c1.npz --tls --out run/

On real machines, write the Flower App and each client's folder, then start Flower's
own processes (``flower-superlink``, ``flower-supernode``, ``flwr run``)::

    transferkit federated app --out app/ --n-clients 3 --n-classes 10 --rounds 5 ...
    transferkit federated client --data c0.npz --image-shape 1,16,16 --out client-0/

Everything a run produces lands in ``--out``: ``server/body.safetensors`` (the shared
body), ``server/history.json``, ``server/audit.json`` and ``client-K/`` (client K's
data, head and, with ``--local-batchnorm``, batch-norm layers).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from transferkit._validation import TransferKitInputError
from transferkit.metrics._inputs import check_npy_header

__all__ = ["app", "app_command", "client_command", "deploy_command", "simulate_command"]

app = typer.Typer(
    help="Federated fine-tuning of a shared body with client-local heads, on Flower.",
    no_args_is_help=True,
)

Clients = Annotated[
    list[Path],
    typer.Option("--client", help="A client's .npz (X, y; optional X_test, y_test). Repeat."),
]
Out = Annotated[Path, typer.Option("--out", help="Folder for the clients' and server's files.")]
Shape = Annotated[str, typer.Option("--image-shape", help="C,H,W of each row of X (e.g. 1,16,16).")]
Backbone = Annotated[str, typer.Option("--backbone", help="Registry name of the body.")]
Widths = Annotated[str | None, typer.Option("--widths", help="small_cnn widths, e.g. 16,32,64.")]
InitialBody = Annotated[
    Path | None,
    typer.Option("--initial-body", help=".safetensors of the pretrained body (backbone.*)."),
]
Rounds = Annotated[int, typer.Option("--rounds", min=1)]
LocalEpochs = Annotated[int, typer.Option("--local-epochs", min=1)]
Lr = Annotated[float, typer.Option("--lr", help="Local learning rate (> 0).")]
Batch = Annotated[int, typer.Option("--batch-size", min=1)]
Policy = Annotated[str, typer.Option("--policy", help="full, last_k, linear_probe, ...")]
LocalBN = Annotated[
    bool,
    typer.Option(
        "--local-batchnorm/--shared-batchnorm",
        help="FedBN: keep the body's batch-norm layers on each client.",
    ),
]
SharedHead = Annotated[
    bool,
    typer.Option(
        "--shared-head-init/--per-client-head-init",
        help="All clients start from the same (local) head.",
    ),
]
HeadEpochs = Annotated[
    int,
    typer.Option("--head-epochs", min=0, help="Head-only epochs per round before the rest."),
]
OnFailure = Annotated[
    str, typer.Option("--on-client-failure", help="raise (stop) or skip a failing client.")
]
Seed = Annotated[int, typer.Option("--random-state", min=0)]
Timeout = Annotated[float, typer.Option("--round-timeout", help="Seconds per round (> 0).")]


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1,16,16"`` -> ``(1, 16, 16)``, with a clear error otherwise."""
    try:
        shape = tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise TransferKitInputError(
            f"--image-shape {text!r} must be three positive integers C,H,W (e.g. 1,16,16)."
        )
    return shape


def parse_widths(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        widths = [int(v) for v in text.split(",")]
    except ValueError:
        widths = []
    if len(widths) != 3 or min(widths) < 1:
        raise TransferKitInputError(
            f"--widths {text!r} must be three positive integers (e.g. 16,32,64)."
        )
    return {"widths": widths}


def load_client(path: Path) -> dict[str, np.ndarray]:
    """A client's arrays (``X``, ``y``, optional ``X_test``/``y_test``), clearly checked."""
    if not Path(path).is_file():
        raise TransferKitInputError(
            f"--client {path} does not exist; give one .npz per client (np.savez(path, "
            "X=..., y=...))."
        )
    try:
        with zipfile.ZipFile(path) as archive:  # check every header before allocating
            for info in archive.infolist():
                if info.filename.endswith(".npy"):
                    with archive.open(info) as fh:
                        what = f"array {info.filename!r} of --client {path}"
                        check_npy_header(fh, info.file_size, what)
        with np.load(path, allow_pickle=False) as data:
            files = set(data.files)
            missing = [k for k in ("X", "y") if k not in files]
            if missing:
                raise TransferKitInputError(
                    f"--client {path} lacks {missing}; a client's file needs arrays X (one "
                    "flattened image per row) and y (labels)."
                )
            if ("X_test" in files) != ("y_test" in files):
                raise TransferKitInputError(
                    f"--client {path} has only one of X_test and y_test; give both or neither."
                )
            out = {k: np.array(data[k]) for k in ("X", "y", "X_test", "y_test") if k in files}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, TransferKitInputError):
            raise
        raise TransferKitInputError(
            f"--client {path} is not a readable .npz ({type(exc).__name__}: {exc}); write "
            "it with np.savez(path, X=..., y=...)."
        ) from None
    for key in ("X", "X_test"):
        if key in out and out[key].dtype.kind not in "fiub":
            raise TransferKitInputError(
                f"--client {path}: {key} holds {out[key].dtype} values; it must be numbers."
            )
    return out


def _estimator(mode: str, **kw: Any):
    from transferkit.federated.horizontal import FederatedFineTune

    return FederatedFineTune(mode=mode, **kw)


def _run(
    mode: str,
    clients: list[Path],
    out: Path,
    settings: dict[str, Any],
) -> None:
    if len(clients) < 2:
        raise TransferKitInputError(
            f"federated fine-tuning needs at least 2 clients; got {len(clients)} (repeat --client)."
        )
    data = [load_client(p) for p in clients]
    fed = _estimator(mode, workdir=str(out), **settings)
    fed.fit([(d["X"], d["y"]) for d in data])
    for row in fed.history_:
        failed = f", {len(row['failed'])} failed" if row["failed"] else ""
        typer.echo(
            f"round {row['round']}: {row['clients']} clients{failed}, train loss "
            f"{row.get('train_loss', float('nan')):.4f}, {row['seconds']:.1f} s, "
            f"{row['bytes_up']:,} bytes up"
        )
    scores = {}
    for k, d in enumerate(data):
        if "X_test" in d:
            scores[k] = fed.score(d["X_test"], d["y_test"], client=k)
            typer.echo(f"client {k}: accuracy {100 * scores[k]:.1f} % on its X_test")
    if scores:
        (out / "scores.json").write_text(json.dumps({str(k): v for k, v in scores.items()}))
    typer.echo(f"shared body: {out / 'server' / 'body.safetensors'}")


def _settings(
    image_shape: str,
    backbone: str,
    widths: str | None,
    initial_body: Path | None,
    rounds: int,
    local_epochs: int,
    lr: float,
    batch_size: int,
    policy: str,
    local_batchnorm: bool,
    shared_head_init: bool,
    head_epochs: int,
    on_client_failure: str,
    random_state: int,
    round_timeout: float,
) -> dict[str, Any]:
    return dict(
        image_shape=parse_shape(image_shape),
        backbone=backbone,
        backbone_kwargs=parse_widths(widths),
        initial_body=None if initial_body is None else str(initial_body),
        rounds=rounds,
        local_epochs=local_epochs,
        lr=lr,
        batch_size=batch_size,
        policy=policy,
        local_batchnorm=local_batchnorm,
        shared_head_init=shared_head_init,
        head_epochs=head_epochs,
        on_client_failure=on_client_failure,
        random_state=random_state,
        round_timeout=round_timeout,
    )


@app.command("simulate")
def simulate_command(
    client: Clients,
    out: Out,
    image_shape: Shape = "1,16,16",
    backbone: Backbone = "small_cnn",
    widths: Widths = None,
    initial_body: InitialBody = None,
    rounds: Rounds = 5,
    local_epochs: LocalEpochs = 1,
    lr: Lr = 1e-3,
    batch_size: Batch = 32,
    policy: Policy = "full",
    local_batchnorm: LocalBN = False,
    shared_head_init: SharedHead = False,
    head_epochs: HeadEpochs = 0,
    on_client_failure: OnFailure = "raise",
    random_state: Seed = 0,
    round_timeout: Timeout = 600.0,
    num_cpus: Annotated[int, typer.Option("--num-cpus", min=1, help="CPUs Ray may use.")] = 1,
) -> None:
    """Run the federation in Flower's simulation runtime (this process, Ray backend)."""
    settings = _settings(
        image_shape,
        backbone,
        widths,
        initial_body,
        rounds,
        local_epochs,
        lr,
        batch_size,
        policy,
        local_batchnorm,
        shared_head_init,
        head_epochs,
        on_client_failure,
        random_state,
        round_timeout,
    )
    _run("simulation", client, out, settings | {"num_cpus": num_cpus})


@app.command("deploy")
def deploy_command(
    client: Clients,
    out: Out,
    image_shape: Shape = "1,16,16",
    backbone: Backbone = "small_cnn",
    widths: Widths = None,
    initial_body: InitialBody = None,
    rounds: Rounds = 5,
    local_epochs: LocalEpochs = 1,
    lr: Lr = 1e-3,
    batch_size: Batch = 32,
    policy: Policy = "full",
    local_batchnorm: LocalBN = False,
    shared_head_init: SharedHead = False,
    head_epochs: HeadEpochs = 0,
    on_client_failure: OnFailure = "raise",
    random_state: Seed = 0,
    round_timeout: Timeout = 600.0,
    tls: Annotated[bool, typer.Option("--tls/--insecure", help="TLS between processes.")] = True,
) -> None:
    """Run Flower's deployment runtime on loopback: a SuperLink and one SuperNode per client."""
    settings = _settings(
        image_shape,
        backbone,
        widths,
        initial_body,
        rounds,
        local_epochs,
        lr,
        batch_size,
        policy,
        local_batchnorm,
        shared_head_init,
        head_epochs,
        on_client_failure,
        random_state,
        round_timeout,
    )
    _run("deployment", client, out, settings | {"tls": tls})


@app.command("client")
def client_command(
    data: Annotated[Path, typer.Option("--data", help="This client's .npz (X, y).")],
    out: Annotated[Path, typer.Option("--out", help="This client's folder (client-dir).")],
    image_shape: Shape = "1,16,16",
    classes: Annotated[
        str | None,
        typer.Option("--classes", help="All clients' classes, comma-separated (default: y's)."),
    ] = None,
) -> None:
    """Write a client's folder for a real SuperNode (its data as the ClientApp reads it)."""
    from transferkit.federated.horizontal import save_client_data
    from transferkit.finetune.transforms import as_images

    arrays = load_client(data)
    shape = parse_shape(image_shape)
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or X.shape[1] != int(np.prod(shape)) or y.shape != (X.shape[0],):
        raise TransferKitInputError(
            f"--data {data}: X must be (n, {int(np.prod(shape))}) for --image-shape "
            f"{image_shape} with one label per row; got X {X.shape} and y {y.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise TransferKitInputError(f"--data {data}: X has NaN or inf values.")
    known = np.unique(y) if classes is None else np.array(classes.split(","), dtype=y.dtype)
    unknown = sorted(set(np.unique(y).tolist()) - set(known.tolist()))
    if unknown:
        raise TransferKitInputError(
            f"--data {data}: labels {unknown[:5]} are not in --classes {classes!r}."
        )
    path = save_client_data(
        out, as_images(X.astype(np.float64), shape).numpy(), np.searchsorted(known, y)
    )
    typer.echo(
        f"client data {path}; start its SuperNode with --node-config "
        f"'client-dir=\"{Path(out).resolve()}\" partition-id=K'"
    )


@app.command("app")
def app_command(
    out: Annotated[Path, typer.Option("--out", help="Folder of the Flower App.")],
    n_clients: Annotated[int, typer.Option("--n-clients", min=2, help="SuperNodes per round.")],
    n_classes: Annotated[int, typer.Option("--n-classes", min=2, help="Classes (all clients).")],
    server_dir: Annotated[
        Path, typer.Option("--server-dir", help="Where the ServerApp writes the body.")
    ],
    image_shape: Shape = "1,16,16",
    backbone: Backbone = "small_cnn",
    widths: Widths = None,
    initial_body: InitialBody = None,
    rounds: Rounds = 5,
    local_epochs: LocalEpochs = 1,
    lr: Lr = 1e-3,
    batch_size: Batch = 32,
    policy: Policy = "full",
    local_batchnorm: LocalBN = False,
    shared_head_init: SharedHead = False,
    head_epochs: HeadEpochs = 0,
    on_client_failure: OnFailure = "raise",
    random_state: Seed = 0,
    round_timeout: Timeout = 600.0,
) -> None:
    """Write the Flower App (pyproject.toml) to submit with ``flwr run`` on real machines."""
    from transferkit.federated.horizontal import write_flower_app

    settings = _settings(
        image_shape,
        backbone,
        widths,
        initial_body,
        rounds,
        local_epochs,
        lr,
        batch_size,
        policy,
        local_batchnorm,
        shared_head_init,
        head_epochs,
        on_client_failure,
        random_state,
        round_timeout,
    )
    fed = _estimator("deployment", **settings)
    fed._validate_settings()
    fed.classes_ = np.arange(n_classes)
    folder = write_flower_app(out, fed.run_config(n_clients, server_dir))
    typer.echo(f"Flower App {folder / 'pyproject.toml'}; submit it with `flwr run {folder}`")
