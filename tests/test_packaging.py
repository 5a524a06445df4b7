"""Install footprint: light ``import transferkit``, errors naming the missing extra, py.typed.

Missing packages are simulated in a subprocess by a finder at the front of
``sys.meta_path`` that refuses them (as an absent package would), so the tests run in the
full environment.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


BLOCK = """
import sys

class _Absent:
    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.split(".", 1)[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Absent(NAMES))
"""


def _run(code: str, absent: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    prelude = BLOCK.replace("NAMES", repr(sorted(absent))) if absent else ""
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_transferkit_loads_no_heavy_optional_module():
    result = _run(
        """
        import json, sys
        import transferkit
        heavy = ["torch", "matplotlib", "cvxopt", "qpsolvers", "ot", "sklearn", "pandas"]
        print(json.dumps([m for m in heavy if m in sys.modules]))
        """
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_every_public_name_resolves_lazily_and_matches_all():
    import transferkit
    from transferkit._lazy import lazy_names

    lazy = lazy_names(Path(transferkit.__file__).read_text())
    assert sorted(lazy) == sorted(transferkit.__all__)
    for name, (module, attribute) in lazy.items():
        value = getattr(transferkit, name)
        assert value is getattr(__import__(module, fromlist=[attribute]), attribute)
    assert set(transferkit.__all__) <= set(dir(transferkit))
    assert transferkit.datasets.__name__ == "transferkit.datasets"  # subpackages too
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        transferkit.no_such_name  # noqa: B018


def test_star_import_gives_every_public_name():
    namespace: dict[str, object] = {}
    exec("from transferkit import *", namespace)
    import transferkit

    assert set(transferkit.__all__) <= set(namespace)


def test_core_estimators_work_without_any_extra():
    """CORAL, TCA and KMM (auto solver) fit with torch, qpsolvers, cvxopt and matplotlib gone."""
    result = _run(
        """
        import numpy as np
        from transferkit import CORAL, KMM, TCA
        rng = np.random.default_rng(0)
        Xs, Xt = rng.normal(size=(40, 3)), rng.normal(loc=0.5, size=(30, 3))
        ys = (Xs[:, 0] > 0).astype(int)
        CORAL().fit(Xs, ys, X_target=Xt)
        TCA(n_components=2).fit(Xs, ys, X_target=Xt)
        kmm = KMM(random_state=0).fit(Xs, X_target=Xt)
        print(kmm.solver_)
        """,
        absent=("torch", "qpsolvers", "cvxopt", "matplotlib", "safetensors"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "pgd"


@pytest.mark.parametrize(
    ("missing", "code", "extra"),
    [
        ("torch", "import transferkit.finetune", "torch"),
        ("torch", "import transferkit.engine", "torch"),
        (
            "qpsolvers",
            "import numpy as np; from transferkit import KMM;"
            " KMM(solver='qp').fit(np.eye(5), X_target=np.eye(5))",
            "qp",
        ),
        (
            "cvxopt",
            "import numpy as np; from transferkit import KMM;"
            " KMM(solver='qp').fit(np.eye(5), X_target=np.eye(5))",
            "qp",
        ),
    ],
)
def test_missing_extra_error_names_the_extra(missing, code, extra):
    result = _run(
        f"""
        from transferkit._optional import MissingExtraError
        try:
            {code}
        except MissingExtraError as exc:
            print("ERR", exc)
        """,
        absent=(missing,),
    )
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("ERR ")
    assert missing in line
    assert f'pip install "transferkit[{extra}]"' in line


def test_require_names_the_known_extra_and_is_an_import_error():
    from transferkit._optional import EXTRAS, MissingExtraError, require

    assert EXTRAS["matplotlib"] == "report"
    with pytest.raises(ImportError, match=r"transferkit\[report\]"):
        require("matplotlib_missing_for_test", extra="report")
    assert issubclass(MissingExtraError, ValueError)
    with pytest.raises(ValueError, match="No extra is known"):
        require("surely_not_a_module_xyz")


def test_extras_declare_what_the_optional_modules_need():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(meta["dependencies"]).lower()
    for heavy in ("torch", "matplotlib", "cvxopt", "qpsolvers", "efficientnet"):
        assert heavy not in core, heavy
    extras = meta["optional-dependencies"]
    assert {"torch", "qp", "federated", "nilm", "report", "tracking", "all", "dev"} <= set(extras)
    assert any(req.startswith("torch>=") for req in extras["torch"])
    # ranges, never exact pins, in pyproject.toml
    for req in meta["dependencies"] + [r for reqs in extras.values() for r in reqs]:
        assert "==" not in req, req


def test_constraints_pin_every_declared_distribution():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pinned[name.strip().lower().replace("_", "-")] = version.strip()
    assert pinned["torch"] == "2.13.0"
    extras = meta["optional-dependencies"]
    tested = meta["dependencies"] + [
        req
        for extra in ("torch", "qp", "federated", "nilm", "report", "tracking", "dev")
        for req in extras[extra]
    ]
    for req in tested:
        name = req.split(">=")[0].split("[")[0].strip().lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in constraints.txt"


FEDERATED_ONLY = ("phe", "gmpy2", "tenseal", "flwr", "ray")


def _freeze_tool():
    spec = importlib.util.spec_from_file_location(
        "freeze_constraints", ROOT / "tools" / "freeze_constraints.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_core_install_never_pulls_the_federated_packages():
    """The transitive closure of the core requirements (installed metadata) has no
    phe, gmpy2, TenSEAL, Flower or Ray; [federated] has them all."""
    freeze = _freeze_tool()
    core = freeze.closure(())
    assert "numpy" in core and "typer" in core
    assert [name for name in FEDERATED_ONLY if name in core] == []
    for extra in ("torch", "qp", "nilm", "report", "dev"):
        assert [name for name in FEDERATED_ONLY if name in freeze.closure((extra,))] == [], extra
    federated = freeze.closure(("federated",))
    assert set(FEDERATED_ONLY) <= set(federated)


def test_py_typed_is_in_the_package():
    assert (ROOT / "src" / "transferkit" / "py.typed").is_file()


def test_mlflow_comes_only_with_the_tracking_extra():
    """MLflow (the client-only mlflow-skinny) is in [tracking] and never in the core."""
    freeze = _freeze_tool()
    assert "mlflow-skinny" not in freeze.closure(())
    tracking = freeze.closure(("tracking",))
    assert {"mlflow-skinny", "sqlalchemy", "alembic"} <= set(tracking)
    assert "mlflow" not in tracking  # the full server package (Flask, pandas, ...) is not pulled
