"""The Flower ``ServerApp``: FedAvg over the shared body, with an audit of every reply.

The strategy is Flower's :class:`flwr.serverapp.strategy.FedAvg` (node sampling, message
construction, the round loop, dropping failed replies) with two changes in
``aggregate_train``:

* the replies are sorted by the clients' ``partition-id`` and averaged in float64 by
  :func:`~transferkit.federated.horizontal.params.fedavg`, so that the body does not depend
  on the order in which replies arrive (simulation and deployment give the same body);
* every reply is written to the *audit* (round, node, partition, the names, shapes and
  bytes of the arrays it carried, its metric names, or its error), and a reply that
  carries anything but the body's arrays is refused.

With ``local-batchnorm`` (FedBN) the clients reply without the body's batch-norm arrays;
the server averages the rest and keeps sending the initial batch-norm arrays (each client
uses them in round 1 only, then its own).

A client that fails in a round (its reply is an error, or it does not answer before the
timeout) stops the run with :class:`ClientFailureError` when ``on-client-failure`` is
``"raise"`` (the default); with ``"skip"`` the round aggregates the clients that
answered, as Flower's FedAvg does, and the failure is recorded in the audit and the
history. A round in which no client answered always stops the run.

Everything the server produces goes to its *server dir*: ``body.safetensors`` (the final
body), ``history.json`` (per round: seconds, bytes down and up, clients, mean train
loss) and ``audit.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.params import (
    BODY_PREFIX,
    batchnorm_keys,
    build_net,
    fedavg,
)

__all__ = [
    "ClientFailureError",
    "SERVER_AUDIT_FILE",
    "SERVER_BODY_FILE",
    "SERVER_ERROR_FILE",
    "SERVER_HISTORY_FILE",
    "make_server_app",
    "run_server",
]

SERVER_BODY_FILE = "body.safetensors"
SERVER_HISTORY_FILE = "history.json"
SERVER_AUDIT_FILE = "audit.json"
SERVER_ERROR_FILE = "error.txt"


class ClientFailureError(RuntimeError):
    """A client failed (error reply or no reply) during a federated round."""


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def _save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    tmp = path.with_suffix(".tmp")
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
    os.replace(tmp, path)


def _strategy_class():
    from flwr.app import Array, ArrayRecord, MetricRecord
    from flwr.serverapp.strategy import FedAvg

    class BodyFedAvg(FedAvg):
        """Flower's FedAvg with order-independent float64 averaging and an audit."""

        def __init__(self, body_keys, on_failure, record, fixed=None, **kwargs):
            super().__init__(**kwargs)
            self.body_keys = set(body_keys)
            self.fixed = dict(fixed or {})  # sent every round, never averaged (FedBN)
            self.on_failure = on_failure
            self.record = record  # callable(server_round, replies_info, failures)

        def aggregate_train(self, server_round: int, replies: Iterable[Any]):
            replies = list(replies)
            valid, failed = [], []
            entries = []
            for msg in replies:
                node = int(msg.metadata.src_node_id)
                if msg.has_error():
                    reason = f"{msg.error.reason} (code {msg.error.code})"
                    failed.append((node, reason))
                    entries.append({"round": server_round, "node": node, "error": reason})
                    continue
                content = msg.content
                arrays = {
                    k: a for record in content.array_records.values() for k, a in record.items()
                }
                metrics = dict(next(iter(content.metric_records.values()), {}))
                entries.append(
                    {
                        "round": server_round,
                        "node": node,
                        "partition": int(metrics.get("partition-id", -1)),
                        "records": sorted(content.keys()),
                        "arrays": {k: [list(a.shape), a.dtype] for k, a in arrays.items()},
                        "metrics": sorted(metrics),
                        "bytes": int(sum(r.count_bytes() for r in content.array_records.values())),
                        "error": None,
                    }
                )
                if set(arrays) != self.body_keys:
                    extra = sorted(set(arrays) - self.body_keys)
                    raise ClientFailureError(
                        f"node {node} sent arrays other than the shared body in round "
                        f"{server_round} (unexpected {extra[:3]}, missing "
                        f"{sorted(self.body_keys - set(arrays))[:3]}); only backbone.* "
                        "arrays of the shared body may leave a client."
                    )
                valid.append(
                    (
                        int(metrics["partition-id"]),
                        {k: a.numpy() for k, a in arrays.items()},
                        float(metrics["num-examples"]),
                        float(metrics.get("train-loss", float("nan"))),
                    )
                )
            for _ in range(max(0, self.expected - len(replies))):
                reason = "no reply before round-timeout (the client is gone or too slow)"
                failed.append((None, reason))
                entries.append({"round": server_round, "node": None, "error": reason})
            self.record(server_round, entries, failed, len(valid))
            if failed and (self.on_failure == "raise" or not valid):
                detail = "; ".join(f"node {n}: {r}" for n, r in failed)
                raise ClientFailureError(
                    f"{len(failed)} of {self.expected} clients "
                    f"failed in round {server_round} ({detail}). The body of round "
                    f"{server_round - 1} is kept; fix the client and run again, or pass "
                    "on_client_failure='skip' to aggregate the clients that answered."
                )
            valid.sort(key=lambda item: item[0])
            body = fedavg([(arrays, n) for _, arrays, n, _ in valid]) | self.fixed
            total = sum(n for _, _, n, _ in valid)
            loss = sum(n * loss for _, _, n, loss in valid) / total
            return (
                ArrayRecord({k: Array(v) for k, v in body.items()}),
                MetricRecord({"train-loss": loss, "num-examples": int(total)}),
            )

        def configure_train(self, server_round, arrays, config, grid):
            messages = list(super().configure_train(server_round, arrays, config, grid))
            self.expected = len(messages)
            self.down_bytes = arrays.count_bytes() * len(messages)
            return messages

    return BodyFedAvg


def run_server(
    grid: Any,
    settings: dict[str, Any],
    server_dir: str | Path,
    round_callback: Callable[[int, dict[str, Any]], None] | None = None,
) -> None:
    """The server's main: ``settings`` is the run configuration (dash-separated keys)."""
    from flwr.app import Array, ArrayRecord, ConfigRecord

    server_dir = Path(server_dir)
    server_dir.mkdir(parents=True, exist_ok=True)
    try:
        _run_server(grid, settings, server_dir, round_callback, Array, ArrayRecord, ConfigRecord)
    except BaseException as exc:
        (server_dir / SERVER_ERROR_FILE).write_text(f"{type(exc).__name__}: {exc}")
        raise


def _run_server(grid, settings, server_dir, round_callback, Array, ArrayRecord, ConfigRecord):
    on_failure = str(settings.get("on-client-failure", "raise"))
    if on_failure not in ("raise", "skip"):
        raise TransferKitInputError(
            f"on-client-failure must be 'raise' or 'skip'; got {on_failure!r}."
        )
    n_clients = int(settings["num-clients"])
    seed = int(settings["random-state"])
    net = build_net(
        str(settings["backbone"]),
        str(settings["backbone-kwargs"]),
        int(settings["n-classes"]),
        seed,
        pretrained=bool(settings.get("pretrained", False)),
    )
    body = {
        k: v.detach().cpu().numpy().copy()
        for k, v in net.state_dict().items()
        if k.startswith(BODY_PREFIX)
    }
    initial = str(settings.get("initial-body", ""))
    if initial:
        from safetensors.numpy import load_file

        loaded = load_file(initial)
        if set(loaded) != set(body):
            raise TransferKitInputError(
                f"initial body {initial!r} does not fit backbone {settings['backbone']!r} "
                f"with backbone_kwargs {settings['backbone-kwargs']}; save it from the same "
                "network (its backbone.* arrays)."
            )
        body = loaded
    local_bn = bool(settings.get("local-batchnorm", False))
    fixed_keys = batchnorm_keys(net) if local_bn else set()
    history: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    clock = {"start": time.perf_counter()}

    strategy = _strategy_class()(
        body_keys=set(body) - fixed_keys,
        on_failure=on_failure,
        record=None,
        fixed={k: np.asarray(body[k]) for k in fixed_keys},
        fraction_train=1.0,
        fraction_evaluate=0.0,
        min_train_nodes=n_clients,
        min_available_nodes=n_clients,
    )

    def record(server_round, entries, failed, n_ok):
        audit.extend(entries)
        up = sum(e.get("bytes", 0) for e in entries)
        now = time.perf_counter()
        row = {
            "round": server_round,
            "seconds": now - clock["start"],
            "bytes_down": int(strategy.down_bytes),
            "bytes_up": int(up),
            "clients": n_ok,
            "failed": [{"node": n, "reason": r} for n, r in failed],
        }
        clock["start"] = now
        history.append(row)
        _write_json(server_dir / SERVER_AUDIT_FILE, audit)
        _write_json(server_dir / SERVER_HISTORY_FILE, history)

    strategy.record = record
    train_config = ConfigRecord(
        {
            k: settings[k]
            for k in (
                "backbone",
                "backbone-kwargs",
                "n-classes",
                "policy",
                "local-epochs",
                "lr",
                "batch-size",
                "augment-shift",
                "random-state",
            )
        }
        | {
            "local-batchnorm": local_bn,
            "shared-head-init": bool(settings.get("shared-head-init", False)),
            "head-epochs": int(settings.get("head-epochs", 0)),
        }
    )

    def evaluate_fn(server_round: int, arrays) -> None:
        if server_round == 0:
            return None
        row = history[-1]
        if round_callback is not None:
            round_callback(server_round, dict(row))
        return None

    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord({k: Array(np.asarray(v)) for k, v in body.items()}),
        num_rounds=int(settings["rounds"]),
        timeout=float(settings.get("round-timeout", 3600.0)),
        train_config=train_config,
        evaluate_fn=evaluate_fn,
    )
    for server_round, metrics in result.train_metrics_clientapp.items():
        history[server_round - 1]["train_loss"] = float(metrics["train-loss"])
    _write_json(server_dir / SERVER_HISTORY_FILE, history)
    final = {k: a.numpy() for k, a in result.arrays.items()}
    _save_arrays(server_dir / SERVER_BODY_FILE, final)


def make_server_app(
    settings: dict[str, Any],
    server_dir: str | Path,
    round_callback: Callable[[int, dict[str, Any]], None] | None = None,
):
    """A ``ServerApp`` running :func:`run_server` with fixed settings (simulation).

    In deployment the module-level app of :mod:`transferkit.federated.horizontal.app`
    reads the same settings from the run configuration instead.
    """
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        run_server(grid, settings, server_dir, round_callback)

    return app
