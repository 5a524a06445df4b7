"""Benchmark entries of deep adaptation on feature vectors (needs ``transferkit[torch]``).

Each method trains an MLP (one hidden layer of 256 units, a 64-unit feature layer) on
the shared training engine for 10 epochs with SGD (lr 0.1, batch 64) and keeps the last
epoch (no epoch selection, so no target labels and no validation split are involved).
torch is imported when an estimator is built, never when the entries are registered.
"""

from __future__ import annotations

from typing import Any

from transferkit.bench.registry import register_method

__all__: list[str] = []

_SETTINGS = {
    "hidden": (256,),
    "features": 64,
    "epochs": 10,
    "batch_size": 64,
    "lr": 0.1,
    "selection": None,
}

_DESCRIPTIONS = {
    "DeepSourceOnly": "MLP trained on the source only (the deep no-adaptation baseline)",
    "DANN": "DANN (Ganin et al. 2016): MLP + adversarial domain discriminator",
    "DeepCORAL": "Deep CORAL (Sun & Saenko 2016): MLP + CORAL loss on the logits",
    "DAN": "DAN (Long et al. 2015): MLP + multi-kernel MMD (linear-time estimate)",
    "CDAN": (
        "CDAN+E (Long et al. 2018): MLP + discriminator on features x predictions, "
        "entropy conditioning"
    ),
}


def _factory(name: str):
    def build(random_state: Any = None) -> Any:
        from transferkit._optional import require

        require("torch", extra="torch", purpose=f"the benchmark entry of {name}")
        import transferkit.deep as deep

        seed = 0 if random_state is None else int(random_state)
        return getattr(deep, name)(random_state=seed, **_SETTINGS)

    return build


for _name, _entry in (
    ("DeepSourceOnly", "deep_source_only_mlp"),
    ("DANN", "dann_mlp"),
    ("DeepCORAL", "deep_coral_mlp"),
    ("DAN", "dan_mlp"),
    ("CDAN", "cdan_mlp"),
):
    register_method(
        _entry,
        _factory(_name),
        description=f"{_DESCRIPTIONS[_name]}; 256-64 MLP, 10 epochs, SGD lr 0.1, last epoch",
        param_grid={"trade_off": [1.0, 0.1, 0.3]} if _name != "DeepSourceOnly" else None,
    )
