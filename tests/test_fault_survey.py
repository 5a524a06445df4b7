"""The measured fault table: every case reads "clear error" or "works"."""

from __future__ import annotations

import _fault_survey as survey
from test_contract import as_images, build


def test_every_estimator_case_is_a_clear_error_or_works():
    outcomes = survey.estimator_cases(build, as_images)
    unclear = [o for o in outcomes if o.verdict == "UNCLEAR"]
    assert not unclear, "\n".join(f"{o.estimator} / {o.case}: {o.detail}" for o in unclear)
    cases = {o.case for o in outcomes}
    assert cases == {*survey.FIT_CASES, "use before fit"}
    rows = survey.group_rows(outcomes)
    assert all(what.startswith(("clear error", "works")) for _, _, what in rows)


def test_every_cli_case_is_a_clear_error(tmp_path):
    outcomes = survey.cli_cases(tmp_path)
    unclear = [o for o in outcomes if o.verdict == "UNCLEAR"]
    assert not unclear, "\n".join(f"{o.estimator} / {o.case}: {o.detail}" for o in unclear)


def test_the_committed_table_has_every_case():
    text = survey.DOC.read_text()
    for case in survey.FIT_CASES:
        assert f"| {case} |" in text, f"docs/reliability.md lacks {case!r}: rerun the survey"
    assert "UNCLEAR" not in text


def test_every_call_case_is_a_clear_error_or_works():
    outcomes = survey.call_cases()
    unclear = [o for o in outcomes if o.verdict == "UNCLEAR"]
    assert not unclear, "\n".join(f"{o.estimator} / {o.case}: {o.detail}" for o in unclear)
