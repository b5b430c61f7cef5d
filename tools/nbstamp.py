"""The stamp that ``execute.py`` writes into a notebook and ``check_outputs.py`` verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import nbformat

STAMP_KEY = "genbook"


def code_hash(nb: nbformat.NotebookNode) -> str:
    """A hash of the code cells' source, in order: it changes whenever code changes."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.strip().encode() + b"\n\x00")
    return digest.hexdigest()[:16]


def recorded_values(path: Path) -> dict[str, Any]:
    """The values a notebook glued with ``helpers.report.record`` (myst-nb glue outputs)."""
    values: dict[str, Any] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            text = out.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                try:
                    values[name] = float(text) if "." in text or "e" in text.lower() else int(text)
                except ValueError:
                    values[name] = text.strip("'\"")
    return values
