import json

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from transferkit._validation import TransferKitInputError
from transferkit.bench import (
    load_results,
    register_method,
    register_selector,
    result_paths,
    run_benchmark,
    unregister_method,
    unregister_selector,
)
from transferkit.bench.suites import Task


def _run(tmp_path, **kwargs):
    kwargs.setdefault("verbose", False)
    return run_benchmark("tiny", kwargs.pop("methods", ["tiny_1nn"]), output_dir=tmp_path, **kwargs)


def test_runs_every_cell_and_writes_json_and_markdown(tmp_path, counting_method, tiny_loader):
    state = _run(tmp_path, seeds=2)
    json_path, md_path = result_paths("tiny", tmp_path)
    data = load_results(json_path)
    assert data == json.loads(json_path.read_text())
    assert data["complete"] and len(data["cells"]) == 6 and counting_method.calls == 6
    assert state["cells"] == data["cells"]
    for cell in data["cells"]:
        assert cell["status"] == "ok" and 0 <= cell["accuracy"] <= 100
        assert cell["fit_seconds"] >= 0 and cell["peak_traced_bytes"] > 0
        assert cell["peak_rss_delta_bytes"] is None or cell["peak_rss_delta_bytes"] >= 0
    # accuracy is the real target accuracy of the method
    Xs, ys, Xt, yt = tiny_loader(Task("0->3", "0", "3"))

    expected = 100 * np.mean(KNeighborsClassifier(1).fit(Xs, ys).predict(Xt) == yt)
    got = [c["accuracy"] for c in data["cells"] if c["task"] == "0->3"]
    assert got == [pytest.approx(expected)] * 2
    md = md_path.read_text()
    assert "| method | 0->1 | 0->2 | 0->3 | avg | Δ avg | = ref |" in md
    assert "**tiny_1nn** (ours, 2 seeds)" in md and "± 0.00" in md
    assert "complete" in md and "1NN on the raw source" in md


def test_resume_skips_finished_cells(tmp_path, counting_method):
    _run(tmp_path, seeds=1)
    assert counting_method.calls == 3
    _run(tmp_path, seeds=2, resume=True)
    assert counting_method.calls == 6  # only the 3 cells of seed 1 ran
    _run(tmp_path, seeds=2, resume=True)
    assert counting_method.calls == 6
    _run(tmp_path, seeds=1)  # without --resume the requested cells are recomputed
    assert counting_method.calls == 9
    assert len(load_results(result_paths("tiny", tmp_path)[0])["cells"]) == 6


class _InterruptAfter:
    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, random_state):
        from sklearn.neighbors import KNeighborsClassifier

        from transferkit import SourceOnly

        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt
        return SourceOnly(KNeighborsClassifier(1))


def test_interrupt_leaves_a_valid_partial_file_and_resume_completes(tmp_path, fake_suite):
    factory = _InterruptAfter(2)
    register_method("flaky", factory, description="stops after two cells", replace=True)
    try:
        with pytest.raises(KeyboardInterrupt):
            _run(tmp_path, methods=["flaky"])
        json_path, md_path = result_paths("tiny", tmp_path)
        data = json.loads(json_path.read_text())  # valid JSON
        assert not data["complete"] and [c["task"] for c in data["cells"]] == ["0->1", "0->2"]
        assert "partial" in md_path.read_text()
        assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
        factory.n = 10
        _run(tmp_path, methods=["flaky"], resume=True)
        assert factory.calls == 3 + 1  # 2 done + 1 interrupted + only the last one re-run
        data = load_results(json_path)
        assert data["complete"] and len(data["cells"]) == 3
    finally:
        unregister_method("flaky")


def test_a_failing_method_is_recorded_not_fatal(tmp_path, counting_method):
    class Broken:
        def fit(self, X, y, X_target=None):
            raise ValueError("broken on purpose")

    register_method("broken", lambda rs: Broken(), description="always fails", replace=True)
    try:
        state = _run(tmp_path, methods=["broken", "tiny_1nn"])
    finally:
        unregister_method("broken")
    errors = [c for c in state["cells"] if c["status"] == "error"]
    assert len(errors) == 3 and "broken on purpose" in errors[0]["error"]
    assert not state["complete"]
    assert "Failed cells" in result_paths("tiny", tmp_path)[1].read_text()


def test_oracle_selection_is_the_best_candidate_and_labelled_upper_bound(tmp_path, counting_method):
    state = _run(tmp_path, select="oracle")
    json_path, md_path = result_paths("tiny", tmp_path, "oracle")
    assert json_path.name == "tiny.select-oracle.json"
    for cell in state["cells"]:
        scores = cell["selection"]["info"]["target_accuracy_of_candidates"]
        assert cell["accuracy"] == pytest.approx(100 * max(scores))
        assert cell["selection"]["uses_target_labels"] is True
        assert cell["params"]["estimator__n_neighbors"] in (1, 3, 15)
    assert "UPPER BOUND" in md_path.read_text()


def test_label_free_selectors_never_see_target_labels(tmp_path, counting_method):
    seen = []

    def last(problem):
        seen.append(problem.y_target)
        return problem.candidates[-1], {"why": "last"}

    register_selector("last", last, description="last candidate")
    try:
        state = _run(tmp_path, select="last")
    finally:
        unregister_selector("last")
    assert seen == [None, None, None]
    assert all(c["params"] == {"estimator__n_neighbors": 15} for c in state["cells"])
    assert "UPPER BOUND" not in result_paths("tiny", tmp_path, "last")[1].read_text()


def test_selector_must_return_a_candidate(tmp_path, counting_method):
    register_selector("bogus", lambda p: {"estimator__n_neighbors": 99}, description="x")
    try:
        state = _run(tmp_path, select="bogus")
    finally:
        unregister_selector("bogus")
    assert all("not one of the candidates" in c["error"] for c in state["cells"])


def test_bad_arguments_are_reported(tmp_path, counting_method):
    with pytest.raises(TransferKitInputError, match="unknown benchmark suite"):
        run_benchmark("nosuch", ["tiny_1nn"], output_dir=tmp_path)
    with pytest.raises(TransferKitInputError, match="unknown benchmark method"):
        _run(tmp_path, methods=["nosuch"])
    with pytest.raises(TransferKitInputError, match="unknown selector"):
        _run(tmp_path, select="nosuch")
    with pytest.raises(TransferKitInputError, match="seeds"):
        _run(tmp_path, seeds=0)
    with pytest.raises(TransferKitInputError, match="memory"):
        _run(tmp_path, memory="lots")
    with pytest.raises(TransferKitInputError, match="no task"):
        _run(tmp_path, tasks=["9->9"])
    with pytest.raises(TransferKitInputError, match="not 'tiny'"):
        register_method("digits_only", lambda rs: None, description="x", suites=["digits"])
        try:
            _run(tmp_path, methods=["digits_only"])
        finally:
            unregister_method("digits_only")


def test_task_subset_and_memory_off(tmp_path, counting_method):
    state = _run(tmp_path, tasks=["0->2"], memory="none")
    (cell,) = state["cells"]
    assert cell["task"] == "0->2" and cell["peak_traced_bytes"] is None
    assert cell["peak_rss_delta_bytes"] is None


def test_a_task_with_several_sources_passes_sample_domain_to_fit(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from transferkit import CORAL, SourceOnly, make_transfer_pipeline
    from transferkit.bench import Suite, register_suite
    from transferkit.bench.suites import unregister_suite

    def load(task):
        rng = np.random.default_rng(0)
        y = np.repeat([0, 1, 2], 10)
        centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
        X1 = centres[y] + rng.normal(size=(30, 2))
        X2 = centres[y] + rng.normal(size=(30, 2)) + 0.5
        Xt = centres[y] + rng.normal(size=(30, 2)) + 1.0
        ids = np.r_[np.full(30, 1), np.full(30, 2)]
        return np.vstack([X1, X2]), np.r_[y, y], Xt, y, ids

    register_suite(
        Suite(
            "two_sources",
            "synthetic",
            (Task("1+2->t", "1+2", "t"),),
            "two sources",
            load,
            multi_source=True,
        ),
        replace=True,
    )
    register_method(
        "pooled_lr",
        lambda rs: SourceOnly(LogisticRegression()),
        description="pooled sources",
        param_grid={"estimator__C": [1.0, 0.01]},
        replace=True,
    )
    register_method(
        "two_sources_coral_lr",
        lambda rs: make_transfer_pipeline(CORAL(), LogisticRegression()),
        description="single-source CORAL",
        replace=True,
    )

    class RecordIds(SourceOnly):
        def fit(self, X, y, *, X_target=None, y_target=None, sample_domain=None):
            seen.append(None if sample_domain is None else sorted(set(sample_domain)))
            return super().fit(X, y, X_target=X_target, sample_domain=sample_domain)

    seen = []
    register_method(
        "ids_lr",
        lambda rs: RecordIds(LogisticRegression()),
        description="multi-source entry that records the ids it is fitted with",
        multi_source=True,
        replace=True,
    )
    try:
        for select in ("none", "entropy", "oracle"):
            seen.clear()
            state = run_benchmark(
                "two_sources",
                ["pooled_lr", "two_sources_coral_lr", "ids_lr"],
                output_dir=tmp_path,
                select=select,
                verbose=False,
                write_markdown=False,
            )
            cells = {c["method"]: c for c in state["cells"]}
            assert cells["pooled_lr"]["status"] == "ok", cells["pooled_lr"]
            assert cells["pooled_lr"]["accuracy"] > 80
            # a single-source method is fitted on the pooled sources (no sample_domain),
            # so the single-source CORAL runs instead of refusing the two sources
            assert cells["two_sources_coral_lr"]["status"] == "ok", cells["two_sources_coral_lr"]
            # the ids reached fit of the multi-source entry
            assert cells["ids_lr"]["status"] == "ok", cells["ids_lr"]
            assert seen == [[1, 2]]
    finally:
        unregister_method("pooled_lr")
        unregister_method("two_sources_coral_lr")
        unregister_method("ids_lr")
        unregister_suite("two_sources")
