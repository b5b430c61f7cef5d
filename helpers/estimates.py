"""Full mode's estimated time per chapter on one Colab T4 GPU, for the set-up line and the chapters' prose.

``python tools/colab_estimate.py --write`` computes the figures (from FLOP counts of every training in a
chapter and a per-step floor; the method is in that tool's docstring) and rewrites :data:`T4_MINUTES` and
:data:`BUDGET_DIGESTS` below. A test fails when a chapter's ``full`` budget has changed since, so the table
cannot silently fall behind the budgets. None of these times has been measured on a T4.
"""

from __future__ import annotations

import hashlib
from typing import Any

# --- written by tools/colab_estimate.py --write: do not edit by hand -------------------------------------
T4_MINUTES: dict[str, tuple[int, int]] = {
    "ch00": (1, 1),
    "ch01": (4, 4),
    "ch02": (4, 4),
    "ch03": (2, 3),
    "ch04": (6, 6),
    "ch05": (3, 3),
    "ch06": (15, 19),
    "ch07": (35, 36),
    "ch08": (7, 9),
    "ch09": (26, 29),
    "ch10": (14, 34),
    "ch11": (13, 34),
    "ch12": (16, 37),
    "ch13": (17, 40),
}
BUDGET_DIGESTS: dict[str, str] = {
    "ch00": "6ba345fb2003",
    "ch01": "1acb8ff465a6",
    "ch02": "f95dee4a0d82",
    "ch03": "ae7013e3f599",
    "ch04": "8ff882f2632d",
    "ch05": "1dc8bc9e37d4",
    "ch06": "40a4e50d1cb1",
    "ch07": "19eb53b354fd",
    "ch08": "28fab74c54d8",
    "ch09": "b3bc483e36ff",
    "ch10": "beaa3bd5d0a5",
    "ch11": "f181cae683a0",
    "ch12": "5a81025e3fdf",
    "ch13": "58ef0c158507",
}
# --- end of the written part ------------------------------------------------------------------------------


def budget_digest(row: Any) -> str:
    """A short fingerprint of one chapter's ``full`` budget row."""
    text = repr(sorted((key, repr(value)) for key, value in dict(row).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def t4_minutes(chapter: str) -> tuple[int, int]:
    """(low, high) estimated minutes of ``chapter``'s full mode on one T4."""
    if chapter not in T4_MINUTES:
        raise KeyError(f"No T4 estimate for {chapter!r}; run `python tools/colab_estimate.py --write`.")
    return T4_MINUTES[chapter]


def t4_text(chapter: str) -> str:
    """The estimate as prose: ``'17 to 40'`` (minutes), or ``'4'`` when both ends agree."""
    low, high = t4_minutes(chapter)
    return str(low) if low == high else f"{low} to {high}"


def is_current(chapter: str) -> bool:
    """Whether the estimate was computed from ``chapter``'s present ``full`` budget."""
    from helpers.config import BUDGETS

    return BUDGET_DIGESTS.get(chapter) == budget_digest(BUDGETS[chapter]["full"])
