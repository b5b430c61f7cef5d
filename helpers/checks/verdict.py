"""The verdict machinery shared by every chapter's checkers: :class:`CheckResult`, the ``correct:`` and
``not yet:`` verdicts, :func:`require` for nbgrader's test cells, and small generic helpers that read answers
(numbers, arrays, predictions, histories, a model's layers and weights, whether it was trained) and compare
them, reconstruction errors included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: ``passed`` and a message for the student (also its ``repr``)."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.passed


def _correct(message: str) -> CheckResult:
    return CheckResult(True, f"correct: {message}")


def _wrong(message: str) -> CheckResult:
    return CheckResult(False, f"not yet: {message}")


def _error(what: str, err: Exception) -> CheckResult:
    return _wrong(f"{what} raised {type(err).__name__}: {err}")


def require(*results: CheckResult | None) -> None:
    """Print each verdict and raise ``AssertionError`` unless all are correct (nbgrader's test cells).

    ``None`` stands for a check that does not apply to this run (chapter 13's Fashion-MNIST-only one) and
    passes. A cell of the nbgrader edition (``make assignments``) calls it, so a wrong answer fails the cell.
    """
    failed = []
    for result in results:
        if result is None:
            print("skipped: this check does not apply to the data of this run.")
            continue
        if not isinstance(result, CheckResult):
            raise TypeError(f"require() takes the results of checks.check_* calls, not {type(result).__name__}.")
        print(result.message)
        if not result.passed:
            failed.append(result.message)
    if failed:
        raise AssertionError(" / ".join(failed))


def _numeric(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numeric."""
    try:
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _to_numpy(tensor) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(tensor), dtype=np.float64)


def _predict(model, x, batch_size: int = 1024) -> np.ndarray:
    """``model.predict(x)`` as a float64 array."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)


def _history_dict(history) -> dict:
    """A Keras ``History`` (or its ``.history`` dict) as a dict of lists."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict):
        raise TypeError(f"Pass the History that fit returns (or its .history dict), got {type(history).__name__}.")
    return history


def _as_float(value) -> float | None:
    """A single number as a float, or None when ``value`` is not one number."""
    array = _numeric(value)
    if array is None or array.size != 1:
        return None
    return float(array.reshape(()))


def _versus_mean(mse: float, baseline: float) -> str:
    """Words comparing a reconstruction error with the mean image's: 'hardly better than' or 'worse than'."""
    return "worse than" if mse > baseline else "hardly better than"


def _mean_image_mse(x) -> float:
    """The MSE of answering the mean image every time: a trained model must do much better."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.mean((x - x.mean(axis=0)) ** 2))


def _isclose(a: float, b: float, rel: float = 1e-3, abs_tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def _data_matrix(X) -> np.ndarray:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"X must be the (points, features) data matrix, got shape {array.shape}.")
    return array


def _angle_deg(cos: float) -> float:
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _weighted_layers(model) -> list:
    """Layers with parameters, in order, looking inside nested models (an autoencoder's encoder and decoder)."""
    import keras

    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_weighted_layers(layer))
        elif layer.count_params() > 0:
            layers.append(layer)
    return layers


def _bce(x: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(x * np.log(p) + (1 - x) * np.log(1 - p))))


def _err_hint(err: float, x: np.ndarray, recon: np.ndarray, what: str) -> str:
    """Why ``err`` could differ from the pixel MSE of ``recon`` against ``x``."""
    mse = float(np.mean((recon - x) ** 2))
    if _isclose(err, _bce(x, recon), rel=2e-2):
        return (f"{what} is the binary cross-entropy (the training loss, as model.evaluate reports it), not the MSE: "
                "use metrics.pixel_mse(x_eval, reconstructions)")
    if _isclose(err, math.sqrt(mse), rel=1e-3):
        return f"{what} is the root of the MSE: report metrics.pixel_mse itself"
    return f"{what} is {err:.4f}, but this model's pixel MSE on x_eval is {mse:.4f}: measure it on the first 1,000 " \
           "test images with metrics.pixel_mse"


def _weights_distance(a: list, b: list) -> float:
    """The relative distance between two lists of weight arrays."""
    a = [np.asarray(u, np.float64) for u in a]
    b = [np.asarray(v, np.float64) for v in b]
    num = sum(float(np.sum((u - v) ** 2)) for u, v in zip(a, b, strict=True))
    den = sum(float(np.sum(v**2)) for v in b)
    return math.sqrt(num / max(den, 1e-12))


def _untrained(model) -> bool:
    """True when ``model`` has no optimizer or its optimizer has taken no step: built (and set), never trained."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return True
    try:
        return int(_to_numpy(optimizer.iterations)) == 0
    except (AttributeError, TypeError, ValueError):
        return False  # an optimizer without a step count: give the model the benefit of the doubt
