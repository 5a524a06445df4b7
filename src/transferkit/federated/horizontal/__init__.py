"""Federated fine-tuning on Flower: FedAvg over a shared pretrained body, client-local heads.

N clients, each with a small labelled target data set, fine-tune one shared pretrained
network. Each round every client fine-tunes the current body and its own head on its data
(:func:`transferkit.finetune.train_net` on the shared engine, under a fine-tuning policy),
sends back the body only, and the server averages the bodies weighted by the clients'
sample counts (FedAvg). The heads never leave the clients (FedPer-style personalisation:
Arivazhagan et al., "Federated Learning with Personalization Layers", 2019).

* :class:`FederatedFineTune` - the Python face, ``fit(client_datasets)``;
* :func:`fedavg` - the weighted average, :mod:`~.params` - body/head split;
* :func:`make_client_app`, :func:`make_server_app` - the Flower apps (simulation);
  :mod:`~.app` - the same apps as Flower App components (``flwr run``);
* :class:`LocalFederation` - a SuperLink and SuperNodes as OS processes on loopback.

Needs the ``torch`` and ``federated`` extras.
"""

from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.client import (
    client_seed,
    load_client_data,
    load_head,
    load_local_batchnorm,
    local_round,
    make_client_app,
    save_client_data,
)
from transferkit.federated.horizontal.deployment import (
    DeploymentError,
    LocalFederation,
    make_tls_files,
    write_flower_app,
)
from transferkit.federated.horizontal.estimator import FederatedFineTune
from transferkit.federated.horizontal.params import (
    BODY_PREFIX,
    HEAD_PREFIX,
    batchnorm_keys,
    body_arrays,
    build_net,
    fedavg,
    head_arrays,
    load_arrays,
)
from transferkit.federated.horizontal.server import (
    ClientFailureError,
    make_server_app,
    run_server,
)

__all__ = [
    "BODY_PREFIX",
    "ClientFailureError",
    "DeploymentError",
    "FederatedFineTune",
    "HEAD_PREFIX",
    "LocalFederation",
    "batchnorm_keys",
    "body_arrays",
    "build_net",
    "client_seed",
    "fedavg",
    "head_arrays",
    "load_arrays",
    "load_client_data",
    "load_head",
    "load_local_batchnorm",
    "local_round",
    "make_client_app",
    "make_server_app",
    "make_tls_files",
    "run_server",
    "save_client_data",
    "write_flower_app",
]
