"""The stamp that ``execute.py`` writes into a notebook and ``check_outputs.py`` verifies."""

from __future__ import annotations

import hashlib

import nbformat

STAMP_KEY = "genbook"


def code_hash(nb: nbformat.NotebookNode) -> str:
    """A hash of the code cells' source, in order: it changes whenever code changes."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.strip().encode() + b"\n\x00")
    return digest.hexdigest()[:16]
