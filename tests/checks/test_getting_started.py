"""Checkers of helpers.checks.getting_started, chapter 0: the solution passes, typical mistakes fail."""

import numpy as np
import pytest

from helpers import checks

from .conftest import fails, passes


# --------------------------------------------------------------------------- ch00-ink
def test_class_ink():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 5)
    scale = rng.permutation(10)[y][:, None, None] + 1.0
    x = (rng.random((50, 4, 4)) * scale / 10).astype("float32")
    ink = np.array([x[y == c].mean() for c in range(10)])
    passes(checks.check_class_ink(ink, x, y))
    fails(checks.check_class_ink(np.sort(ink), x, y), "class order")
    fails(checks.check_class_ink(ink * 16, x, y), "16 times too large")
    fails(checks.check_class_ink(ink[:9], x, y), "one number per class")
    with pytest.raises(ValueError, match="differ in length"):
        checks.check_class_ink(ink, x, y[:10])
