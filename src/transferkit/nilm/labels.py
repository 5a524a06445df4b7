"""One vocabulary of appliance names across NILM data sets, and aligning two label spaces.

Data sets name the same appliance differently: PLAID says ``"Fridge"`` and ``"AC"`` (the
AWRGNILM subset) or ``"Air Conditioner"`` (its metadata), HFHAD-C says ``"fridge"`` and
``"air_conditioner"``, WHITED ``"Fridge"`` and ``"AC"``. :data:`LABEL_MAP` sends every
published name to one *canonical* snake-case name; names it does not list are normalised
(CamelCase and spaces become snake case: ``"WashingMachine"`` and ``"Washing Machine"``
both give ``"washing_machine"``). :func:`align_labels` keeps the samples of two data sets
whose canonical classes both have, coded alike.

Decisions (documented here because they change results):

* **Same appliance type, not same physics.** Classes are appliance *types*. PLAID's
  ``"LaptopCharger"``/``"Laptop"`` and HFHAD-C's ``"laptop"`` are all laptop power
  supplies, so they map to ``"laptop"``; ``"electric_kettle"`` and ``"Water kettle"`` to
  ``"kettle"``; HFHAD-C's ``"tv_xiaomi5"`` to ``"tv"``. ``"Fridge defroster"`` (the
  defrost heater cycle of a fridge) stays ``"fridge_defroster"``, apart from ``"fridge"``
  (the compressor).
* **Other resistive heaters are not merged by default.** Coffee makers, water heaters,
  rice cookers, water dispensers and space heaters draw the same current shape as a kettle
  (a resistive load: a straight V-I line), but they are different appliances; merging them
  into ``"kettle"`` would make a cross-data-set score reward confusing them. Between
  PLAID 2018 and HFHAD-C the shared classes are therefore ``air_conditioner``, ``fridge``,
  ``kettle`` and ``laptop``. Pass ``merge=RESISTIVE_HEATER_GROUP`` to study the physical
  class instead: every name in :data:`RESISTIVE_HEATERS` then becomes
  ``"resistive_heater"`` (induction cookers are not in it: they are power electronics).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import LabelError, TransferKitInputError

__all__ = [
    "LABEL_MAP",
    "RESISTIVE_HEATERS",
    "RESISTIVE_HEATER_GROUP",
    "AlignedLabels",
    "align_labels",
    "canonical_label",
    "canonical_labels",
]

#: Published appliance names -> canonical names. Keys are matched exactly first, then
#: case- and separator-insensitively.
LABEL_MAP: Mapping[str, str] = {
    # PLAID 2018, AWRGNILM subset (transferkit.datasets.PLAID_NAMES)
    "CFL": "cfl",
    "ILB": "incandescent_bulb",
    "Water kettle": "kettle",
    "Fan": "fan",
    "AC": "air_conditioner",
    "HairIron": "hair_iron",
    "LaptopCharger": "laptop",
    "SolderingIron": "soldering_iron",
    "Fridge": "fridge",
    "Vacuum": "vacuum",
    "CoffeeMaker": "coffee_maker",
    "FridgeDefroster": "fridge_defroster",
    # PLAID metadata ("appliance" -> "type")
    "Compact Fluorescent Lamp": "cfl",
    "Incandescent Light Bulb": "incandescent_bulb",
    "Air Conditioner": "air_conditioner",
    "Hairdryer": "hair_dryer",
    "Hair Iron": "hair_iron",
    "Laptop": "laptop",
    "Microwave": "microwave",
    "Heater": "heater",
    "Washing Machine": "washing_machine",
    "Soldering Iron": "soldering_iron",
    "Coffee maker": "coffee_maker",
    "Fridge defroster": "fridge_defroster",
    "Blender": "blender",
    # HFHAD-C (transferkit.datasets.load_hfhadc_subset)
    "air_conditioner": "air_conditioner",
    "desktop_pc": "desktop_pc",
    "electric_kettle": "kettle",
    "fridge": "fridge",
    "induction_cooker": "induction_cooker",
    "laptop": "laptop",
    "range_hood": "range_hood",
    "rice_cooker": "rice_cooker",
    "tv_xiaomi5": "tv",
    "washing_machine": "washing_machine",
    "water_dispenser": "water_dispenser",
    "water_heater": "water_heater",
    # WHITED (file-name appliance types)
    "Charger": "charger",
    "HairDryer": "hair_dryer",
    "Kettle": "kettle",
    "LEDLight": "led_light",
    "LightBulb": "incandescent_bulb",
    "VacuumCleaner": "vacuum",
    "WaterHeater": "water_heater",
    "FlatIron": "iron",
    "Iron": "iron",
    "Toaster": "toaster",
    "CoffeeMachine": "coffee_maker",
}

#: Canonical names of resistive heating appliances (current in phase with the voltage, no
#: harmonics of their own), merged by ``merge=RESISTIVE_HEATER_GROUP``.
RESISTIVE_HEATERS: frozenset[str] = frozenset(
    {
        "kettle",
        "coffee_maker",
        "water_heater",
        "rice_cooker",
        "water_dispenser",
        "heater",
        "toaster",
        "iron",
    }
)

#: ``merge`` argument of :func:`align_labels` that groups :data:`RESISTIVE_HEATERS`.
RESISTIVE_HEATER_GROUP: Mapping[str, frozenset[str]] = {"resistive_heater": RESISTIVE_HEATERS}

_FOLDED = {re.sub(r"[\s_\-]+", "", k).lower(): v for k, v in LABEL_MAP.items()}


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", s)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    return s


def canonical_label(name: Any, label_map: Mapping[str, str] | None = None) -> str:
    """Canonical snake-case name of a published appliance name.

    Parameters
    ----------
    name : str
    label_map : mapping, optional
        Extra or overriding ``published -> canonical`` entries, looked up before
        :data:`LABEL_MAP`.

    Examples
    --------
    >>> canonical_label("Fridge"), canonical_label("AC"), canonical_label("electric_kettle")
    ('fridge', 'air_conditioner', 'kettle')
    >>> canonical_label("WashingMachine"), canonical_label("Game Console")
    ('washing_machine', 'game_console')
    """
    if not isinstance(name, (str, np.str_)):
        raise LabelError(
            f"appliance labels must be strings; got {name!r} ({type(name).__name__}). Pass "
            "class names, or integer codes together with classes_a/classes_b."
        )
    name = str(name)
    if label_map is not None and name in label_map:
        return str(label_map[name])
    if name in LABEL_MAP:
        return LABEL_MAP[name]
    folded = re.sub(r"[\s_\-]+", "", name).lower()
    if folded in _FOLDED:
        return _FOLDED[folded]
    snake = _snake(name)
    if not snake:
        raise LabelError(f"appliance label {name!r} has no letters or digits.")
    return snake


def canonical_labels(
    y: Any,
    classes: Sequence[str] | None = None,
    *,
    label_map: Mapping[str, str] | None = None,
    merge: Mapping[str, Iterable[str]] | None = None,
    name: str = "y",
) -> np.ndarray:
    """Canonical names of many labels (strings, or integer codes into ``classes``).

    Examples
    --------
    >>> canonical_labels([0, 1, 1], classes=["AC", "Water kettle"]).tolist()
    ['air_conditioner', 'kettle', 'kettle']
    >>> canonical_labels(["CoffeeMaker", "Fan"], merge=RESISTIVE_HEATER_GROUP).tolist()
    ['resistive_heater', 'fan']
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise LabelError(f"{name} must be 1-D (one label per sample); got shape {arr.shape}.")
    if arr.dtype.kind in "iu":
        if classes is None:
            raise LabelError(
                f"{name} holds integer codes; pass the class names too "
                f"(classes_a=/classes_b=, e.g. the data set's class_names)."
            )
        classes = list(classes)
        if arr.size and (arr.min() < 0 or arr.max() >= len(classes)):
            raise LabelError(
                f"{name} holds codes outside 0..{len(classes) - 1} (the {len(classes)} class "
                f"names given); got min {arr.min()} and max {arr.max()}."
            )
        raw = [classes[int(c)] for c in arr]
    elif arr.dtype.kind in "USO":
        raw = arr.tolist()
    else:
        raise LabelError(
            f"{name} must hold class names (strings) or integer codes; got dtype {arr.dtype}."
        )
    groups: dict[str, str] = {}
    if merge is not None:
        if not isinstance(merge, Mapping):
            raise TransferKitInputError(
                "merge must map a group name to the canonical names it absorbs, e.g. "
                "RESISTIVE_HEATER_GROUP."
            )
        for group, members in merge.items():
            for member in members:
                groups[canonical_label(member, label_map)] = str(group)
    out = [canonical_label(lab, label_map) for lab in raw]
    return np.array([groups.get(c, c) for c in out], dtype=object).astype(str)


@dataclass(frozen=True)
class AlignedLabels:
    """Two data sets' labels restricted to their shared canonical classes.

    Attributes
    ----------
    classes : tuple of str
        Shared canonical classes, sorted; codes index into it.
    mask_a, mask_b : numpy.ndarray of bool
        Which samples of each data set belong to a shared class.
    y_a, y_b : numpy.ndarray of int
        Codes of the kept samples (``y_a[k]`` is the class of the k-th kept sample of a).
    names_a, names_b : numpy.ndarray of str
        Canonical name of *every* sample (kept or not).
    only_a, only_b : tuple of str
        Canonical classes found in one data set only (dropped).
    """

    classes: tuple[str, ...]
    mask_a: np.ndarray
    mask_b: np.ndarray
    y_a: np.ndarray
    y_b: np.ndarray
    names_a: np.ndarray
    names_b: np.ndarray
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]


def align_labels(
    y_a: Any,
    y_b: Any,
    *,
    classes_a: Sequence[str] | None = None,
    classes_b: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    merge: Mapping[str, Iterable[str]] | None = None,
) -> AlignedLabels:
    """Align the label spaces of two NILM data sets to their shared classes.

    Each label is made canonical (:func:`canonical_label`, then ``merge`` groups); the
    shared classes are :math:`C = C_a \\cap C_b`; samples of other classes are dropped
    (``mask_a``, ``mask_b``) and the rest coded :math:`0..|C|-1` alike in both.

    Parameters
    ----------
    y_a, y_b : array-like of shape (n_a,), (n_b,)
        Class names, or integer codes with ``classes_a``/``classes_b``.
    classes_a, classes_b : sequence of str, optional
        Names of the integer codes.
    label_map : mapping, optional
        Extra ``published -> canonical`` names (override :data:`LABEL_MAP`).
    merge : mapping, optional
        ``group -> canonical names`` merged into one class, e.g. ``RESISTIVE_HEATER_GROUP``.

    Returns
    -------
    AlignedLabels

    Raises
    ------
    LabelError
        The data sets share no class (the message lists both vocabularies).

    Examples
    --------
    >>> plaid = ["AC", "Fridge", "CoffeeMaker", "Water kettle", "LaptopCharger", "Fan"]
    >>> hfhadc = ["air_conditioner", "fridge", "electric_kettle", "laptop", "rice_cooker"]
    >>> al = align_labels(plaid, hfhadc)
    >>> al.classes
    ('air_conditioner', 'fridge', 'kettle', 'laptop')
    >>> al.mask_a.tolist(), al.y_a.tolist(), al.y_b.tolist()
    ([True, True, False, True, True, False], [0, 1, 2, 3], [0, 1, 2, 3])
    >>> align_labels(plaid, hfhadc, merge=RESISTIVE_HEATER_GROUP).classes
    ('air_conditioner', 'fridge', 'laptop', 'resistive_heater')
    """
    names_a = canonical_labels(y_a, classes_a, label_map=label_map, merge=merge, name="y_a")
    names_b = canonical_labels(y_b, classes_b, label_map=label_map, merge=merge, name="y_b")
    set_a, set_b = set(names_a.tolist()), set(names_b.tolist())
    shared = tuple(sorted(set_a & set_b))
    if not shared:
        raise LabelError(
            f"the two data sets share no appliance class: y_a has {sorted(set_a)}, y_b has "
            f"{sorted(set_b)}. Add equivalences with label_map={{published: canonical}} or "
            "group classes with merge=."
        )
    code = {c: k for k, c in enumerate(shared)}
    mask_a = np.isin(names_a, shared)
    mask_b = np.isin(names_b, shared)
    return AlignedLabels(
        classes=shared,
        mask_a=mask_a,
        mask_b=mask_b,
        y_a=np.array([code[c] for c in names_a[mask_a]], dtype=np.int64),
        y_b=np.array([code[c] for c in names_b[mask_b]], dtype=np.int64),
        names_a=names_a,
        names_b=names_b,
        only_a=tuple(sorted(set_a - set_b)),
        only_b=tuple(sorted(set_b - set_a)),
    )
