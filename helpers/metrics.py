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


def pixel_mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error per pixel between two image batches of the same shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"Image batches differ in shape: {a.shape} versus {b.shape}.")
    return float(np.mean((a - b) ** 2))


def psnr(reference: np.ndarray, images: np.ndarray, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, from the MSE over the whole batch: ``10 log10(max^2 / MSE)``."""
    mse = pixel_mse(reference, images)
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(max_value**2 / mse))
