"""Check that committed notebooks carry real, current outputs of a top-to-bottom run.

A notebook fails when it has no stamp from ``tools/execute.py``, when its code changed after the
outputs were made, when its execution counts do not run 1..n, or when any output is an error or a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbstamp import STAMP_KEY, code_hash  # noqa: E402

TRACEBACK_MARKERS = ("Traceback (most recent call last)",)


def problems(path: Path, expected_mode: str | None = "book") -> list[str]:
    """Everything wrong with the committed outputs of one notebook (empty when it is fine)."""
    nb = nbformat.read(path, as_version=4)
    found: list[str] = []
    stamp = nb.metadata.get(STAMP_KEY)
    if not stamp:
        return [f"{path}: no execution stamp; run `make execute NB={path}`"]
    if stamp.get("code_hash") != code_hash(nb):
        found.append(f"{path}: code changed after its outputs were made; run `make execute NB={path}`")
    if expected_mode and stamp.get("mode") != expected_mode:
        found.append(f"{path}: outputs come from {stamp.get('mode')!r} mode, expected {expected_mode!r}")
    code_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code_cells]
    if counts != list(range(1, len(code_cells) + 1)):
        found.append(f"{path}: execution counts are {counts}, expected 1..{len(code_cells)} in order")
    for i, cell in enumerate(code_cells, start=1):
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            if out.get("output_type") == "error" or any(m in text for m in TRACEBACK_MARKERS):
                found.append(f"{path}: code cell {i} has an error or traceback in its output")
                break
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", default="book", help="the mode the outputs must come from ('' for any)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebooks found")
        return 1
    all_problems = [p for path in paths for p in problems(path, args.mode or None)]
    for problem in all_problems:
        print(problem)
    print(f"check_outputs: {len(paths) - len({p.split(':')[0] for p in all_problems})} of {len(paths)} notebooks OK")
    return 1 if all_problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
