"""Pieces the model families share."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.distribute import Distributed, scale_gradients


def one_hot(labels, num_classes: int):
    """One-hot float codes of integer ``labels`` (any shape that flattens to ``(batch,)``)."""
    return ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), num_classes)


def unpack_batch(data: Any, num_classes: int | None, model: str = "model"):
    """``(images, one-hot labels or None)`` from what ``fit`` passes to ``train_step``.

    Unconditional models take images alone (or ``(images,)``, or ``(images, anything)``); conditional
    ones (``num_classes`` set) need ``(images, labels)`` pairs.
    """
    if isinstance(data, tuple | list) and len(data) == 1:
        data = data[0]
    if num_classes is None:
        x = data[0] if isinstance(data, tuple | list) else data
        return ops.convert_to_tensor(x), None
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise ValueError(f"A conditional {model} trains on (images, labels) pairs.")
    x, labels = data
    return ops.convert_to_tensor(x), one_hot(labels, num_classes)


def fixed_noise(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` noise vectors ``z ~ N(0, I)`` of size ``dim`` from a NumPy generator seeded with ``seed``."""
    return np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")


def apply_gradients(optimizer, tape, loss, variables) -> None:
    """Apply ``tape``'s gradients of ``loss`` to ``variables``, skipping variables that got none.

    Progressive models hold layers that the current stage does not use (their gradient is ``None``). Under
    ``tf.distribute`` each replica's ``loss`` is a mean over its share of the batch and the optimizer sums the
    replicas' gradients, so they are scaled to the mean over the global batch first
    (:func:`helpers.distribute.scale_gradients`; nothing changes on one device).
    """
    gradients = scale_gradients(tape.gradient(loss, variables))
    pairs = [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
    optimizer.apply_gradients(pairs)


@keras.saving.register_keras_serializable(package="genbook")
class Network(Distributed, keras.Model):
    """A functional network (``Network(inputs, outputs)``) that compiles in the session strategy's scope."""
