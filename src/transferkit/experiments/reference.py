"""The config reference of docs/experiments.md, generated from the pydantic models.

``python -m transferkit.experiments.reference`` prints it; a test checks that the page
holds exactly this text, so the documentation cannot drift from the validator.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from transferkit.experiments.config import (
    DataEntry,
    ExecutionConfig,
    ExperimentConfig,
    ImageFolders,
    MethodEntry,
    NilmData,
    TargetLabels,
    TrackingConfig,
)

__all__ = ["MODELS", "config_reference"]

#: (section title, model), in the order of the page.
MODELS: list[tuple[str, type[BaseModel]]] = [
    ("top level", ExperimentConfig),
    ("`data[]` entries", DataEntry),
    ("`data[].images`", ImageFolders),
    ("`data[].nilm`", NilmData),
    ("`methods[]` entries (or just the method's name)", MethodEntry),
    ("`target_labels`", TargetLabels),
    ("`execution`", ExecutionConfig),
    ("`tracking`", TrackingConfig),
]


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in args)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else ""
        )
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (list, dict):
        inner = ", ".join(_type(a) for a in args)
        return f"{origin.__name__}[{inner}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    name = getattr(annotation, "__name__", str(annotation))
    return {"Path": "path", "str": "string", "Any": "any"}.get(name, name)


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(defaults)"
        return f"`{value!r}`"
    if field.default is PydanticUndefined:  # pragma: no cover
        return ""
    return f"`{field.default!r}`" if field.default is not None else "`null`"


def config_reference() -> str:
    """Markdown tables of every key of an experiment config: type, default, meaning.

    Examples
    --------
    >>> print(config_reference().splitlines()[0])
    #### top level
    """
    out: list[str] = []
    for title, model in MODELS:
        doc = " ".join((model.__doc__ or "").split())
        out += [f"#### {title}", "", doc, "", "| key | type | default | meaning |"]
        out.append("|---|---|---|---|")
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            out.append(f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(config_reference(), end="")
