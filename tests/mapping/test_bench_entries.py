"""The benchmark registry entries of TCA/JDA/BDA follow the published protocols."""

from __future__ import annotations

import pytest

from transferkit.bench import get_method
from transferkit.mapping import BDA, JDA, TCA


@pytest.mark.parametrize(
    ("name", "cls", "kernel", "reg"),
    [
        ("tca", TCA, "linear", 1.0),
        ("jda", JDA, "linear", 1.0),
        ("bda", BDA, "linear", 1.0),
        ("wbda", BDA, "linear", 1.0),
        ("tca_primal", TCA, "primal", 0.1),
        ("jda_primal", JDA, "primal", 0.1),
        ("bda_primal", BDA, "primal", 0.1),
        ("wbda_primal", BDA, "primal", 0.1),
    ],
)
def test_registry_entries(name, cls, kernel, reg, shifted_blobs):
    spec = get_method(name)
    model = spec.build(random_state=0)
    adapter = model.transfer
    assert isinstance(adapter, cls)
    assert adapter.kernel == kernel and adapter.n_components == 100
    assert adapter.lambda_ == reg
    if name.startswith("wbda"):
        assert adapter.weighted and adapter.mu == 1.0
    if name.startswith("bda"):
        assert adapter.mu == "auto"
    Xs, ys, Xt, _ = shifted_blobs
    model.set_params(transfer__n_components=2)
    assert model.fit(Xs, ys, X_target=Xt).predict(Xt).shape == (Xt.shape[0],)
