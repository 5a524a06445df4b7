"""Label-free hyper-parameter selectors for ``transferkit bench SUITE --select NAME``.

Registers ``iwcv``, ``dev``, ``snd``, ``entropy``, ``reverse`` and ``source_cv`` from
:mod:`transferkit.selection` (3 stratified source folds; IWCV/DEV use the default
density-ratio estimator). None of them sees the target labels.
"""

from __future__ import annotations

from transferkit.bench.selection import SELECTOR_CRITERIA, make_selector, register_selector

__all__: list[str] = []

for _name, (_criterion, _description) in SELECTOR_CRITERIA.items():
    register_selector(
        _name, make_selector(_criterion, cv=3), description=_description, replace=True
    )
