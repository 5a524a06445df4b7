import json

import numpy as np
import pytest

from transferkit.bench import register_method, unregister_method
from transferkit.experiments import ConfigError, load_config, parse_config


def _problems(data, **kw):
    with pytest.raises(ConfigError) as info:
        parse_config(data, **kw)
    return str(info.value)


BASE = {"data": [{"suite": "digits"}], "methods": ["source_only"]}


def test_a_minimal_config_gets_the_defaults():
    config = parse_config(BASE)
    assert config.selection == ["none"] and config.seed_list == [0]
    assert config.execution.backend == "sequential" and config.tracking is None
    assert parse_config({**BASE, "seeds": [3, 5]}).seed_list == [3, 5]
    assert parse_config({**BASE, "selection": "oracle"}).selection == ["oracle"]


def test_an_unknown_key_names_its_path_and_the_allowed_keys():
    text = _problems({**BASE, "execution": {"backend": "ray", "workers": 2}})
    assert "execution.workers: unknown key 'workers'" in text
    assert "allowed keys: backend, address, max_parallel, num_cpus, object_store_mb" in text
    text = _problems({**BASE, "methods": [{"name": "pca", "grids": {}}]})
    assert "methods[0].grids: unknown key 'grids'; allowed keys: name, params, grid, sweep" in text


def test_unknown_registered_names_list_the_registered_ones():
    text = _problems(
        {"data": [{"suite": "digitz"}], "methods": ["nosuch"], "selection": ["psychic"]}
    )
    assert "data[0].suite: unknown benchmark suite 'digitz'; known: amazon, amazon_multi" in text
    assert "coil, digits" in text
    assert "methods[0].name: unknown benchmark method 'nosuch'; known: " in text
    assert "coral, coral_logreg, coral_lr, coral_released" in text
    assert "selection: unknown selector 'psychic'; known: " in text and "oracle" in text
    assert "3 problems" in text


def test_wrong_types_name_the_key_and_the_expected_type():
    text = _problems({**BASE, "seeds": "three", "memory": "lots", "execution": []})
    assert "seeds: Input should be a valid integer" in text and "(got string 'three')" in text
    assert "memory: Input should be 'both', 'rss', 'tracemalloc' or 'none'" in text
    assert "execution: Input should be a valid dictionary" in text
    assert "seeds[1]: Input should be greater than or equal to 0" in _problems(
        {**BASE, "seeds": [1, -1]}
    )
    assert "required key missing" in _problems({"methods": ["pca"]})
    assert "must be a mapping" in _problems([1, 2])


def test_data_kinds_are_exclusive_and_checked():
    text = _problems(
        {"data": [{"suite": "digits", "nilm": {"dataset": "simulated"}}, {}], "methods": ["pca"]}
    )
    assert (
        "data[0]: give exactly one of the keys suite, arrays, images, nilm (got suite, nilm)"
        in text
    )
    assert "data[1]: give exactly one" in text
    assert "suite 'digits' has no task 'X->Y'; tasks: U->M, M->U" in _problems(
        {"data": [{"suite": "digits", "tasks": ["X->Y"]}], "methods": ["pca"]}
    )
    assert "does not exist" in _problems({"data": [{"arrays": "missing.npz"}], "methods": ["pca"]})
    assert "'plaid_hfhadc'" in _problems(
        {"data": [{"nilm": {"dataset": "redd"}}], "methods": ["pca"]}
    )


def test_grid_needs_a_selection_rule_and_keys_are_given_once():
    text = _problems(
        {**BASE, "methods": [{"name": "pca", "grid": {"transfer__n_components": [5]}}]}
    )
    assert "has a grid but selection is none" in text and "sweep" in text
    text = _problems(
        {**BASE, "methods": [{"name": "pca", "params": {"a": 1}, "sweep": {"a": [1, 2]}}]}
    )
    assert "'a' is in both params and sweep" in text
    assert "has no values" in _problems({**BASE, "methods": [{"name": "pca", "sweep": {"a": []}}]})


def test_an_entry_names_known_suites_and_its_own_seeds():
    entry = {"name": "pca", "suites": ["digits", "coil", "digits"], "seeds": [4, 2]}
    (method,) = parse_config({**BASE, "methods": [entry]}).methods
    assert method.suites == ["digits", "coil"] and method.seed_list == [4, 2]
    assert parse_config(BASE).methods[0].seed_list is None
    text = _problems(
        {
            **BASE,
            "methods": [
                {"name": "pca", "suites": ["digitz"]},
                {"name": "pca", "suites": []},
                {"name": "pca", "seeds": 0},
                {"name": "pca", "seeds": [1, -1]},
            ],
        }
    )
    assert "methods[0].suites: unknown benchmark suite 'digitz'; known: amazon" in text
    assert "methods[1].suites: suites is empty; leave it out" in text
    assert "methods[2].seeds: 0 seeds is out of range; allowed 1..1000" in text
    assert "methods[3].seeds[1]: Input should be greater than or equal to 0" in text
    assert "4 problems" in text


def test_a_newly_registered_method_is_accepted_without_any_change():
    register_method("throwaway_config", lambda rs: None, description="x", replace=True)
    try:
        assert parse_config({**BASE, "methods": ["throwaway_config"]}).methods[0].name == (
            "throwaway_config"
        )
        assert parse_config({**BASE, "methods": ["source_only+guard"]}).methods[0].name == (
            "source_only+guard"
        )
    finally:
        unregister_method("throwaway_config")


def test_yaml_and_json_files_relative_paths_and_parse_errors(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "t.npz",
        X_source=rng.normal(size=(4, 2)),
        y_source=[0, 1, 0, 1],
        X_target=rng.normal(size=(4, 2)),
        y_target=[0, 1, 0, 1],
    )
    (tmp_path / "e.yaml").write_text(
        "data:\n  - arrays: t.npz\nmethods: [source_only]\noutput: out\n"
    )
    config = load_config(tmp_path / "e.yaml")
    assert config.data[0].arrays == tmp_path / "t.npz" and config.output == tmp_path / "out"
    (tmp_path / "e.json").write_text(
        json.dumps({"data": [{"arrays": "t.npz"}], "methods": ["pca"]})
    )
    assert load_config(tmp_path / "e.json").methods[0].name == "pca"
    (tmp_path / "bad.yaml").write_text("data: [\nmethods: x\n")
    with pytest.raises(ConfigError, match=r"not valid YAML: .* at line"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.yaml")
    (tmp_path / "e.toml").write_text("")
    with pytest.raises(ConfigError, match=r"use \.yaml, \.yml or \.json"):
        load_config(tmp_path / "e.toml")
    (tmp_path / "scalar.yaml").write_text("just text\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(tmp_path / "scalar.yaml")


def test_the_documented_config_reference_is_generated_from_the_models():
    from pathlib import Path

    from transferkit.experiments.reference import config_reference

    page = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text()
    begin, end = "<!-- BEGIN CONFIG REFERENCE -->\n", "<!-- END CONFIG REFERENCE -->"
    assert page[page.index(begin) + len(begin) : page.index(end)] == config_reference()
