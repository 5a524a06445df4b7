"""Every example config in examples/configs/ runs, on a small setting of itself.

The small setting keeps each config's data kind, methods and selection rules and cuts
the rest: the first task of each suite, one seed, the first two grid values, the first
sweep value, fewer simulated houses, one training epoch for the deep methods and one
pre-training epoch for the fine-tuning ones.
"""

from pathlib import Path

import pytest

from transferkit.experiments import load_config, parse_config, run_experiment

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "examples" / "configs").glob("*.yaml"))
FAMILIES = {
    "mapping",
    "instance",
    "subspace",
    "deep",
    "guarded",
    "nilm",
    "multisource",
    "finetune",
}


def small(config):
    data = config.to_jsonable()
    for entry in data["data"]:
        if entry["suite"] is not None:
            from transferkit.bench import get_suite

            entry["tasks"] = (entry["tasks"] or [get_suite(entry["suite"]).tasks[0].name])[:1]
        if entry["nilm"] is not None:
            entry["nilm"].update(n_houses=2, records_per_appliance=2)
    for method in data["methods"]:
        if method["grid"]:
            method["grid"] = {k: v[:2] for k, v in method["grid"].items()}
        if method["sweep"]:
            method["sweep"] = {k: v[:1] for k, v in method["sweep"].items()}
        if method["name"].endswith("_mlp"):
            method["params"] = {**method["params"], "epochs": 1}
        if method["name"].startswith("finetune_"):
            method["params"] = {**method["params"], "pretrain_epochs": 1}
    data["seeds"] = 1
    return parse_config(data)


def test_there_is_an_example_per_method_family():
    assert {p.stem for p in CONFIGS} >= FAMILIES


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_example_config_runs_on_a_small_setting(path, tmp_path, data_home):
    config = small(load_config(path))
    summary = run_experiment(config, output_dir=tmp_path, verbose=False)
    assert summary.n_failed == 0, summary.failed
    assert summary.n_cells >= len(config.methods)
    for row in summary.rows:
        assert 0 < row["accuracy_mean"] <= 100
        if row["grid"]:  # the selection rule chose one of the candidates
            (chosen,) = row["chosen_params"].values()
            grid = dict(__import__("json").loads(row["grid"]))
            assert all(chosen[k] in v for k, v in grid.items())


def test_the_few_labels_example_mixes_label_users_and_label_free_methods():
    from transferkit.experiments.plan import make_plan

    config = load_config(Path(CONFIGS[0]).parent / "few_labels.yaml")
    assert config.target_labels is not None and config.target_labels.fraction == 0.05
    uses = {s.name: s.spec.uses_target_labels for s in make_plan(config).settings}
    assert uses["tradaboost_dynamic"] and uses["target_only"]
    assert not uses["source_only_logreg"] and not uses["density_ratio"]


def test_the_per_class_example_is_a_budget_axis_with_a_no_label_point():
    from transferkit.experiments.plan import make_plan

    config = load_config(Path(CONFIGS[0]).parent / "few_labels_per_class.yaml")
    assert config.target_labels is not None and config.target_labels.per_class == [0, 5, 20]
    plan = make_plan(config)
    budgets = {(c.method.name, c.key["target_labels"]["per_class"]) for c in plan.cells}
    assert ("source_only_logreg", 0) in budgets and ("target_only", 5) in budgets
    assert ("target_only", 0) not in budgets  # nothing to learn from at K = 0
