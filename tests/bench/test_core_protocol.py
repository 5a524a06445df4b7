"""The runner reproduces the JDA paper's 1NN and PCA rows exactly on the real data."""

import pytest

from transferkit.bench import get_published, load_results, result_paths, run_benchmark
from transferkit.bench.report import summarise


@pytest.fixture(scope="module")
def surf_results(data_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("surf")
    methods = ["source_only", "pca"]
    run_benchmark("office_caltech_surf", methods, output_dir=out, verbose=False, memory="none")
    return out, load_results(result_paths("office_caltech_surf", out)[0])


@pytest.mark.parametrize(("method", "average"), [("source_only", 31.37), ("pca", 39.79)])
def test_published_rows_are_reproduced_exactly(surf_results, method, average):
    _, state = surf_results
    summary = summarise(state)[method]
    published = get_published(
        "office_caltech_surf", f"jda2013_t2:{'1NN' if method == 'source_only' else 'PCA'}"
    )
    assert round(summary["seed_averages"][0], 2) == average == published.average_printed
    for task, value in published.values.items():
        assert round(summary["per_task"][task][0], 2) == value, task


def test_markdown_puts_the_published_row_next_to_ours(surf_results):
    out, _ = surf_results
    md = result_paths("office_caltech_surf", out)[1].read_text()
    ours = next(line for line in md.splitlines() if line.startswith("| **pca**"))
    assert ours.split("|")[-4].strip() == "39.79"
    pub = next(line for line in md.splitlines() if line.startswith("| ↳ PCA — published [4]"))
    assert pub.split("|")[-2].strip() == "12/12"  # every task equal to the printed value
    assert "↳ PCA — published" in md and "+0.00" in md
    assert "Long et al., ICCV 2013 (JDA), Table 2" in md
    assert "re-computed, **not published**" in md
