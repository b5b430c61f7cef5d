"""Headline figures: print them, and glue them so the book's prose can cite them by name."""

from __future__ import annotations

import numbers

RECORDED: dict[str, object] = {}
"""Everything recorded in this Python session, by name."""


def record(name: str, value: object, fmt: str = ".4g", unit: str = "") -> None:
    """Print ``name = value`` and glue the value under ``name`` (myst-nb) for ``{glue:text}`` in prose.

    Numbers are stored as plain Python floats or ints so that the book can format them
    (``{glue:text}`name:.2f```). Outside a notebook, or without myst-nb (Colab), it only prints.
    """
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"Record names are identifiers like 'ch01_mse_ratio', got {name!r}.")
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    RECORDED[name] = value
    shown = format(value, fmt) if isinstance(value, numbers.Real) else str(value)
    print(f"{name} = {shown}{(' ' + unit) if unit else ''}")
    try:
        from IPython import get_ipython
        from myst_nb import glue
    except ImportError:
        return
    if get_ipython() is not None:
        glue(name, value, display=False)
