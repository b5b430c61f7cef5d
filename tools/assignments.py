"""Write the book's exercises as nbgrader assignments, and prove them with nbgrader itself (issue 18).

    python tools/assignments.py [--out _build/assignments]            # make assignments
    python tools/assignments.py --check ch09 [--out _build/assignments]

Each chapter becomes ``<out>/source/chNN/chNN.ipynb`` in nbgrader's format:

* the chapter's text without the solution prose (as in the student edition, ``tools/student_edition.py``);
* every code cell tagged ``solution`` is a nbgrader solution cell, its code between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (``nbgrader generate_assignment`` replaces it by the student edition's stub);
* every check cell (``# Check your answer: ...``) becomes a locked, autograded test cell worth
  :data:`POINTS` points that prints the checker's message and asserts its verdict (``checks.require``),
  so a wrong or missing answer fails the cell.

``<out>/nbgrader_config.py`` is the course's configuration. ``--check CHAPTER...`` (CI: ``ch09``; ``all``
for every chapter) generates the assignment of every chapter with ``nbgrader generate_assignment``, then
autogrades each CHAPTER twice in smoke mode: the reference solutions must get full marks, the untouched
student version zero.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from insert_check import FIRST_LINE as CHECK_LINE  # noqa: E402 (the first line of every check cell)
from student_edition import STUB, student_notebook  # noqa: E402

POINTS = 1
_START = re.compile(r"\{solution-start\}\s+(?P<label>[\w-]+)")

CONFIG = '''\
"""nbgrader configuration of the course book's assignments (written by tools/assignments.py)."""

from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "genbook"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
# Solutions become the same stub as in the student edition.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# A chapter trains models: in book mode the longest takes about 16 minutes on two CPU cores. Set
# GENBOOK_MODE=smoke in the graders' environment for a quick pass, or leave it to each notebook's MODE cell.
c.Execute.timeout = 7200
'''


def _chapter(path: Path) -> str:
    return f"ch{path.name[:2]}"


def _meta(grade_id: str, *, solution: bool, grade: bool, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def test_source(check_source: str) -> str:
    """The source of a check cell rewritten as a test cell: ``checks.require(...)`` of its checker calls.

    Each statement of the check cell is a checker call, possibly inside ``print(...)`` or a conditional
    expression; they become the arguments of one ``checks.require`` call.
    """
    body = check_source.split("\n", 1)[1] if check_source.startswith(CHECK_LINE) else check_source
    calls = []
    for statement in ast.parse(body).body:
        if not isinstance(statement, ast.Expr):
            raise ValueError(f"a check cell holds only checker calls, not {ast.unparse(statement)!r}")
        value = statement.value
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print"
                and len(value.args) == 1):
            value = value.args[0]
        calls.append(ast.unparse(value))
    return "checks.require(" + ", ".join(calls) + ")"


def assignment_notebook(nb: nbformat.NotebookNode, chapter: str) -> tuple[nbformat.NotebookNode, list[str]]:
    """``nb`` in nbgrader's source format, and the labels of its autograded exercises."""
    label = chapter
    for cell in nb.cells:  # tag each cell with its exercise (from the {solution-start} markers) before the
        found = _START.findall(cell.source) if cell.cell_type == "markdown" else []  # student edition drops them
        label = found[-1] if found else label
        cell.metadata["_genbook_label"] = label
    out = student_notebook(_with_solutions_kept(nb))
    graded: list[str] = []
    used: dict[str, int] = {}
    for cell in out.cells:
        label = cell.metadata.pop("_genbook_label", chapter)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if "_genbook_solution" in cell.metadata:
            cell.source = "### BEGIN SOLUTION\n" + cell.metadata.pop("_genbook_solution").rstrip("\n") + \
                "\n### END SOLUTION"
            cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "exercise"] + ["solution"]
            used[label] = used.get(label, 0) + 1
            cell.metadata["nbgrader"] = _meta(f"{label}-solution-{used[label]}", solution=True, grade=False)
        elif cell.source.startswith(CHECK_LINE):
            cell.source = (f"# Autograded test of exercise {label} ({POINTS} point{'s' * (POINTS != 1)}): "
                           "it prints the checker's feedback and fails unless the answer is correct.\n"
                           + test_source(cell.source))
            cell.metadata["nbgrader"] = _meta(f"{label}-test", solution=False, grade=True, points=POINTS)
            graded.append(label)
    if len(set(graded)) != len(graded):
        raise ValueError(f"{chapter}: two check cells for one exercise: {graded}")
    return out, graded


def _with_solutions_kept(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose solution cells remember their code (the student edition replaces it by a stub)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            cell.metadata["_genbook_solution"] = cell.source
    return nb


def write(src: Path, out: Path) -> dict[str, list[str]]:
    """Write every chapter's source notebook and the course configuration; return the graded labels."""
    graded = {}
    for path in sorted(src.glob("[0-9][0-9]_*.ipynb")):
        chapter = _chapter(path)
        nb, labels = assignment_notebook(nbformat.read(path, as_version=4), chapter)
        nbformat.validate(nb)
        target = out / "source" / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        graded[chapter] = labels
    (out / "nbgrader_config.py").write_text(CONFIG.format(stub=STUB))
    return graded


def _nbgrader(out: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Run an nbgrader command in the course directory; stop with its output when it fails."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls alembic, next to it, through PATH
    env = dict(env or os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=out, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def check(out: Path, graded: dict[str, list[str]], chapters: list[str]) -> int:
    """Generate every assignment, then autograde each of ``chapters``' reference and blank versions.

    Returns 0 when the reference solutions get full marks and the untouched release gets zero.
    """
    for name in ("release", "submitted", "autograded", "feedback", "gradebook.db"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    started = time.perf_counter()
    for name in graded:
        _nbgrader(out, "generate_assignment", name, "--force")
    print(f"assignments: nbgrader generate_assignment passed for {len(graded)} chapters "
          f"({sum(map(len, graded.values()))} autograded exercises) in {time.perf_counter() - started:.1f} s")
    unknown = [c for c in chapters if not graded.get(c)]
    if unknown:
        raise SystemExit(f"{', '.join(unknown)}: no autograded exercise; choose among "
                         f"{', '.join(k for k, v in graded.items() if v)}")
    students = ("reference", "blank")
    for student in students:
        _nbgrader(out, "db", "student", "add", student)
    env = dict(os.environ, GENBOOK_MODE="smoke")
    problems = []
    for chapter in chapters:
        sources = {"reference": out / "source" / chapter / f"{chapter}.ipynb",
                   "blank": out / "release" / chapter / f"{chapter}.ipynb"}
        seconds = {}
        for student in students:
            target = out / "submitted" / student / chapter / f"{chapter}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sources[student], target)
            started = time.perf_counter()
            _nbgrader(out, "autograde", chapter, "--student", student, "--force", env=env)
            seconds[student] = time.perf_counter() - started
        problems += _scores(out, chapter, students, seconds, POINTS * len(graded[chapter]))
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


def _scores(out: Path, chapter: str, students: tuple[str, ...], seconds: dict[str, float], top: int) -> list[str]:
    """Print each submission's score from the gradebook; the problems when they are not full marks / zero."""
    from nbgrader.api import Gradebook

    problems = []
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for student in students:
            submission = gb.find_submission(chapter, student)
            score = submission.score
            expected = top if student == "reference" else 0.0
            cells = ", ".join(f"{g.name} {g.score:g}" for nb in submission.notebooks for g in nb.grades)
            print(f"assignments: {chapter} {student}: {score:g} of {submission.max_score:g} points "
                  f"({cells}); nbgrader autograde (smoke mode) took {seconds[student]:.1f} s")
            if score != expected or submission.max_score != top:
                problems.append(f"{chapter} {student}: {score:g} of {submission.max_score:g} points, "
                                f"expected {expected:g} of {top}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=Path("notebooks"))
    parser.add_argument("--out", type=Path, default=Path("_build/assignments"))
    parser.add_argument("--check", metavar="CHAPTER", nargs="+",
                        help="generate all, then autograde these chapters (e.g. ch09; 'all' for every one)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    graded = write(args.src, out)
    for chapter, labels in graded.items():
        print(f"assignments: {chapter}: {len(labels)} autograded ({', '.join(labels) or 'none'})")
    print(f"assignments: {sum(map(len, graded.values()))} autograded exercises in {len(graded)} chapters; "
          f"course directory {out} (nbgrader_config.py, source/)")
    if not args.check:
        return 0
    chapters = [c for c in graded if graded[c]] if args.check == ["all"] else args.check
    return check(out, graded, chapters)


if __name__ == "__main__":
    raise SystemExit(main())
