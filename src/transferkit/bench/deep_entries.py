"""Benchmark entries of the deep estimators of :mod:`transferkit.deep`, from fixed settings.

A deep study registers one entry per method with the settings of its protocol (network,
input shape, optimiser, schedule, epochs, batch size, hold-out, ...):
:func:`register_deep_method` builds ``transferkit.deep.<estimator>(random_state=seed,
**settings)`` for every cell. A benchmark script that wants to be the same computation as
a config cell builds its estimators through the registered entry
(``get_method(name).build(seed, params)``), as ``transferkit run`` does.

torch is imported when an estimator is built, never when an entry is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from transferkit._validation import TransferKitInputError
from transferkit.bench.registry import MethodSpec, register_method

__all__ = ["DEEP_ESTIMATORS", "deep_factory", "register_deep_method"]

#: The estimators of :mod:`transferkit.deep` an entry can build (single-source ones).
DEEP_ESTIMATORS = ("DeepSourceOnly", "DANN", "DAN", "DeepCORAL", "CDAN", "TADA")


def deep_factory(estimator: str, **settings: Any) -> Callable[[Any], Any]:
    """``factory(random_state) -> transferkit.deep.<estimator>(random_state=seed, **settings)``.

    Parameters
    ----------
    estimator : str
        One of :data:`DEEP_ESTIMATORS`.
    **settings
        Parameters of that estimator (everything but ``random_state``, which is the
        cell's seed; ``None`` gives seed 0). They are checked against the estimator's
        parameters when the first estimator is built (torch is not imported before).

    Returns
    -------
    callable
        The factory, with ``estimator`` and ``settings`` attributes.

    Examples
    --------
    >>> build = deep_factory("DANN", hidden=(16,), epochs=2, selection=None)
    >>> clf = build(3)
    >>> type(clf).__name__, clf.epochs, clf.random_state
    ('DANN', 2, 3)
    >>> build.estimator, build.settings["epochs"]
    ('DANN', 2)
    """
    if not isinstance(estimator, str) or estimator not in DEEP_ESTIMATORS:
        raise TransferKitInputError(
            f"estimator={estimator!r} is not a deep estimator an entry can build; use one "
            f"of {', '.join(DEEP_ESTIMATORS)} (M3SDA has its own entries)."
        )
    if "random_state" in settings:
        raise TransferKitInputError(
            "settings must not hold 'random_state': the factory passes each cell's seed; "
            "drop it from the settings."
        )
    fixed = dict(settings)

    def build(random_state: Any = None) -> Any:
        from transferkit._optional import require

        require("torch", extra="torch", purpose=f"the benchmark entry of {estimator}")
        import transferkit.deep as deep

        cls = getattr(deep, estimator)
        unknown = sorted(set(fixed) - set(cls._get_param_names()))
        if unknown:
            raise TransferKitInputError(
                f"settings name no parameter of {estimator}: {', '.join(map(repr, unknown))}; "
                f"its parameters: {', '.join(cls._get_param_names())}."
            )
        seed = 0 if random_state is None else int(random_state)
        return cls(random_state=seed, **fixed)

    build.estimator = estimator  # type: ignore[attr-defined]
    build.settings = fixed  # type: ignore[attr-defined]
    return build


def register_deep_method(
    name: str,
    estimator: str,
    *,
    settings: Mapping[str, Any],
    description: str,
    suites: Iterable[str] | None = None,
    param_grid: Mapping[str, list[Any]] | None = None,
    replace: bool = False,
) -> MethodSpec:
    """Register a benchmark entry that builds ``transferkit.deep.<estimator>(**settings)``.

    Parameters
    ----------
    name : str
        The entry's name (``transferkit bench --list-methods``, config ``methods``).
    estimator : str
        One of :data:`DEEP_ESTIMATORS`.
    settings : mapping
        The estimator's parameters for every cell (a config's ``params`` and ``sweep``
        override them per cell through ``set_params``).
    description : str
        One line: method, network and training settings.
    suites : iterable of str, optional
        The suites whose inputs the settings fit (e.g. an ``image_shape``); ``None``:
        all.
    param_grid : dict, optional
        Candidates for hyper-parameter selection, as in :func:`register_method`.
    replace : bool
        Allow overwriting an existing entry.

    Returns
    -------
    MethodSpec

    Examples
    --------
    >>> from transferkit.bench import get_method, unregister_method
    >>> spec = register_deep_method(
    ...     "example_dann", "DANN", settings={"hidden": (16,), "epochs": 2},
    ...     description="DANN, 16-unit MLP, 2 epochs")
    >>> get_method("example_dann").factory.settings
    {'hidden': (16,), 'epochs': 2}
    >>> unregister_method("example_dann")
    """
    if not isinstance(settings, Mapping):
        raise TransferKitInputError(
            f"settings must be a mapping of {estimator} parameters; got {type(settings).__name__}."
        )
    return register_method(
        name,
        deep_factory(estimator, **dict(settings)),
        description=description,
        suites=suites,
        param_grid=param_grid,
        replace=replace,
    )
