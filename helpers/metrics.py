"""Measures the chapters report."""

from __future__ import annotations

import numpy as np
from scipy.linalg import subspace_angles


def principal_angles(a: np.ndarray, b: np.ndarray, degrees: bool = True) -> np.ndarray:
    """Principal angles between the column spaces of ``a`` and ``b``, largest first.

    Both arguments are (d, k) matrices whose columns span a subspace of R^d; they need not be
    orthonormal. Zero angles mean the subspaces coincide.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"Expected two (d, k) matrices with the same d, got {a.shape} and {b.shape}.")
    angles = subspace_angles(a, b)
    return np.degrees(angles) if degrees else angles
