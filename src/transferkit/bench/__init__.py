"""Benchmarks: suites, a method registry, published reference numbers and the runner.

Run from the command line (``transferkit bench office_caltech_surf --methods
source_only,pca,coral``) or from Python with :func:`run_benchmark`. A family of methods
adds its entries in a module ``transferkit/bench/methods_<family>.py`` that calls
:func:`register_method`; such modules are discovered automatically. Methods, suites,
selectors and published rows live in :class:`transferkit.registry.Registry` instances
(:data:`METHODS`, :data:`SUITES`, :data:`SELECTORS`, :data:`PUBLISHED`).
"""

from transferkit.bench.published import (
    PUBLISHED,
    PublishedRow,
    get_published,
    published_rows,
    published_sources,
)
from transferkit.bench.registry import (
    METHODS,
    MethodSpec,
    discover_methods,
    get_method,
    list_methods,
    register_method,
    unregister_method,
)
from transferkit.bench.report import render_markdown
from transferkit.bench.runner import CellResult, load_results, result_paths, run_benchmark
from transferkit.bench.selection import (
    SELECTOR_CRITERIA,
    SELECTORS,
    SelectorInput,
    get_selector,
    list_selectors,
    make_selector,
    register_selector,
    unregister_selector,
)
from transferkit.bench.suites import (
    SUITES,
    Suite,
    Task,
    get_suite,
    list_suites,
    register_suite,
    unregister_suite,
)

__all__ = [
    "METHODS",
    "PUBLISHED",
    "SELECTORS",
    "SELECTOR_CRITERIA",
    "SUITES",
    "CellResult",
    "MethodSpec",
    "PublishedRow",
    "SelectorInput",
    "Suite",
    "Task",
    "discover_methods",
    "get_method",
    "get_published",
    "get_selector",
    "get_suite",
    "list_methods",
    "list_selectors",
    "list_suites",
    "load_results",
    "make_selector",
    "published_rows",
    "published_sources",
    "register_method",
    "register_selector",
    "register_suite",
    "render_markdown",
    "result_paths",
    "run_benchmark",
    "unregister_method",
    "unregister_selector",
    "unregister_suite",
]
