"""Tests of tools/: the output check and the student edition."""

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import release  # noqa: E402

import assignments  # noqa: E402
import bench  # noqa: E402
import check_outputs  # noqa: E402
import insert_check  # noqa: E402
import student_edition  # noqa: E402
from nbstamp import STAMP_KEY, code_hash  # noqa: E402


def _executed_notebook(stamp=True, mode="book"):
    cells = [new_markdown_cell("# Title"), new_code_cell("x = 1", execution_count=1),
             new_code_cell("print(x)", execution_count=2,
                           outputs=[new_output("stream", name="stdout", text="1\n")])]
    nb = new_notebook(cells=cells)
    if stamp:
        nb.metadata[STAMP_KEY] = {"mode": mode, "code_hash": code_hash(nb)}
    return nb


def _problems(tmp_path, nb, **kwargs):
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return check_outputs.problems(path, **kwargs)


def test_a_stamped_notebook_passes(tmp_path):
    assert _problems(tmp_path, _executed_notebook()) == []


def test_missing_stamp(tmp_path):
    assert "no execution stamp" in _problems(tmp_path, _executed_notebook(stamp=False))[0]


def test_code_changed_after_execution(tmp_path):
    nb = _executed_notebook()
    nb.cells[1].source = "x = 2"
    assert any("code changed" in p for p in _problems(tmp_path, nb))


def test_markdown_edits_do_not_invalidate_outputs(tmp_path):
    nb = _executed_notebook()
    nb.cells[0].source = "# A better title"
    assert _problems(tmp_path, nb) == []


def test_execution_counts_must_run_in_order(tmp_path):
    nb = _executed_notebook()
    nb.cells[2].execution_count = 5
    assert any("execution counts" in p for p in _problems(tmp_path, nb))


def test_wrong_mode(tmp_path):
    assert any("'smoke' mode" in p for p in _problems(tmp_path, _executed_notebook(mode="smoke")))
    assert _problems(tmp_path, _executed_notebook(mode="smoke"), expected_mode=None) == []


@pytest.mark.parametrize("output", [
    new_output("error", ename="ValueError", evalue="bad", traceback=["..."]),
    new_output("stream", name="stderr", text="Traceback (most recent call last):\n  ...\n"),
])
def test_errors_and_tracebacks_fail(tmp_path, output):
    nb = _executed_notebook()
    nb.cells[2].outputs.append(output)
    assert any("error or traceback" in p for p in _problems(tmp_path, nb))


def test_student_edition_removes_gated_solutions():
    nb = new_notebook(cells=[
        new_markdown_cell("```{exercise}\n:label: ex1\n\nDo it.\n```\n\n```{solution-start} ex1\n"
                          ":class: dropdown\n```\n\nThe idea of the answer."),
        new_code_cell("answer = 42", metadata={"tags": ["solution"]}, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="42\n")]),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell("print('after')"),
    ])
    student = student_edition.student_notebook(nb)
    sources = [c.source for c in student.cells]
    assert len(student.cells) == 3
    assert sources[0] == "```{exercise}\n:label: ex1\n\nDo it.\n```"
    assert student.cells[1].source.startswith("# YOUR CODE HERE")
    assert student.cells[1].outputs == [] and student.cells[1].metadata["tags"] == ["exercise"]
    assert not any("42" in s or "idea of the answer" in s for s in sources)
    assert sources[2] == "print('after')"
    nbformat.validate(student)


def test_student_edition_keeps_exercises_that_share_cells_with_gates():
    """The layout of the chapters: exercise + solution-start in one cell, solution-end + next exercise in one."""
    nb = new_notebook(cells=[
        new_markdown_cell("## Exercises\n\n```{exercise}\n:label: a\n\nFirst task.\n```\n\n"
                          "```{solution-start} a\n:class: dropdown\n```\n\nHow to do the first."),
        new_code_cell("first = 1", metadata={"tags": ["solution"]}),
        new_markdown_cell("```{solution-end}\n```\n\n```{exercise}\n:label: b\n\nSecond task.\n```\n\n"
                          "```{solution-start} b\n:class: dropdown\n```\n\nHow to do the second."),
        new_code_cell("second = 2", metadata={"tags": ["solution"]}),
        new_markdown_cell("```{solution-end}\n```"),
    ])
    student = student_edition.student_notebook(nb)
    text = "\n".join(c.source for c in student.cells)
    assert "First task." in text and "Second task." in text
    assert "How to do" not in text and "solution-" not in text
    assert [c.cell_type for c in student.cells] == ["markdown", "code", "markdown", "code"]
    assert text.count("```{exercise}") == 2 and text.count("YOUR CODE HERE") == 2


def test_student_edition_strips_plain_solution_blocks():
    text = "Before.\n\n:::{solution} ex1\n:class: dropdown\nSecret.\n:::\n\nAfter.\n"
    assert student_edition.strip_solutions(text) == "Before.\n\nAfter.\n"
    with pytest.raises(ValueError, match="not closed"):
        student_edition.strip_solutions(":::{solution} ex1\nSecret.\n")


def test_unclosed_gate_is_an_error():
    nb = new_notebook(cells=[new_markdown_cell("```{solution-start} ex1\n```")])
    with pytest.raises(ValueError, match="solution-end"):
        student_edition.student_notebook(nb)


def test_committed_notebooks_keep_every_exercise_in_the_student_edition():
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        student = student_edition.student_notebook(nb)
        count = sum(c.source.count("{exercise}") for c in nb.cells if c.cell_type == "markdown")
        kept = sum(c.source.count("{exercise}") for c in student.cells if c.cell_type == "markdown")
        assert kept == count, path.name
        assert not any("{solution" in c.source for c in student.cells if c.cell_type == "markdown"), path.name


def test_committed_student_notebooks_keep_every_other_code_cell_unchanged():
    """Why CI does not run the student edition: its code is the smoke-tested code minus solutions plus stubs."""
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        student = student_edition.student_notebook(nb)
        teacher_code = [c.source for c in nb.cells
                        if c.cell_type == "code" and "solution" not in c.metadata.get("tags", [])]
        student_code = [c.source for c in student.cells
                        if c.cell_type == "code" and "exercise" not in c.metadata.get("tags", [])]
        assert student_code == teacher_code, path.name


def test_committed_notebooks_have_solutions_tagged_inside_gates():
    """Every solution code cell of the real notebooks sits between solution-start and solution-end."""
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        inside = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
                inside = True
            elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
                inside = False
            elif "solution" in cell.metadata.get("tags", []):
                assert inside, f"{path}: a solution cell outside a solution-start/end gate"


def test_shown_helpers_source_must_be_current(tmp_path):
    from helpers.metrics import principal_angles
    from helpers.show import source_of

    current = source_of(principal_angles)
    nb = _executed_notebook()
    nb.cells.append(new_code_cell("show.show_source(metrics.principal_angles)", execution_count=3,
                                  outputs=[new_output("execute_result", data={"text/plain": current},
                                                      execution_count=3)]))
    nb.metadata[STAMP_KEY]["code_hash"] = code_hash(nb)
    assert _problems(tmp_path, nb) == []
    nb.cells[-1].outputs[0]["data"]["text/plain"] = current.replace("Principal angles", "Old angles")
    assert any("shows helpers source that has changed" in p for p in _problems(tmp_path, nb))


def test_student_notebooks_must_run_up_to_their_first_stub(tmp_path):
    ok = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(student_edition.STUB),
                             new_code_cell("y = x + 1")])
    broken = new_notebook(cells=[new_code_cell("1 / 0"), new_code_cell(student_edition.STUB)])
    for name, nb in [("ok.ipynb", ok), ("broken.ipynb", broken)]:
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)
    problems = student_edition.run_until_first_stub(tmp_path, timeout=60)
    assert problems == ["broken.ipynb: ZeroDivisionError: division by zero in cell 1"]


def test_a_notebook_that_draws_must_hold_figures(tmp_path):
    nb = _executed_notebook()
    nb.cells.append(new_code_cell("fig, ax = plt.subplots()", execution_count=3))
    nb.metadata[STAMP_KEY]["code_hash"] = code_hash(nb)
    assert any("no figure is in the outputs" in p for p in _problems(tmp_path, nb))
    nb.cells[-1].outputs = [new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    assert _problems(tmp_path, nb) == []


def test_execute_draws_figures_inline_whatever_the_callers_backend(tmp_path, monkeypatch):
    import execute

    nb = new_notebook(cells=[new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                                           "ax.plot([0, 1])")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "draw.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    execute.execute(path, "book")
    done = nbformat.read(path, as_version=4)
    assert any("image/png" in out.get("data", {}) for out in done.cells[0].outputs)
    assert check_outputs.problems(path, expected_mode="book") == []


def test_preflight_runs_each_notebook_alone_and_reports_its_mode_and_peak_memory(tmp_path, capsys):
    import smoke

    code = "import os\nprint(os.environ['GENBOOK_MODE'])\nblock = b'x' * (300 * 2**20)"  # 300 MiB written
    nb = new_notebook(cells=[new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    assert smoke.main(["--mode", "preflight", "--out", str(tmp_path / "out"), str(path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "probe.ipynb" in x)
    assert int(line.rsplit("peak kernel memory ", 1)[1].split()[0]) >= 300
    done = nbformat.read(tmp_path / "out" / "probe.ipynb", as_version=4)
    assert done.cells[0].outputs[0]["text"].strip() == "preflight"
    assert done.metadata[STAMP_KEY]["mode"] == "preflight"


def test_a_failing_notebook_fails_the_preflight(tmp_path, capsys):
    import smoke

    nb = new_notebook(cells=[new_code_cell("raise ValueError('full-mode shape bug')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    assert smoke.main(["--mode", "preflight", "--out", str(tmp_path / "out"), str(path)]) == 1
    assert "full-mode shape bug" in capsys.readouterr().out


def _glued(name, text):
    return new_output("display_data", data={"application/papermill.record/text/plain": text},
                      metadata={"scrapbook": {"mime_prefix": "application/papermill.record/", "name": name}})


def test_bench_reads_recorded_values_from_glue_outputs(tmp_path):

    nb = new_notebook(cells=[new_code_cell("record(...)", execution_count=1,
                                           outputs=[_glued("ch08_fid", "13.35"), _glued("ch08_epochs", "3"),
                                                    _glued("ch08_worst", "'Pullover'")])])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert bench.recorded_values(path) == {"ch08_fid": 13.35, "ch08_epochs": 3, "ch08_worst": "Pullover"}


def test_bench_report_has_a_row_per_measured_family(tmp_path):

    result = {"family": "dcgan", "batch": 128, "steps": 3, "classic": 100.0, "fit": 150.0, "fit_xla": 180.0,
              "best": "fit_xla", "ratio": 1.8, "peak_rss_mb": 900.0, "device": "CPU",
              "classic_name": "two-phase train_on_batch"}
    bench.write_report([result], tmp_path)
    table = (tmp_path / "results.md").read_text()
    assert "| dcgan | 08 | two-phase train_on_batch | 100 | 150 | 180 | 1.80 (fit_xla) | 900 |" in table
    assert json.loads((tmp_path / "results.json").read_text())["throughput"][0]["ratio"] == 1.8


def _recording_notebook(name, value):
    """A stamped notebook that glued ``name`` = ``value`` the way helpers.report.record does."""
    nb = _executed_notebook()
    nb.cells[2].outputs.append(new_output(
        "display_data", data={"application/papermill.record/text/plain": repr(value), "text/plain": repr(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}}))
    return nb


def test_prose_citing_another_chapters_figure_must_quote_its_current_value(tmp_path):
    nbformat.write(_recording_notebook("ch99_fid", 13.3467), tmp_path / "other.ipynb")
    nb = _executed_notebook()
    nb.cells[0].source = "# Title\n\n% cite ch99_fid:.2f\nChapter 99 reached 13.35 in its book run."
    assert _problems(tmp_path, nb) == []
    nb.cells[0].source = "# Title\n\n% cite ch99_fid:.2f\nChapter 99 reached 13.53 in its book run."
    assert any("cites ch99_fid = 13.35, but that number is not in the paragraph" in p for p in _problems(tmp_path, nb))
    nb.cells[0].source = "% cite ch98_fid:.2f\nChapter 98 reached 13.35."
    assert any("which no committed notebook records" in p for p in _problems(tmp_path, nb))
    nb.cells[0].source = "% cite ch99_fid:d\nChapter 99 reached 13."
    assert any("does not fit its value" in p for p in _problems(tmp_path, nb))


def test_committed_citations_hold():
    root = Path(__file__).resolve().parents[1] / "notebooks"
    records = check_outputs.all_records(root)
    cited = 0
    for path in sorted(root.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert check_outputs.stale_citations(nb, records) == [], path.name
        cited += sum(len(check_outputs.CITE.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")
    assert cited >= 4  # chapters 8, 9, 12 and 13 quote earlier chapters' FIDs


def test_insert_check_splits_the_solution_end_from_the_next_exercise():
    end = "```{solution-end}\n```"
    nb = new_notebook(cells=[
        new_markdown_cell("```{exercise}\n:label: ch99-a\n```\n\n```{solution-start} ch99-a\n:class: dropdown\n```"),
        new_code_cell("answer = 1"),
        new_markdown_cell(end + "\n\n```{exercise}\n:label: ch99-b\n```\n\n```{solution-start} ch99-b\n```"),
        new_code_cell("other = 2"),
        new_markdown_cell(end)])
    assert insert_check.insert_check(nb, "ch99-a", "checks.check_a(answer)")
    sources = [c.source for c in nb.cells]
    assert sources[2] == end
    assert sources[3] == f"{insert_check.FIRST_LINE}\nchecks.check_a(answer)"
    assert sources[4].startswith("```{exercise}\n:label: ch99-b")
    assert not insert_check.insert_check(nb, "ch99-a", "checks.check_a(answer)")  # already there
    assert insert_check.insert_check(nb, "ch99-b", "checks.check_b(other)")
    assert nb.cells[-1].source.endswith("checks.check_b(other)") and nb.cells[-2].source == end
    with pytest.raises(SystemExit, match="ch99-c"):
        insert_check.insert_check(nb, "ch99-c", "checks.check_c()")


def _release_repo(tmp_path, version="0.1.0", tag="v0.1.0", url="https://github.com/o/r"):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "genbook-helpers"\nversion = "{version}"\n')
    (tmp_path / "_config.yml").write_text(f"repository:\n  url: {url}\n  branch: main\n")
    (tmp_path / "helpers" / "__init__.py").write_text(f'"""Doc."""\n\n__version__ = "{version}"\n')
    spec = f"genbook-helpers @ git+https://github.com/o/r@{tag}"
    (tmp_path / "book" / "colab.md").write_text(f'    %pip install "{spec}"\n\nthe release tag `{tag}` ties\n')
    for name, fresh in (("a.ipynb", True), ("b.ipynb", False)):
        nb = new_notebook(cells=[new_code_cell(f'if "google.colab" in sys.modules:\n    %pip install --quiet "{spec}"'),
                                 new_code_cell("x = 1")])
        nb.metadata[STAMP_KEY] = {"mode": "book", "code_hash": code_hash(nb) if fresh else "stale"}
        nbformat.write(nb, tmp_path / "notebooks" / name)
    return tmp_path


def test_release_check_passes_when_every_place_agrees(tmp_path):
    assert release.check(_release_repo(tmp_path)) == []


def test_release_check_names_each_place_that_disagrees(tmp_path):
    root = _release_repo(tmp_path, tag="v0.0.9")
    problems = release.check(root)
    assert sum("a.ipynb" in p for p in problems) == 1 and sum("b.ipynb" in p for p in problems) == 1
    assert any("book/colab.md: quotes" in p for p in problems)
    assert any("names the release tag v0.0.9" in p for p in problems)
    (root / "helpers" / "__init__.py").write_text('__version__ = "0.2.0"\n')
    assert any("helpers/__init__.py" in p for p in release.check(root))
    (root / "_config.yml").write_text("repository:\n  url: https://github.com/other/fork\n")
    assert any("expected 'genbook-helpers @ git+https://github.com/other/fork@v0.1.0'" in p
               for p in release.check(root))


def test_release_bump_sets_every_place_and_renews_only_fresh_stamps(tmp_path):
    root = _release_repo(tmp_path)
    release.bump("0.2.0", root)
    assert release.check(root) == []
    assert release.project_version(root) == "0.2.0"
    a = nbformat.read(root / "notebooks" / "a.ipynb", as_version=4)
    assert "@v0.2.0" in a.cells[0].source and a.metadata[STAMP_KEY]["code_hash"] == code_hash(a)
    b = nbformat.read(root / "notebooks" / "b.ipynb", as_version=4)
    assert "@v0.2.0" in b.cells[0].source and b.metadata[STAMP_KEY]["code_hash"] == "stale"
    with pytest.raises(SystemExit, match="1.2.3"):
        release.bump("v0.3", root)


def test_committed_release_is_consistent():
    assert release.check() == []


def _exercise_notebook():
    end = "```{solution-end}\n```"
    return new_notebook(cells=[
        new_code_cell("from helpers import checks"),
        new_markdown_cell("```{exercise}\n:label: ch99-a\n```\n\n```{solution-start} ch99-a\n:class: dropdown\n```"),
        new_code_cell("answer = 1", metadata={"tags": ["solution"]}),
        new_markdown_cell("The reasoning."),
        new_markdown_cell(end),
        new_code_cell(f"{insert_check.FIRST_LINE}\n"
                      "print(checks.check_a(answer)); checks.check_b(answer) if ok else None"),
        new_code_cell("print('after')")])


def test_assignment_cells_are_nbgrader_solution_and_test_cells():
    nb, graded = assignments.assignment_notebook(_exercise_notebook(), "ch99")
    assert graded == ["ch99-a"]
    solution = next(c for c in nb.cells if "BEGIN SOLUTION" in c.source)
    assert solution.source == "### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION"
    assert solution.metadata["nbgrader"] == {"grade": False, "grade_id": "ch99-a-solution-1", "locked": False,
                                             "schema_version": 3, "solution": True, "task": False}
    test = next(c for c in nb.cells if "Autograded" in c.source)
    assert test.source.splitlines()[1] == ("checks.require(checks.check_a(answer), "
                                           "checks.check_b(answer) if ok else None)")
    assert test.metadata["nbgrader"]["points"] == assignments.POINTS and test.metadata["nbgrader"]["locked"]
    assert not any("reasoning" in c.source for c in nb.cells)  # solution prose stays out, as in the student edition
    assert not any(k.startswith("_genbook") for c in nb.cells for k in c.metadata)
    nbformat.validate(nb)


def test_a_check_cell_with_other_statements_is_refused():
    with pytest.raises(ValueError, match="only checker calls"):
        assignments.test_source(f"{insert_check.FIRST_LINE}\nx = checks.check_a(answer)")


def test_committed_chapters_give_an_assignment_per_checked_exercise(tmp_path):
    graded = assignments.write(Path(__file__).resolve().parents[1] / "notebooks", tmp_path)
    assert len(graded) == 14 and sum(map(len, graded.values())) >= 35
    assert (tmp_path / "nbgrader_config.py").read_text().count("get_config()") == 1
    for chapter in graded:
        nb = nbformat.read(tmp_path / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(tests) == len(graded[chapter])
        assert all(c.source.count("checks.require(") == 1 for c in tests)


def _smoke_plugin():
    """notebooks/conftest.py, the nbval plugin that times the smoke run, as a fresh module."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "notebooks" / "conftest.py"
    spec = importlib.util.spec_from_file_location("smoke_plugin_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("seconds", "failed", "status", "exit_failed"), [
    ((2.0, 3.0), False, "  ok a.ipynb: 5.0 s", False),
    ((40.0, 30.0), False, "SLOW (over the 60 s target) a.ipynb: 70.0 s", False),
    ((60.0, 40.0), False, "TOO SLOW (hard limit 90 s) a.ipynb: 100.0 s", True),
    ((1.0, 1.0), True, "FAIL a.ipynb: 2.0 s", False),  # nbval's own failure already fails the session
])
def test_the_smoke_plugin_sums_each_notebooks_cells_and_applies_smoke_limits(seconds, failed, status, exit_failed):
    from types import SimpleNamespace

    plugin = _smoke_plugin()
    for i, duration in enumerate(seconds):
        plugin.pytest_runtest_logreport(SimpleNamespace(nodeid=f"notebooks/a.ipynb::Cell {i}", duration=duration,
                                                        failed=failed and i == 1))
    plugin.pytest_runtest_logreport(SimpleNamespace(nodeid="tests/test_x.py::test_y", duration=500.0, failed=False))
    options = {"--smoke-limit": 60.0, "--smoke-hard-limit": 90.0}
    config = SimpleNamespace(getoption=options.__getitem__)
    lines = []
    reporter = SimpleNamespace(write_line=lines.append, section=lambda *a, **k: None)
    plugin.pytest_terminal_summary(reporter, 0, config)
    assert status in lines and not any("test_x" in line for line in lines)
    session = SimpleNamespace(config=config, exitstatus=0)
    plugin.pytest_sessionfinish(session, 0)
    assert (session.exitstatus != 0) == exit_failed
