r"""The Python face: :class:`FederatedFineTune`, ``fit(client_datasets)`` on Flower.

Objective (FedPer: FedAvg over the shared body :math:`\phi`, a local head :math:`h_k` per
client): client :math:`k` holds :math:`n_k` labelled samples and minimises its
cross-entropy :math:`L_k(\phi, h_k)`; the federation minimises

.. math:: \sum_{k=1}^{K} \frac{n_k}{n} L_k(\phi, h_k), \qquad n = \sum_k n_k,

by rounds: every client fine-tunes the current body and its own head for ``local_epochs``
epochs (the fine-tuning policy decides which body stages move), sends back its body,
and the server sets :math:`\phi \leftarrow \sum_k \frac{n_k}{n} \phi_k`. The heads
:math:`h_k` stay on the clients.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from transferkit._validation import LabelError, TransferKitInputError, check_option, check_positive
from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.client import (
    load_head,
    load_local_batchnorm,
    make_client_app,
    save_client_data,
)
from transferkit.federated.horizontal.params import (
    BODY_PREFIX,
    HEAD_PREFIX,
    batchnorm_keys,
    build_net,
    load_arrays,
)
from transferkit.federated.horizontal.server import (
    SERVER_AUDIT_FILE,
    SERVER_BODY_FILE,
    SERVER_HISTORY_FILE,
    make_server_app,
)
from transferkit.finetune.trainer import predict_logits
from transferkit.finetune.transforms import as_images

__all__ = ["FederatedFineTune"]


class FederatedFineTune:
    r"""Federated fine-tuning of a shared pretrained body with client-local heads, on Flower.

    Every client fine-tunes the shared body and its own linear head on its own data
    (:func:`transferkit.finetune.train_net`, the shared engine); the server averages the
    bodies weighted by the clients' sample counts (FedAvg, McMahan et al. 2017); the heads
    never leave the clients (FedPer, Arivazhagan et al. 2019):

    .. math:: \min_{\phi, h_1..h_K} \sum_k \frac{n_k}{n}\, L_k(\phi, h_k), \qquad
              \phi^{(r+1)} = \sum_k \frac{n_k}{n}\, \phi_k^{(r)} .

    Parameters
    ----------
    backbone : str, default="small_cnn"
        Registry name (:func:`transferkit.finetune.available_backbones`).
    backbone_kwargs : dict, optional
        Passed to the backbone factory (``in_channels`` is set from ``image_shape``).
    image_shape : (C, H, W)
        How to view the flat rows of each client's ``X`` as images.
    initial_body : str or Path, optional
        A ``.safetensors`` file of the pretrained body (the ``backbone.*`` arrays of a
        :class:`~transferkit.finetune.TransferNet`); default: the backbone as built
        (``pretrained`` weights, or initialised from ``random_state``).
    pretrained : bool, default=False
        Start from the backbone's packaged weights (e.g. ``efficientnet_lite0``).
    local_batchnorm : bool, default=False
        FedBN (Li et al., ICLR 2021): the body's batch-norm layers (affine weights and
        running statistics) stay on each client like its head; the server averages the
        rest of the body.
    shared_head_init : bool, default=False
        ``True``: every client's first head is drawn from ``random_state`` alone, so all
        clients start from the same head (the heads still stay local and drift apart);
        ``False``: each client draws its own (seeded by its index as well). Use ``True``
        when the clients' labels mean the same thing (the usual case: in
        ``benchmarks/federated_diagnosis.py`` it is the main fix of FedAvg falling below
        local-only training); keep ``False`` when clients may label the same inputs
        differently (personal label semantics), where a shared start pulls the body in
        opposite directions.
    head_epochs : int, default=0
        Every round, each client first trains its head alone on the received body (the
        body frozen) for this many epochs, then fine-tunes for ``local_epochs`` epochs
        under ``policy`` (linear probe, then fine-tune). 2 with ``shared_head_init=True``
        is the recommended setting for clients that share label semantics.
    policy : str, default="full"
        Fine-tuning policy of every client (``"linear_probe"``, ``"last_k"``, ``"full"``,
        ``"discriminative"``, ``"gradual"``).
    rounds : int, default=5
    local_epochs : int, default=1
    lr : float, default=1e-3
    batch_size : int, default=32
    augment_shift : int, default=0
    mode : {"simulation", "deployment"}
        Flower's simulation runtime in this process (Ray backend), or its deployment
        runtime: a SuperLink and one SuperNode per client as separate OS processes on
        127.0.0.1, the run submitted with ``flwr run``.
    tls : bool, default=False
        Deployment only: TLS between every process (a CA made for the run).
    on_client_failure : {"raise", "skip"}
        A client that fails in a round stops the run with
        :class:`~transferkit.federated.horizontal.ClientFailureError`, or is left out of
        that round's average (Flower's FedAvg semantics).
    num_cpus : int, default=1
        Simulation only: CPUs Ray may use (one client at a time per CPU).
    round_timeout : float, default=600
        Seconds the server waits for the replies of a round.
    workdir : str, optional
        Folder for the clients' folders, the server's outputs and the deployment's logs
        (default: a temporary folder, removed after ``fit``).
    random_state : int, default=0
        Seeds the body and head initialisation and each client's batch order and
        augmentation in each round.

    Attributes
    ----------
    classes_ : ndarray
    body_ : dict of str to ndarray
        The final shared body (``backbone.*``).
    heads_ : list of dict
        Client ``k``'s head (``head.*``), read from client ``k``'s own folder.
    batchnorms_ : list of dict or None
        With ``local_batchnorm``: client ``k``'s own batch-norm arrays (``backbone.*``),
        read from its folder; else ``None`` (they are in ``body_``).
    history_ : list of dict
        Per round: ``seconds``, ``bytes_down`` (body sent to all clients), ``bytes_up``
        (what all clients sent back), ``clients``, ``failed``, ``train_loss``.
    audit_ : list of dict
        One entry per client reply: its round, node, partition, records, array names
        with shapes and dtypes, metric names and bytes (or its error).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> def client(n, flip):
    ...     y = np.arange(n) % 2
    ...     X = rng.random((n, 64)) * 0.2
    ...     X[(y == 1) ^ flip, :32] += 0.8
    ...     return X, y
    >>> data = [client(24, False), client(24, True)]      # the clients disagree on labels
    >>> fed = FederatedFineTune(image_shape=(1, 8, 8), backbone_kwargs={"widths": (4, 8, 8)},
    ...                         rounds=2, local_epochs=3, lr=0.01, batch_size=8)
    >>> fed = fed.fit(data)                                # Flower's simulation (Ray)
    >>> [round(fed.score(X, y, client=k), 2) for k, (X, y) in enumerate(data)]
    [1.0, 1.0]
    >>> len(fed.history_), sorted(fed.heads_[0])
    (2, ['head.bias', 'head.weight'])
    """

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_kwargs: dict | None = None,
        image_shape: Sequence[int] = (1, 16, 16),
        initial_body: str | Path | None = None,
        pretrained: bool = False,
        local_batchnorm: bool = False,
        shared_head_init: bool = False,
        head_epochs: int = 0,
        policy: str = "full",
        rounds: int = 5,
        local_epochs: int = 1,
        lr: float = 1e-3,
        batch_size: int = 32,
        augment_shift: int = 0,
        mode: str = "simulation",
        tls: bool = False,
        on_client_failure: str = "raise",
        num_cpus: int = 1,
        round_timeout: float = 600.0,
        workdir: str | Path | None = None,
        random_state: int = 0,
    ) -> None:
        self.backbone = backbone
        self.backbone_kwargs = backbone_kwargs
        self.image_shape = image_shape
        self.initial_body = initial_body
        self.pretrained = pretrained
        self.local_batchnorm = local_batchnorm
        self.shared_head_init = shared_head_init
        self.head_epochs = head_epochs
        self.policy = policy
        self.rounds = rounds
        self.local_epochs = local_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.augment_shift = augment_shift
        self.mode = mode
        self.tls = tls
        self.on_client_failure = on_client_failure
        self.num_cpus = num_cpus
        self.round_timeout = round_timeout
        self.workdir = workdir
        self.random_state = random_state

    # ------------------------------------------------------------------ settings
    def _kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.backbone_kwargs or {})
        if not self.pretrained:
            kwargs.setdefault("in_channels", int(self.image_shape[0]))
        return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}

    def run_config(self, n_clients: int, server_dir: str | Path) -> dict[str, Any]:
        """The run configuration (Flower ``run_config`` keys) the server is started with."""
        return {
            "backbone": str(self.backbone),
            "backbone-kwargs": json.dumps(self._kwargs(), sort_keys=True),
            "pretrained": bool(self.pretrained),
            "initial-body": "" if self.initial_body is None else str(self.initial_body),
            "n-classes": len(self.classes_),
            "local-batchnorm": bool(self.local_batchnorm),
            "shared-head-init": bool(self.shared_head_init),
            "head-epochs": int(self.head_epochs),
            "policy": str(self.policy),
            "rounds": int(self.rounds),
            "local-epochs": int(self.local_epochs),
            "lr": float(self.lr),
            "batch-size": int(self.batch_size),
            "augment-shift": int(self.augment_shift),
            "random-state": int(self.random_state),
            "num-clients": int(n_clients),
            "on-client-failure": str(self.on_client_failure),
            "round-timeout": float(self.round_timeout),
            "server-dir": str(server_dir),
        }

    def _validate_settings(self) -> None:
        """Check every setting (not the data); a clear error names the bad one."""
        from transferkit.finetune.backbones import available_backbones
        from transferkit.finetune.policies import _NAMED

        check_option("mode", self.mode, ("simulation", "deployment"))
        check_option("backbone", self.backbone, tuple(available_backbones()))
        check_option("policy", self.policy, tuple(_NAMED))
        if len(tuple(self.image_shape)) != 3 or min(int(v) for v in self.image_shape) < 1:
            raise TransferKitInputError(
                f"image_shape must be three positive integers (C, H, W); got {self.image_shape!r}."
            )
        for name in ("local_batchnorm", "shared_head_init", "pretrained", "tls"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TransferKitInputError(
                    f"{name} must be True or False; got {getattr(self, name)!r}."
                )
        check_positive("head_epochs", self.head_epochs, strict=False, integer=True)
        check_option("on_client_failure", self.on_client_failure, ("raise", "skip"))
        for name in ("rounds", "local_epochs", "batch_size", "num_cpus"):
            check_positive(name, getattr(self, name), integer=True)
        check_positive("lr", self.lr)
        check_positive("round_timeout", self.round_timeout)
        check_positive("augment_shift", self.augment_shift, strict=False, integer=True)
        rs = self.random_state
        if isinstance(rs, bool) or not isinstance(rs, int | np.integer) or not 0 <= rs < 2**31:
            raise TransferKitInputError(
                f"random_state must be an integer in [0, 2**31); got {rs!r}."
            )
        if self.initial_body is not None and not Path(self.initial_body).is_file():
            raise TransferKitInputError(
                f"initial_body={str(self.initial_body)!r} is not a file; give the "
                ".safetensors file of the pretrained body."
            )

    def _validate(self, client_datasets) -> list[tuple[np.ndarray, np.ndarray]]:
        self._validate_settings()
        datasets = list(client_datasets)
        if len(datasets) < 2:
            raise TransferKitInputError(
                f"client_datasets must hold at least 2 clients' (X, y); got {len(datasets)}."
            )
        size = int(np.prod(self.image_shape))
        out = []
        for k, pair in enumerate(datasets):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TransferKitInputError(
                    f"client_datasets[{k}] must be an (X, y) pair; got {type(pair).__name__}."
                )
            X = np.asarray(pair[0], dtype=np.float64)
            y = np.asarray(pair[1])
            if X.ndim != 2 or X.shape[1] != size or y.shape != (X.shape[0],) or X.shape[0] == 0:
                raise TransferKitInputError(
                    f"client_datasets[{k}]: X must be (n, {size}) for image_shape "
                    f"{tuple(self.image_shape)} with one label per row; got X "
                    f"{X.shape} and y {y.shape}."
                )
            if not np.all(np.isfinite(X)):
                raise TransferKitInputError(f"client_datasets[{k}]: X has NaN or inf values.")
            out.append((X, y))
        return out

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        client_datasets: Sequence[tuple[np.ndarray, np.ndarray]],
        round_callback: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> FederatedFineTune:
        """Run the federation: client ``k`` holds ``client_datasets[k] = (X_k, y_k)``.

        Parameters
        ----------
        client_datasets : sequence of (X, y)
            ``X_k`` of shape ``(n_k, C*H*W)`` (rows are images, see ``image_shape``) and
            labels ``y_k``; the classes are the union over clients (a client may lack some).
        round_callback : callable, optional
            Simulation only: ``round_callback(round, history_row)`` on the server after
            each round's aggregation.

        Returns
        -------
        self
        """
        datasets = self._validate(client_datasets)
        self.classes_ = np.unique(np.concatenate([y for _, y in datasets]))
        if self.classes_.size < 2:
            raise LabelError(
                f"the clients' labels hold one class only ({self.classes_[0]!r}); "
                "fine-tuning a classifier needs at least two."
            )
        if round_callback is not None and self.mode != "simulation":
            raise TransferKitInputError(
                "round_callback runs on the server, which is this process only in "
                "mode='simulation'; drop it for mode='deployment'."
            )
        if self.workdir is None:
            with tempfile.TemporaryDirectory(prefix="transferkit-fed-") as tmp:
                return self._fit(datasets, Path(tmp), round_callback)
        return self._fit(datasets, Path(self.workdir), round_callback)

    def _fit(self, datasets, workdir: Path, round_callback) -> FederatedFineTune:
        workdir.mkdir(parents=True, exist_ok=True)
        client_dirs = [workdir / f"client-{k}" for k in range(len(datasets))]
        for client_dir, (X, y) in zip(client_dirs, datasets, strict=True):
            images = as_images(X, self.image_shape).numpy()
            save_client_data(client_dir, images, np.searchsorted(self.classes_, y))
            (client_dir / "head.safetensors").unlink(missing_ok=True)
            (client_dir / "batchnorm.safetensors").unlink(missing_ok=True)
        server_dir = workdir / "server"
        for name in (SERVER_BODY_FILE, SERVER_HISTORY_FILE, SERVER_AUDIT_FILE, "error.txt"):
            (server_dir / name).unlink(missing_ok=True)
        settings = self.run_config(len(datasets), server_dir)
        if self.mode == "simulation":
            self._simulate(settings, workdir, len(datasets), round_callback)
        else:
            self._deploy(settings, workdir, client_dirs)
        from safetensors.numpy import load_file

        self.body_ = load_file(str(server_dir / SERVER_BODY_FILE))
        self.heads_ = [load_head(d) for d in client_dirs]
        self.batchnorms_ = (
            [load_local_batchnorm(d) for d in client_dirs] if self.local_batchnorm else None
        )
        self.history_ = json.loads((server_dir / SERVER_HISTORY_FILE).read_text())
        self.audit_ = json.loads((server_dir / SERVER_AUDIT_FILE).read_text())
        self.n_clients_ = len(datasets)
        return self

    def _simulate(self, settings, workdir: Path, n_clients: int, round_callback) -> None:
        from flwr.simulation import run_simulation

        server = make_server_app(settings, settings["server-dir"], round_callback)
        client = make_client_app(workdir)
        backend = {
            "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
            "init_args": {
                "num_cpus": int(self.num_cpus),
                "num_gpus": 0,
                "include_dashboard": False,
                "logging_level": "ERROR",
                "log_to_driver": False,
            },
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_simulation(
                server_app=server,
                client_app=client,
                num_supernodes=n_clients,
                backend_config=backend,
            )
        if not (Path(settings["server-dir"]) / SERVER_BODY_FILE).exists():
            error = Path(settings["server-dir"]) / "error.txt"
            detail = error.read_text() if error.exists() else "no error was recorded"
            raise RuntimeError(f"the federated run stopped without a body: {detail}")

    def _deploy(self, settings, workdir: Path, client_dirs) -> None:
        from transferkit.federated.horizontal.deployment import LocalFederation, write_flower_app

        app_dir = write_flower_app(workdir / "app", settings)
        with LocalFederation(client_dirs, workdir, tls=bool(self.tls)) as federation:
            federation.run(
                app_dir,
                settings["server-dir"],
                timeout=float(self.round_timeout) * int(self.rounds) + 120.0,
            )

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "body_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this FederatedFineTune is not fitted yet; call fit first.")

    def client_net(self, client: int):
        """Client ``client``'s network: the shared body and its own head (a TransferNet)."""
        self._check_fitted()
        if not 0 <= int(client) < self.n_clients_ or self.heads_[int(client)] is None:
            raise TransferKitInputError(
                f"client must be one of 0..{self.n_clients_ - 1} with a trained head; "
                f"got {client!r}."
            )
        settings = json.loads(json.dumps(self._kwargs()))
        net = build_net(self.backbone, settings, len(self.classes_), int(self.random_state))
        load_arrays(net, self.body_, BODY_PREFIX)
        load_arrays(net, self.heads_[int(client)], HEAD_PREFIX)
        if self.batchnorms_ is not None:
            load_arrays(net, self.batchnorms_[int(client)], BODY_PREFIX, keys=batchnorm_keys(net))
        net.eval()
        return net

    def predict_proba(self, X: np.ndarray, client: int) -> np.ndarray:
        """Class probabilities of client ``client``'s model (shared body, its head)."""
        net = self.client_net(client)
        logits = predict_logits(net, as_images(np.asarray(X, dtype=np.float64), self.image_shape))
        return torch.softmax(logits, dim=1).numpy().astype(np.float64)

    def predict(self, X: np.ndarray, client: int) -> np.ndarray:
        """Labels predicted by client ``client``'s model."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X, client).argmax(axis=1)]

    def score(self, X: np.ndarray, y: np.ndarray, client: int) -> float:
        """Accuracy of client ``client``'s model on ``(X, y)``."""
        return float(np.mean(self.predict(X, client) == np.asarray(y)))
