"""The experiment config: what ``transferkit run experiment.yaml`` reads, validated.

An experiment names everything by its registered name (benchmark suites, methods,
selectors: the :class:`~transferkit.registry.Registry` instances of
:mod:`transferkit.bench`; observers of :mod:`transferkit.experiments.observers`), so a
method registered anywhere (deep, multi-source, ``NAME+guard``) can be run without any
change here. A config is a YAML or JSON mapping::

    name: coral_office
    data:
      - suite: office_caltech_surf          # a registered benchmark suite
        tasks: ["C->A", "D->W"]             # optional subset of its tasks
      - arrays: my_task.npz                 # X_source, y_source, X_target, y_target
      - images: {source: photos/us, target: photos/cn, size: 32}
      - nilm: {dataset: simulated, n_houses: 2}
    methods:
      - source_only                         # a name alone: registered defaults
      - name: coral
        grid: {transfer__lambda_: [1.0, 0.1, 10.0]}   # candidates for the selection rule
      - name: pca
        sweep: {transfer__n_components: [10, 50]}     # every value is its own cell
        params: {}                                    # fixed overrides (set_params)
    selection: [iwcv, oracle]               # label-free selectors and/or oracle (a bound)
    seeds: 3                                # seeds 0, 1, 2 (or a list)
    target_labels: {fraction: 0.05}         # optional: 5% of each target labelled
                                            # (or {per_class: [0, 1, 5]}: a budget axis)
    output: results/coral_office            # relative to the config file
    execution: {backend: sequential}        # or ray, with address / max_parallel
    tracking: null                          # or {name: mlflow, options: {...}}

Every validation error names the key path (``methods[1].grid``) and the allowed values
or the expected type. Validation needs pydantic (a core dependency: ``transferkit bench``
is built on the same config, and pydantic is imported only when a config is read, never
by ``import transferkit``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from transferkit._validation import TransferKitInputError

__all__ = [
    "ConfigError",
    "DataEntry",
    "ExecutionConfig",
    "ExperimentConfig",
    "ImageFolders",
    "MethodEntry",
    "NilmData",
    "TargetLabels",
    "TrackingConfig",
    "load_config",
    "parse_config",
]

MEMORY_MODES = ("both", "rss", "tracemalloc", "none")
#: Largest seed count (``seeds: N`` runs seeds 0 .. N-1), as ``transferkit bench``.
MAX_SEEDS = 1000
_MAX_SEED_VALUE = 2**32 - 1
#: Largest number of cells one config may expand to (a typo in a grid is caught early).
MAX_CELLS = 100_000


class ConfigError(TransferKitInputError):
    """An experiment config that cannot be read or is invalid; the message lists every
    problem with its key path and the allowed values."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context or {}
    return Path(context.get("base_dir", "."))


def _resolve(path: Path, info: ValidationInfo) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() else (_base_dir(info) / path)


def _unknown(exc: TransferKitInputError) -> ValueError:
    return ValueError(" ".join(str(exc).split()))


class ImageFolders(_Strict):
    """Two folders of images, one sub-folder per class (``source/<class>/*.png``)."""

    source: Path = Field(description="folder of the labelled source images")
    target: Path = Field(description="folder of the target images (labels used for scoring)")
    size: int = Field(32, ge=4, le=512, description="images are resized to size x size")
    grayscale: bool = Field(True, description="convert to one grey channel")

    @field_validator("source", "target")
    @classmethod
    def _folder(cls, value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if not path.is_dir():
            raise ValueError(f"folder {str(path)!r} does not exist")
        return path


class NilmData(_Strict):
    """NILM appliance recognition across countries, as V-I image features.

    ``simulated``: the waveform simulator (US houses -> Chinese houses, no download);
    ``plaid_hfhadc``: the real PLAID 2018 -> HFHAD-C subsets (SHA-256 verified files).
    ``features`` chooses the representation of each record's V-I image.
    """

    dataset: Literal["simulated", "plaid_hfhadc"] = Field(description="which NILM data")
    features: Literal["pixels", "efficientnet"] = Field(
        "pixels",
        description="pixels: the blurred 32x32 V-I image (1024 columns, row-major, the "
        "input of image networks); efficientnet: 1280 frozen ImageNet EfficientNet-Lite0 "
        "features of the unblurred image (transferkit.nilm.vi_cnn_features, needs torch)",
    )
    n_houses: int = Field(6, ge=2, le=50, description="houses per country (simulated)")
    records_per_appliance: int = Field(5, ge=1, le=100, description="(simulated)")
    blur: float = Field(
        0.7, ge=0.0, le=10.0, description="Gaussian blur of the V-I images (pixels)"
    )
    random_state: int = Field(0, ge=0, description="seed of the simulator")


class DataEntry(_Strict):
    """One source of transfer tasks: exactly one of ``suite``, ``arrays``, ``images``,
    ``nilm``."""

    suite: str | None = Field(None, description="a registered benchmark suite")
    tasks: list[str] | None = Field(None, description="subset of the suite's tasks")
    arrays: Path | None = Field(
        None, description=".npz file with X_source, y_source, X_target, y_target"
    )
    images: ImageFolders | None = Field(None, description="two folders of class sub-folders")
    nilm: NilmData | None = Field(None, description="a NILM cross-country task")
    name: str | None = Field(None, description="task name (default: from the file/folder)")

    @field_validator("suite")
    @classmethod
    def _known_suite(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from transferkit.bench.suites import get_suite

        try:
            get_suite(value)
        except TransferKitInputError as exc:
            raise _unknown(exc) from None
        return value

    @field_validator("arrays")
    @classmethod
    def _npz_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return value
        path = _resolve(value, info)
        if path.suffix != ".npz":
            raise ValueError(f"{str(path)!r} is not an .npz file (numpy.savez)")
        if not path.is_file():
            raise ValueError(f"file {str(path)!r} does not exist")
        return path

    @model_validator(mode="after")
    def _one_kind(self) -> DataEntry:
        kinds = [k for k in ("suite", "arrays", "images", "nilm") if getattr(self, k) is not None]
        if len(kinds) != 1:
            got = ", ".join(kinds) if kinds else "none of them"
            raise ValueError(
                f"give exactly one of the keys suite, arrays, images, nilm (got {got})"
            )
        if self.tasks is not None:
            if self.suite is None:
                raise ValueError("tasks is only allowed with suite")
            from transferkit.bench.suites import get_suite

            suite = get_suite(self.suite)
            for task in self.tasks:
                try:
                    suite.task(task)
                except TransferKitInputError as exc:
                    raise _unknown(exc) from None
            if not self.tasks:
                raise ValueError("tasks is empty; leave it out to run every task")
        return self


Seeds = Annotated[int, Field(ge=0, le=_MAX_SEED_VALUE)]


def _check_seeds(value: int | list[int]) -> int | list[int]:
    if isinstance(value, int):
        if not 1 <= value <= MAX_SEEDS:
            raise ValueError(f"{value} seeds is out of range; allowed 1..{MAX_SEEDS}")
    else:
        if not value:
            raise ValueError("the list of seeds is empty")
        if len(value) > MAX_SEEDS:
            raise ValueError(f"{len(value)} seeds is too many; at most {MAX_SEEDS}")
    return value


def _check_selectors(value: list[str]) -> list[str]:
    """Registered selection rules, duplicates dropped (order kept)."""
    from transferkit.bench.selection import get_selector

    if not value:
        raise ValueError("selection is empty; use none for the defaults")
    for name in value:
        try:
            get_selector(name)
        except TransferKitInputError as exc:
            raise _unknown(exc) from None
    return list(dict.fromkeys(value))


def _seed_values(value: int | list[int]) -> list[int]:
    """The seeds of a ``seeds`` value: a count N (seeds 0 .. N-1) or a list."""
    return list(range(value)) if isinstance(value, int) else list(value)


def _check_grid(value: dict[str, list[Any]] | None, key: str) -> dict[str, list[Any]] | None:
    if value is None:
        return value
    if not value:
        raise ValueError(f"{key} is empty; leave it out or give {{param: [values]}}")
    for param, values in value.items():
        if not values:
            raise ValueError(f"{key}[{param!r}] has no values")
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{key}[{param!r}] holds {v}; only finite numbers")
    return value


class MethodEntry(_Strict):
    """A registered method, with fixed parameters, a selection grid and/or a sweep.

    ``params`` are set on every cell; ``grid`` values are the *candidates* the selection
    rule chooses among inside each cell (default: the method's registered grid);
    ``sweep`` values each make their own cells (a sensitivity study). Parameter names
    are the estimator's ``set_params`` names (``transfer__lambda_``). ``suites`` and
    ``seeds`` narrow one entry when a study is not a full product (a method run on some
    suites only, one seed for a method that ignores its seed), and ``selection`` gives
    it its own selection rules (e.g. ``target_cv`` for the one entry with a grid); the
    same method may appear in several entries.
    """

    name: str = Field(description="a registered method, or NAME+guard")
    params: dict[str, Any] = Field(
        default_factory=dict, description="fixed parameters, set on every cell"
    )
    grid: dict[str, list[Any]] | None = Field(
        None, description="candidates the selection rule chooses among (default: registered)"
    )
    sweep: dict[str, list[Any]] | None = Field(
        None, description="values that each run as their own cells"
    )
    suites: list[str] | None = Field(
        None,
        description="run only on the tasks of these suites (default: every suite of data "
        "it is registered for)",
    )
    seeds: int | list[Seeds] | None = Field(
        None, description="this entry's seeds, a count or a list (default: the top-level seeds)"
    )
    selection: list[str] | None = Field(
        None, description="this entry's selection rules (default: the top-level selection)"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _known_method(cls, value: str) -> str:
        from transferkit.bench.registry import get_method

        try:
            get_method(value)
        except TransferKitInputError as exc:
            raise _unknown(exc) from None
        return value

    @field_validator("grid")
    @classmethod
    def _grid(cls, value: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        return _check_grid(value, "grid")

    @field_validator("sweep")
    @classmethod
    def _sweep(cls, value: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        return _check_grid(value, "sweep")

    @field_validator("suites")
    @classmethod
    def _known_suites(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("suites is empty; leave it out to run on every suite")
        from transferkit.bench.suites import get_suite

        for name in value:
            try:
                get_suite(name)
            except TransferKitInputError as exc:
                raise _unknown(exc) from None
        return list(dict.fromkeys(value))

    @field_validator("seeds")
    @classmethod
    def _seed_range(cls, value: int | list[int] | None) -> int | list[int] | None:
        return None if value is None else _check_seeds(value)

    @field_validator("selection", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("selection")
    @classmethod
    def _known_selectors(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_selectors(value)

    @property
    def seed_list(self) -> list[int] | None:
        """This entry's seeds (``None``: the experiment's)."""
        return None if self.seeds is None else _seed_values(self.seeds)

    @model_validator(mode="after")
    def _disjoint(self) -> MethodEntry:
        names = {"params": set(self.params)}
        names["grid"] = set(self.grid or {})
        names["sweep"] = set(self.sweep or {})
        for a, b in (("params", "grid"), ("params", "sweep"), ("grid", "sweep")):
            both = names[a] & names[b]
            if both:
                raise ValueError(
                    f"parameter {sorted(both)[0]!r} is in both {a} and {b}; give it in one"
                )
        return self


Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
PerClass = Annotated[int, Field(strict=True, ge=0)]


def _budget_axis(value: Any, key: str) -> Any:
    """A list of budgets: not empty, duplicates dropped (config order kept)."""
    if isinstance(value, list):
        if not value:
            raise ValueError(f"the list of {key} values is empty; give one value or a list")
        return list(dict.fromkeys(value))
    return value


class TargetLabels(_Strict):
    """A labelled target budget: exactly one of ``fraction`` and ``per_class``.

    ``fraction: F``: for every cell, ``F`` of the target samples are drawn, stratified by
    class, with ``sklearn.model_selection.train_test_split(range(n_target),
    train_size=F, stratify=y_target, random_state=seed)``. ``per_class: K``: ``K``
    target samples of every class, with
    ``transferkit.experiments.draw_labelled_per_class(y_target, K, seed)``. A method
    registered with ``uses_target_labels`` is fitted with their labels (``y_target``,
    ``-1`` for the others), every method is fitted with all target features, and
    accuracy and macro-F1 are measured on the other target samples only. A list of
    values is a budget axis: each value runs as its own cells. ``per_class: 0`` gives no
    label (cells fitted and scored on the whole target as without a budget; methods
    that learn from target labels have no cell there).
    """

    fraction: Fraction | list[Fraction] | None = Field(
        None,
        description="share of each target domain labelled, in (0, 1), or a list (a budget axis)",
    )
    per_class: PerClass | list[PerClass] | None = Field(
        None,
        description="labelled target samples per class, an int >= 0 (0: none), or a list "
        "(a budget axis)",
    )

    @field_validator("fraction")
    @classmethod
    def _fractions(cls, value: Any) -> Any:
        return _budget_axis(value, "fraction")

    @field_validator("per_class")
    @classmethod
    def _per_class(cls, value: Any) -> Any:
        return _budget_axis(value, "per_class")

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetLabels:
        given = [k for k in ("fraction", "per_class") if getattr(self, k) is not None]
        if len(given) != 1:
            got = "both" if given else "neither"
            raise ValueError(
                f"give exactly one of the keys fraction (share of the target labelled, in "
                f"(0, 1)) or per_class (labelled samples per class, an int >= 0), got "
                f"{got}; e.g. {{fraction: 0.05}} or {{per_class: [0, 1, 5]}}"
            )
        return self

    @property
    def budgets(self) -> list[dict[str, Any]]:
        """One ``{"fraction": F}`` or ``{"per_class": K}`` per value, in config order."""
        key = "fraction" if self.fraction is not None else "per_class"
        value = getattr(self, key)
        return [{key: v} for v in (value if isinstance(value, list) else [value])]


class ExecutionConfig(_Strict):
    """Where the cells run: one after the other, or in parallel on Ray."""

    backend: Literal["sequential", "ray"] = Field(
        "sequential", description="run cells in this process, or in parallel on Ray"
    )
    address: str | None = Field(
        None, description="Ray cluster (HEAD_IP:6379 of `ray start --head`); default: local Ray"
    )
    max_parallel: int | None = Field(None, ge=1, description="most cells running at once")
    num_cpus: int | None = Field(None, ge=1, description="CPUs of a local Ray instance")
    object_store_mb: int = Field(
        100, ge=80, le=1_000_000, description="object store of a local Ray instance, MB"
    )

    @model_validator(mode="after")
    def _address_needs_ray(self) -> ExecutionConfig:
        if self.address is not None and self.backend != "ray":
            raise ValueError("address is only used with backend: ray")
        return self


class TrackingConfig(_Strict):
    """An observer of finished cells (``transferkit.experiments.OBSERVERS``)."""

    name: str = Field(description="a registered observer (e.g. mlflow)")
    options: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments of the observer"
    )

    @field_validator("name")
    @classmethod
    def _known_observer(cls, value: str) -> str:
        from transferkit.experiments.observers import OBSERVERS

        try:
            OBSERVERS.lookup(value)
        except TransferKitInputError as exc:
            raise _unknown(exc) from None
        return value


class ExperimentConfig(_Strict):
    """A whole experiment: data x methods x selection x seeds, and where it goes."""

    name: str = Field("experiment", min_length=1, description="shown in tables and files")
    description: str = Field("", description="one line for the table file")
    data: list[DataEntry] = Field(min_length=1, description="where the tasks come from")
    methods: list[MethodEntry] = Field(
        min_length=1, description="registered methods (`transferkit bench --list-methods`)"
    )
    selection: list[str] = Field(
        default_factory=lambda: ["none"],
        description="none, oracle (UPPER BOUND) or registered label-free selectors",
    )
    seeds: int | list[Seeds] = Field(1, description="a count N (seeds 0..N-1) or a list")
    target_labels: TargetLabels | None = Field(
        None,
        description="labelled target budget, {fraction: F} or {per_class: K} (a value or a "
        "list); scored on the other samples",
    )
    memory: Literal["both", "rss", "tracemalloc", "none"] = Field(
        "rss", description="peak-memory figures recorded per cell (tracemalloc is slow)"
    )
    output: Path | None = Field(None, description="results folder (relative to the config)")
    execution: ExecutionConfig = Field(
        default_factory=ExecutionConfig, description="sequential or Ray"
    )
    tracking: TrackingConfig | None = Field(None, description="an observer of every cell")

    @field_validator("selection", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("selection")
    @classmethod
    def _known_selectors(cls, value: list[str]) -> list[str]:
        return _check_selectors(value)

    @field_validator("seeds")
    @classmethod
    def _seed_range(cls, value: int | list[int]) -> int | list[int]:
        return _check_seeds(value)

    @field_validator("output")
    @classmethod
    def _output(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    @model_validator(mode="after")
    def _grid_needs_selection(self) -> ExperimentConfig:
        for i, method in enumerate(self.methods):
            if method.grid is not None and (method.selection or self.selection) == ["none"]:
                raise ValueError(
                    f"methods[{i}] ({method.name}) has a grid but selection is none, so "
                    "it would never be used; choose a selection rule (e.g. iwcv or "
                    "oracle), or use sweep to run every value as its own cell"
                )
        return self

    @model_validator(mode="after")
    def _labelled_selection_needs_budget(self) -> ExperimentConfig:
        from transferkit.bench.selection import get_selector

        budget = self.target_labels
        labels = budget is not None and any(b.get("per_class") != 0 for b in budget.budgets)
        places = [("selection", self.selection)] + [
            (f"methods[{i}].selection", m.selection) for i, m in enumerate(self.methods)
        ]
        for key, rules in places:
            for name in rules or ():
                if get_selector(name).uses_labelled_target and not labels:
                    have = "per_class: 0 only" if budget is not None else "none"
                    raise ValueError(
                        f"{key}: {name} chooses on the labelled target samples, and the "
                        f"config's target_labels gives {have}; add a labelled budget "
                        "(target_labels: {fraction: F} or {per_class: K} with K > 0) or "
                        "choose a label-free rule (none, iwcv, dev, ...)"
                    )
        return self

    @property
    def seed_list(self) -> list[int]:
        """The seeds to run."""
        return _seed_values(self.seeds)

    def to_jsonable(self) -> dict[str, Any]:
        """The config as plain JSON types (paths as strings), e.g. for ``config.yaml``."""
        return json.loads(self.model_dump_json(exclude_none=False))


# -- error messages ----------------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class whose keys the location ``loc`` points into."""
    import typing

    model: Any = ExperimentConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation]
        while candidates:
            current = candidates.pop()
            if isinstance(current, type) and issubclass(current, BaseModel):
                model = current
                break
            candidates.extend(typing.get_args(current))
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _message(error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent is not None else "?"
        return f"{_path(loc)}: unknown key {loc[-1]!r}; allowed keys: {allowed}"
    if kind == "missing":
        parent = _model_at(loc[:-1])
        field = parent.model_fields.get(str(loc[-1])) if parent is not None else None
        what = f" ({field.description})" if field is not None and field.description else ""
        return f"{_path(loc)}: required key missing{what}"
    msg = error["msg"]
    if msg.startswith("Value error, "):
        return f"{_path(loc)}: {msg.removeprefix('Value error, ')}"
    got = error.get("input")
    shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
    return f"{_path(loc)}: {msg} (got {_type_name(got)} {shown})"


def _drop_union_noise(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # ``seeds: "three"`` fails both branches of ``int | list[int]``; keep one line per key.
    # ``seeds: [1, -1]`` fails the int branch at ``seeds`` and the list one at ``seeds[1]``.
    branches = (
        "int",
        "list[int]",
        "list[constrained-int]",
        "constrained-int",
        "constrained-float",
        "list[constrained-float]",
    )
    cleaned = [{**e, "loc": tuple(p for p in e["loc"] if p not in branches)} for e in errors]
    locs = [e["loc"] for e in cleaned]
    seen: set[tuple[Any, ...]] = set()
    out = []
    for error in cleaned:
        loc = error["loc"]
        deeper = any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)
        if (loc in seen or deeper) and error["type"] != "extra_forbidden":
            continue
        seen.add(loc)
        out.append(error)
    return out


def parse_config(
    data: Any, *, base_dir: str | Path = ".", source: str = "config"
) -> ExperimentConfig:
    """Validate a config given as a mapping (``base_dir``: where relative paths start).

    Raises
    ------
    ConfigError
        With one line per problem: the key path, what is wrong and what is allowed.

    Examples
    --------
    >>> config = parse_config({"data": [{"suite": "digits"}], "methods": ["source_only"]})
    >>> config.methods[0].name, config.seed_list
    ('source_only', [0])
    >>> parse_config({"data": [{"suite": "digits"}], "methods": ["source_only"], "seed": 2})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    transferkit.experiments.config.ConfigError: config is not a valid experiment (1 problem):
      - seed: unknown key 'seed'; allowed keys: name, description, data, methods, ...
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source} must be a mapping of keys (data, methods, ...); got "
            f"{_type_name(data)}. See docs/experiments.md for an example."
        )
    try:
        return ExperimentConfig.model_validate(data, context={"base_dir": Path(base_dir)})
    except ValidationError as exc:
        errors = _drop_union_noise(exc.errors())
        lines = [_message(e) for e in errors]
        s = "" if len(lines) == 1 else "s"
        raise ConfigError(
            f"{source} is not a valid experiment ({len(lines)} problem{s}):\n"
            + "\n".join(f"  - {line}" for line in lines)
        ) from None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a YAML (``.yaml``/``.yml``) or JSON (``.json``) config file.

    Relative paths in the file (data files, ``output``) are taken from the file's folder.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"config file {str(path)!r} does not exist; give the path of a .yaml or .json "
            "experiment file (examples/configs/ has some)."
        )
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ConfigError(
            f"config file {str(path)!r} has the suffix {suffix or '(none)'!r}; use .yaml, "
            ".yml or .json."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text.") from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"config file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}."
            ) from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise ConfigError(
                f"config file {str(path)!r} is not valid YAML: {problem}{where}."
            ) from None
    return parse_config(data, base_dir=path.resolve().parent, source=str(path))
