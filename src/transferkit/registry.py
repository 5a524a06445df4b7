"""One small name -> entry registry, used for every named thing transferkit looks up.

Benchmark methods (:data:`transferkit.bench.registry.METHODS`), suites
(:data:`transferkit.bench.suites.SUITES`), hyper-parameter selectors
(:data:`transferkit.bench.selection.SELECTORS`), published reference rows
(:data:`transferkit.bench.published.PUBLISHED`) and data sets
(:data:`transferkit.datasets.DATASETS`) are all :class:`Registry` instances, so they
register, look up, list and refuse unknown names the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from transferkit._validation import TransferKitInputError

__all__ = ["Registry", "UnknownNameError"]

T = TypeVar("T")


class UnknownNameError(TransferKitInputError, KeyError):
    """A name that is not registered; the message lists the registered names.

    It is a :class:`~transferkit._validation.TransferKitInputError` (a ``ValueError``)
    and also a ``KeyError``, so ``registry[name]`` behaves like a dictionary lookup.
    """

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class Registry(Mapping[str, T], Generic[T]):
    """Entries registered by name, with their metadata, in registration order.

    A registry is a read-only :class:`~collections.abc.Mapping` (``registry[name]``,
    ``name in registry``, ``registry.items()``) plus :meth:`register`,
    :meth:`unregister` and :meth:`lookup`. The entry is any object; it usually is a
    frozen dataclass carrying the metadata (description, citation, ...).

    Parameters
    ----------
    kind : str
        What the entries are, in words (``"benchmark method"``); used in messages.
    loader : callable, optional
        Called once, before the first lookup or listing, to register the entries that
        live in other modules (e.g. import every ``methods_*`` module).
    protected : iterable of str
        Names that :meth:`unregister` keeps.
    hint : str
        A sentence appended to the "unknown name" message (e.g. how to list them).

    Examples
    --------
    >>> colours = Registry("colour")
    >>> colours.register("red", "#ff0000")
    '#ff0000'
    >>> colours["red"], "blue" in colours, colours.names()
    ('#ff0000', False, ['red'])
    >>> colours.lookup("blue")
    Traceback (most recent call last):
    ...
    transferkit.registry.UnknownNameError: unknown colour 'blue'; known: red.
    """

    def __init__(
        self,
        kind: str,
        *,
        loader: Callable[[], object] | None = None,
        protected: Iterable[str] = (),
        hint: str = "",
    ) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._loader = loader
        self._loaded = loader is None
        self._loading = False
        self._protected = frozenset(protected)
        self._hint = hint

    # -- loading --------------------------------------------------------------------
    def load(self) -> None:
        """Run the loader now (once); registries call this before every lookup."""
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            assert self._loader is not None
            self._loader()
            self._loaded = True
        finally:
            self._loading = False

    # -- writing --------------------------------------------------------------------
    def register(self, name: str, entry: T, *, replace: bool = False) -> T:
        """Add ``entry`` under ``name`` and return it.

        Raises
        ------
        TransferKitInputError
            If ``name`` is empty or not a string, or is already registered and
            ``replace`` is false.
        """
        if not isinstance(name, str) or not name:
            raise TransferKitInputError(
                f"a {self.kind} name must be a non-empty string; got {name!r}."
            )
        if name in self._entries and not replace:
            raise TransferKitInputError(
                f"a {self.kind} named {name!r} is already registered; choose another name "
                "or pass replace=True."
            )
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (unknown and protected names are ignored)."""
        if name not in self._protected:
            self._entries.pop(name, None)

    # -- reading --------------------------------------------------------------------
    def lookup(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises :class:`UnknownNameError`."""
        self.load()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self._entries)) or "(none)"
            hint = f" {self._hint}" if self._hint else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {known}.{hint}") from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        self.load()
        return sorted(self._entries)

    def __getitem__(self, name: str) -> T:
        return self.lookup(name)

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self.load()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} entries)"

    @classmethod
    def from_mapping(cls, kind: str, entries: Mapping[str, T], **kwargs: object) -> Registry[T]:
        """A registry holding ``entries`` (a dict literal, in its order)."""
        registry: Registry[T] = cls(kind, **kwargs)  # type: ignore[arg-type]
        for name, entry in entries.items():
            registry.register(name, entry)
        return registry
