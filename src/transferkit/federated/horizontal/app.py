"""The Flower App components for deployment (``flwr run``): ``server_app`` and ``client_app``.

A Flower App's ``pyproject.toml`` names them as
``transferkit.federated.horizontal.app:server_app`` and
``transferkit.federated.horizontal.app:client_app``
(:func:`~transferkit.federated.horizontal.deployment.write_flower_app` writes one). The
server reads its settings from the run configuration (``[tool.flwr.app.config]``, the
keys of :meth:`FederatedFineTune.run_config
<transferkit.federated.horizontal.FederatedFineTune.run_config>` plus ``server-dir``);
each SuperNode is started with ``--node-config 'client-dir="..." partition-id=K'``.
"""

from __future__ import annotations

from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.client import make_client_app
from transferkit.federated.horizontal.server import run_server

__all__ = ["client_app", "server_app"]


def _server_app():
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        settings = dict(context.run_config)
        run_server(grid, settings, str(settings["server-dir"]))

    return app


client_app = make_client_app()
server_app = _server_app()
