"""Write the student edition: solution cells become stubs, solution directives disappear.

    python tools/student_edition.py [--out _build/student]

Code cells tagged ``solution`` are replaced by a ``# YOUR CODE HERE`` stub; markdown ``{solution}``
blocks (colon or backtick fences) are removed. The notebooks are written to ``<out>/notebooks`` and
zipped into ``<out>/genbook-student.zip``.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

import nbformat

STUB = '# YOUR CODE HERE\nraise NotImplementedError("Exercise: replace this line with your solution.")\n'
_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution\}")


def strip_solutions(markdown: str) -> str:
    """Remove every ``{solution}`` block from MyST markdown."""
    out: list[str] = []
    closing: str | None = None
    for line in markdown.splitlines(keepends=True):
        if closing is None:
            match = _OPEN.match(line.strip())
            if match:
                closing = match.group("fence")
                continue
            out.append(line)
        elif line.strip() == closing:
            closing = None
    if closing is not None:
        raise ValueError(f"A {{solution}} block is not closed (expected a line '{closing}').")
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip() + "\n"


_GATE = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution-(?P<which>start|end)\}")


def _strip_gates(markdown: str, in_gate: bool) -> tuple[str, bool]:
    """Drop the gated part of one markdown cell; return what is left and whether a gate is still open.

    A cell may close one gate and open the next (``{solution-end}``, the next exercise, ``{solution-start}``).
    """
    kept: list[str] = []
    skip_fence: str | None = None  # the closing fence of a gate directive still to be skipped
    for line in markdown.splitlines(keepends=True):
        stripped = line.strip()
        if skip_fence is not None:
            if stripped == skip_fence:
                skip_fence = None
            continue
        match = _GATE.match(stripped)
        if match:
            in_gate = match.group("which") == "start"
            skip_fence = match.group("fence")
            continue
        if not in_gate:
            kept.append(line)
    return "".join(kept).strip(), in_gate


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions.

    Gated solutions (from ``{solution-start}`` to ``{solution-end}``, across cells) disappear, except that
    their code cells tagged ``solution`` become stubs; the exercise text around them stays.
    """
    nb = nbformat.from_dict(nb)
    kept = []
    in_gate = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if in_gate or "{solution-" in cell.source:
                cell.source, in_gate = _strip_gates(cell.source, in_gate)
                if not cell.source:
                    continue
            if "{solution}" in cell.source:
                cell.source = strip_solutions(cell.source)
        elif cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            cell.source = STUB
            cell.outputs = []
            cell.execution_count = None
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "solution"] + ["exercise"]
        elif in_gate:
            continue
        kept.append(cell)
    if in_gate:
        raise ValueError("A {solution-start} cell has no matching {solution-end} cell.")
    nb.cells = kept
    nb.metadata.pop("genbook", None)
    return nb


def check_parses(folder: Path) -> int:
    """Validate every notebook in ``folder`` and compile its code cells (IPython magics included)."""
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    paths = sorted(folder.glob("*.ipynb"))
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                compile(transformer.transform_cell(cell.source), str(path), "exec")
    return len(paths)


def run_until_first_stub(folder: Path, timeout: int = 120) -> list[str]:
    """Run every student notebook in smoke mode; each must finish or stop at an exercise stub.

    Returns the problems found (a notebook that fails anywhere else than at a stub).
    """
    import tempfile

    from papermill.exceptions import PapermillExecutionError

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from execute import execute

    problems = []
    for path in sorted(folder.glob("*.ipynb")):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                execute(path, "smoke", Path(tmp) / path.name, timeout=timeout)
                print(f"student {path.name}: ran to the end")
            except PapermillExecutionError as err:
                if err.ename == "NotImplementedError" and "Exercise" in err.evalue:
                    print(f"student {path.name}: ran up to the first exercise stub (cell {err.exec_count})")
                else:
                    problems.append(f"{path.name}: {err.ename}: {err.evalue} in cell {err.exec_count}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=Path("notebooks"))
    parser.add_argument("--out", type=Path, default=Path("_build/student"))
    parser.add_argument("--run", action="store_true",
                        help="also run each student notebook in smoke mode up to its first exercise stub")
    args = parser.parse_args(argv)
    target = args.out / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(args.src.glob("*.ipynb")):
        nb = student_notebook(nbformat.read(path, as_version=4))
        nbformat.validate(nb)
        nbformat.write(nb, target / path.name)
        written.append(target / path.name)
    archive = args.out / "genbook-student.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in written:
            zf.write(path, Path("notebooks") / path.name)
    print(f"student edition: {len(written)} notebooks in {target}, archive {archive}; "
          f"{check_parses(target)} parse")
    if not written:
        return 1
    if args.run:
        problems = run_until_first_stub(target)
        for problem in problems:
            print("FAIL", problem)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
