"""Published reference accuracies kept with the package, with citation and protocol.

The numbers live in ``bench/data/published_results.json``, transcribed from the
``PUBLISHED_RESULTS.md`` file that ships with the benchmark data (sections 1a-1d, 2, 3
and 4). Every row is identified by ``(suite, table, key)`` and referenced as the string
``"table:key"``, e.g. ``"coral2016_t3:CORAL"`` (CORAL paper, Table 3, CORAL row) or
``"jda2013_t2:JDA"``. Rows whose ``kind`` is ``"rerun"`` were re-computed with the
data files by the data curators; they are reference values, **not** published numbers,
and every table labels them as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from transferkit._validation import TransferKitInputError
from transferkit.registry import Registry

__all__ = [
    "PUBLISHED",
    "PublishedRow",
    "published_rows",
    "get_published",
    "check_reference",
    "published_sources",
]


@dataclass(frozen=True)
class PublishedRow:
    """One row of a published (or re-computed) results table.

    Attributes
    ----------
    suite, table, key : str
        Identity; ``ref`` is ``"table:key"``.
    label : str
        The row name as printed in the source table.
    kind : str
        ``"published"`` or ``"rerun"`` (re-computed, not a published number).
    citation : str
        Short citation of the table (paper, table number, where it was read).
    protocol : dict
        Classifier, dimension, lambda, kernel, normalisation and setting.
    values : dict
        ``task -> accuracy in %`` (tasks named like ``"C->A"``); missing cells absent.
    decimals : int
        Decimals printed in the source table (2 for the JDA table, 1 for most others).
    average_printed, average_recomputed : float or None
        The average as printed in the source, and as recomputed from ``values``
        (``None`` when not every task of the row has a value).
    note : str or None
    """

    suite: str
    table: str
    key: str
    label: str
    kind: str
    citation: str
    protocol: dict[str, Any] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    decimals: int = 2
    average_printed: float | None = None
    average_recomputed: float | None = None
    source: str = ""
    note: str | None = None

    @property
    def ref(self) -> str:
        """The ``"table:key"`` reference of this row."""
        return f"{self.table}:{self.key}"

    @property
    def is_rerun(self) -> bool:
        """True for re-computed reference rows (not published numbers)."""
        return self.kind == "rerun"

    @property
    def average(self) -> float | None:
        """The printed average when there is one, else the recomputed one."""
        return self.average_printed if self.average_printed is not None else self.average_recomputed

    def matches(self, task: str, accuracy: float) -> bool:
        """Whether ``accuracy`` rounds to the published value of ``task`` (printed digits)."""
        value = self.values.get(task)
        return value is not None and abs(round(accuracy, self.decimals) - value) < 1e-9

    def protocol_text(self) -> str:
        """The protocol in one line: ``classifier; dim; lambda; kernel; normalisation``."""
        names = {
            "setting": "",
            "classifier": "classifier: ",
            "dim": "dim ",
            "lambda_": "λ = ",
            "kernel": "kernel ",
            "normalisation": "features: ",
            "other": "",
        }
        parts = []
        for name, prefix in names.items():
            value = self.protocol.get(name)
            if value is not None and value != "":
                parts.append(f"{prefix}{value}")
        return "; ".join(parts)


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    text = (
        resources.files("transferkit.bench")
        .joinpath("data/published_results.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def _register_rows() -> None:
    data = _load()
    tables = data["tables"]
    for raw in data["rows"]:
        table = tables.get(raw["table"], {})
        protocol = dict(table.get("protocol", {}))
        protocol.update(raw.get("protocol", {}))
        citation = raw.get("citation") or table.get("citation") or raw["table"]
        row = PublishedRow(
            suite=raw["suite"],
            table=raw["table"],
            key=raw["key"],
            label=raw["label"],
            kind=raw["kind"],
            citation=citation,
            protocol=protocol,
            values=dict(raw["values"]),
            decimals=int(raw.get("decimals", 2)),
            average_printed=raw.get("average_printed"),
            average_recomputed=raw.get("average_recomputed"),
            source=raw.get("source", ""),
            note=raw.get("note"),
        )
        PUBLISHED.register(f"{row.suite}/{row.ref}", row)


#: Every published (or re-computed) reference row, named ``"suite/table:key"`` and
#: read from the package data on first use.
PUBLISHED: Registry[PublishedRow] = Registry("published row", loader=_register_rows)


def _rows() -> list[PublishedRow]:
    return list(PUBLISHED.values())


def published_sources() -> dict[str, str]:
    """Full citations of the source tags (``[JDA]``, ``[CORAL]``, ``[RERUN]`` ...)."""
    return dict(_load()["sources"])


def published_rows(
    suite: str | None = None, *, table: str | None = None, key: str | None = None
) -> list[PublishedRow]:
    """Rows filtered by ``suite``, ``table`` and/or row ``key`` (all when omitted).

    Examples
    --------
    >>> [r.ref for r in published_rows("office_caltech_surf", key="CORAL")]
    ['meda2018_t2:CORAL', 'coral2016_t3:CORAL', 'coral2016_t1:CORAL']
    """
    return [
        r
        for r in _rows()
        if (suite is None or r.suite == suite)
        and (table is None or r.table == table)
        and (key is None or r.key == key)
    ]


def get_published(suite: str, ref: str) -> PublishedRow:
    """The row ``ref`` (``"table:key"``) of ``suite``.

    Examples
    --------
    >>> row = get_published("office_caltech_surf", "coral2016_t3:CORAL")
    >>> row.average_printed, row.values["C->A"]
    (48.8, 52.1)
    >>> get_published("office_caltech_surf", "rerun:PCA").is_rerun
    True
    """
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise TransferKitInputError(
            f"published reference {ref!r} must look like 'table:key', e.g. 'coral2016_t3:CORAL'."
        )
    if f"{suite}/{ref}" not in PUBLISHED:
        known = sorted({r.ref for r in published_rows(suite)})
        if not known:
            suites = sorted({r.suite for r in _rows()})
            raise TransferKitInputError(
                f"no published rows for suite {suite!r}; suites with rows: {', '.join(suites)}."
            )
        raise TransferKitInputError(
            f"no published row {ref!r} for suite {suite!r}; known rows: {', '.join(known)}."
        )
    return PUBLISHED[f"{suite}/{ref}"]


def check_reference(suite: str, ref: str) -> PublishedRow:
    """Raise a clear error unless ``ref`` names a row of ``suite`` (returns the row)."""
    return get_published(suite, ref)
