"""Check that committed notebooks carry real, current outputs of a top-to-bottom run.

A notebook fails when it has no stamp from ``tools/execute.py``, when its code changed after the
outputs were made, when its execution counts do not run 1..n, when any output is an error or a
traceback, when a ``show_source`` output no longer matches the helpers source it shows, when its
code draws figures but the outputs hold none, or when its prose quotes another chapter's recorded
figure that has changed since.

Prose cannot glue a value from another notebook, so a chapter that quotes one writes the number as
text and marks the paragraph with a MyST comment line naming the record and its format::

    % cite ch08_fid:.2f
    Chapter 8's DCGAN reached a classifier FID of 13.35 in its book run.

The check fails when the formatted recorded value no longer appears in that markdown cell.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
import textwrap
from functools import cache
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbstamp import STAMP_KEY, code_hash, recorded_values  # noqa: E402

TRACEBACK_MARKERS = ("Traceback (most recent call last)",)
FIGURE_MARKERS = ("plt.subplots(", "plots.image_grid(", "plots.plot_")
CITE = re.compile(r"^%\s*cite\s+(?P<name>\w+)(?::(?P<spec>[^\s]+))?\s*$", re.MULTILINE)


@cache
def helpers_sources() -> frozenset[str]:
    """The dedented source of every function, class and method defined in the helpers package."""
    import helpers

    sources: set[str] = set()
    names = [m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers.")]
    for module in [helpers, *(importlib.import_module(name) for name in names)]:
        for _, obj in inspect.getmembers(module):
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            members = [obj] + [m for _, m in inspect.getmembers(obj) if inspect.isfunction(m)] if inspect.isclass(obj) \
                else [obj]
            for member in members:
                try:
                    sources.add(textwrap.dedent(inspect.getsource(member)).strip())
                except (TypeError, OSError):
                    continue
    return frozenset(sources)


def stale_sources(nb) -> list[int]:
    """Numbers of the code cells whose ``show_source`` output differs from every current helpers source."""
    stale = []
    code_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    for i, cell in enumerate(code_cells, start=1):
        if "show_source(" not in cell.source:
            continue
        shown = [o["data"]["text/plain"] for o in cell.get("outputs", [])
                 if o.get("output_type") in ("execute_result", "display_data") and "text/plain" in o.get("data", {})]
        if shown and shown[0].strip() not in helpers_sources():
            stale.append(i)
    return stale


@cache
def all_records(folder: Path) -> dict[str, object]:
    """Every value recorded by the committed notebooks of ``folder``, by name."""
    records: dict[str, object] = {}
    for path in sorted(folder.glob("*.ipynb")):
        records.update(recorded_values(path))
    return records


def stale_citations(nb, records: dict[str, object]) -> list[str]:
    """Problems with ``% cite NAME:SPEC`` lines: an unknown record, or prose that no longer quotes its value."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        prose = CITE.sub("", cell.source)
        for match in CITE.finditer(cell.source):
            name, spec = match["name"], match["spec"] or ""
            if name not in records:
                found.append(f"cites {name!r}, which no committed notebook records")
                continue
            try:
                text = format(records[name], spec)
            except (TypeError, ValueError):
                found.append(f"cites {name} with the format {spec!r}, which does not fit its value {records[name]!r}")
                continue
            if text not in prose:
                found.append(f"cites {name} = {text}, but that number is not in the paragraph; update the prose")
    return found


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
    draws = any(marker in c.source for c in code_cells for marker in FIGURE_MARKERS)
    images = any("image/png" in out.get("data", {}) for c in code_cells for out in c.get("outputs", []))
    if draws and not images:
        found.append(f"{path}: its code draws figures but no figure is in the outputs (executed with a "
                     f"non-inline matplotlib backend such as MPLBACKEND=Agg?); run `make execute NB={path}`")
    for problem in stale_citations(nb, all_records(path.resolve().parent)):
        found.append(f"{path}: {problem}")
    for i in stale_sources(nb):
        found.append(f"{path}: code cell {i} shows helpers source that has changed since; run `make execute NB={path}`")
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
