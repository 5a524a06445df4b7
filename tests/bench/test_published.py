"""The packaged reference numbers equal the tables of the data's PUBLISHED_RESULTS.md."""

import re

import pytest

from transferkit._validation import TransferKitInputError
from transferkit.bench import get_published, published_rows, published_sources

SECTION_SUITE = {
    "1a": "office_caltech_surf",
    "1b": "office_caltech_surf",
    "1c": "office_caltech_surf",
    "1d": "office_caltech_surf",
    "2": "digits",
    "3": "coil",
    "4": "amazon",
}


def _tables(text):
    """``{section: [rows of cells]}`` for the pipe tables of PUBLISHED_RESULTS.md."""
    out, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^#{2,3} (\d[a-d]?)[. ]", line)
        if heading:
            current = heading.group(1)
            out[current] = []
        elif line.startswith("#"):
            current = None
        elif current and line.startswith("|") and not re.fullmatch(r"[|\-: ]+", line):
            out[current].append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def _number(cell):
    cell = cell.strip("* ")
    return None if cell in ("—", "") else float(cell)


def _norm(label):
    return label.replace("*", "").strip()


@pytest.fixture(scope="module")
def tables(data_home):
    return _tables((data_home / "PUBLISHED_RESULTS.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("section", sorted(SECTION_SUITE))
def test_every_published_cell_is_in_the_package(tables, section):
    suite = SECTION_SUITE[section]
    header, *body = tables[section]
    assert body, f"section {section} has no table rows"
    checked = 0
    if section == "1d":  # transposed: one row per task, one column per method
        for j, method in enumerate(header[1:-1], start=1):
            row = get_published(suite, f"jpda2020:{method}")
            for r in body:
                expected = _number(r[j])
                assert row.values.get(r[0].replace("→", "->")) == expected
                checked += 1
    else:
        tasks = [h.replace("→", "->") for h in header if "→" in h]
        rows = [
            r
            for r in published_rows(suite)
            if r.table != "jpda2020" or suite != "office_caltech_surf"
        ]
        for cells in body:
            label = _norm(cells[0])
            is_rerun = "RERUN" in cells[-1]
            matches = [
                r
                for r in rows
                if _norm(r.label) == label
                and r.is_rerun == is_rerun
                and all(r.values.get(t) == _number(cells[1 + i]) for i, t in enumerate(tasks))
            ]
            assert matches, f"row {label!r} of section {section} is missing or differs"
            checked += len(tasks)
    assert checked >= 8


def test_row_counts_match_the_file(tables):
    # section 1d is transposed: its 4 method columns are 4 rows of the package
    counts = {
        "office_caltech_surf": sum(len(tables[s]) - 1 for s in ("1a", "1b", "1c")) + 4,
        "digits": len(tables["2"]) - 1,
        "coil": len(tables["3"]) - 1,
        "amazon": len(tables["4"]) - 1,
    }
    for suite, expected in counts.items():
        assert len(published_rows(suite)) == expected


def test_lookup_and_metadata():
    row = get_published("office_caltech_surf", "coral2016_t3:CORAL")
    assert row.average_printed == 48.8 and row.values["W->D"] == 86.6
    assert row.protocol["classifier"].startswith("linear SVM") and row.protocol["lambda_"] == 1.0
    assert "AAAI 2016" in row.citation and "Table 3" in row.citation
    nn = get_published("office_caltech_surf", "jda2013_t2:1NN")
    assert nn.average == 31.37 and "dim" not in nn.protocol_text()
    assert "CORAL" in published_sources()


def test_rerun_rows_are_never_marked_published():
    reruns = published_rows(table="rerun")
    assert reruns and all(r.is_rerun and "not a published number" in r.citation for r in reruns)
    assert not any(r.is_rerun for r in published_rows(table="coral2016_t3"))


def test_averages_agree_with_their_cells():
    for row in published_rows():
        if row.average_printed is not None and row.average_recomputed is not None:
            tolerance = 0.7 if row.ref == "meda2018_t2:SVM" else 0.06  # see the row's note
            assert abs(row.average_printed - row.average_recomputed) < tolerance, row.ref


def test_bad_references_have_clear_errors():
    with pytest.raises(TransferKitInputError, match="table:key"):
        get_published("digits", "JDA")
    with pytest.raises(TransferKitInputError, match="known rows"):
        get_published("digits", "coral2016_t3:CORAL")
    with pytest.raises(TransferKitInputError, match="suites with rows"):
        get_published("nosuch", "rerun:1NN")
