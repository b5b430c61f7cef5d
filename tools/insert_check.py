"""Insert an exercise's check cell after its ```{solution-end}``` (issue 18; see tools/checker_plan.md).

    python tools/insert_check.py notebooks/07_gans_from_scratch.ipynb ch07-kid "checks.check_kid(kid_gan, kid_real)"

Finds the exercise's ```{solution-start} LABEL``` cell, then the first markdown cell after it that holds
```{solution-end}```; when that cell also opens the next exercise, it is split so that the check cell sits
between the two. Does nothing when the call is already there. The notebook must then be re-executed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

FIRST_LINE = "# Check your answer: this cell stays in the student edition and gives feedback on your solution."
END = "```{solution-end}\n```"


def insert_check(nb: nbformat.NotebookNode, label: str, call: str) -> bool:
    """Insert the check cell for ``label`` in place; return False when it was already there."""
    cells = nb.cells
    if any(c.cell_type == "code" and call in c.source for c in cells):
        return False
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and f"{{solution-start}} {label}" in c.source), None)
    if start is None:
        raise SystemExit(f"no solution of exercise {label!r} in this notebook")
    end = next((i for i in range(start + 1, len(cells)) if cells[i].cell_type == "markdown"
                and END in cells[i].source), None)
    if end is None:
        raise SystemExit(f"exercise {label!r}: no {{solution-end}} after its solution")
    before, _, after = cells[end].source.partition(END)
    if before.strip():
        raise SystemExit(f"exercise {label!r}: text before {{solution-end}} in cell {end}; edit it by hand")
    cells[end].source = END
    new = [nbformat.v4.new_code_cell(f"{FIRST_LINE}\n{call}")]
    if after.strip():
        new.append(nbformat.v4.new_markdown_cell(after.strip("\n")))
    cells[end + 1:end + 1] = new
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("label")
    parser.add_argument("call")
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    changed = insert_check(nb, args.label, args.call)
    if changed:
        nbformat.write(nb, args.notebook)
    print(f"{args.notebook.name} {args.label}: {'inserted' if changed else 'already there'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
