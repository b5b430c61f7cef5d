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
    glue_quietly(name, value)


def glue_quietly(name: str, value: object) -> None:
    """Glue ``value`` under ``name`` (myst-nb) without printing; outside a notebook or without myst-nb, nothing."""
    try:
        from IPython import get_ipython
        from myst_nb import glue
    except ImportError:
        return
    if get_ipython() is not None:
        glue(name, value, display=False)


class ClaimFailed(AssertionError):
    """A sentence of the book's prose that the run's own results contradict."""


CLAIMS: list[tuple[str, bool]] = []
"""Every claim checked in this Python session: its text and whether it held."""


def claim(text: str, holds: object) -> bool:
    """Check a sentence of the prose against the run: ``holds`` is the comparison that makes it true.

    In ``book`` and ``full`` mode a claim that does not hold stops the run with :class:`ClaimFailed`, quoting
    itself, so that no committed output contradicts its text; in ``smoke`` and ``preflight`` mode (tiny budgets,
    where results mean nothing) it is only reported. Prints one line either way and returns whether it held.
    """
    from helpers import config

    held = bool(holds)
    CLAIMS.append((text, held))
    if held:
        print(f"claim holds: {text}")
        return True
    if config.current_mode() in {"book", "full"}:
        raise ClaimFailed(f"The text says: {text!r}, and this run's results contradict it.")
    print(f"claim not checked at this budget ({config.current_mode()} mode): {text}")
    return False
