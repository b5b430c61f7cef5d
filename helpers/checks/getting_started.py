"""Checkers for the exercise of the part *Getting started*: chapter 0 (``00_setup``), the mean ink of
each Fashion-MNIST class.
"""

from __future__ import annotations

import numpy as np

from .verdict import (
    CheckResult,
    _close,
    _correct,
    _numeric,
    _wrong,
)


# --------------------------------------------------------------------------- chapter 0
def check_class_ink(ink, x_train, y_train, class_names=None) -> CheckResult:
    """ch00-ink: ``ink[c]`` must be the mean pixel value of the training images of class ``c``.

    Call: ``checks.check_class_ink(ink, fashion.x_train, fashion.y_train)``.
    """
    x_train, y_train = np.asarray(x_train), np.asarray(y_train)
    if len(x_train) != len(y_train):
        raise ValueError(f"x_train and y_train differ in length ({len(x_train)} and {len(y_train)}).")
    classes = np.unique(y_train)
    expected = np.array([x_train[y_train == c].mean() for c in classes], dtype=np.float64)
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    answer = _numeric(ink)
    if answer is None:
        return _wrong("could not read `ink` as an array of numbers.")
    answer = answer.reshape(-1) if answer.size == len(classes) else answer
    if answer.shape != expected.shape:
        return _wrong(f"`ink` should hold one number per class ({len(classes)} numbers, in class order); "
                      f"yours has shape {answer.shape}.")
    if _close(answer, expected, rtol=1e-4, atol=1e-5):
        order = ", ".join(names[c] for c in np.argsort(expected)[::-1][:3])
        return _correct(f"the mean pixel value of every class matches (most ink: {order}, ...).")
    if _close(np.sort(answer), np.sort(expected), rtol=1e-4, atol=1e-5):
        return _wrong("the values are right but not in class order: keep ink[c] for class c and sort only "
                      "when you print (np.argsort(ink)[::-1] gives the order).")
    pixels = int(np.prod(x_train.shape[1:]))
    if _close(answer, expected * pixels, rtol=1e-3, atol=1e-3):
        return _wrong(f"your values are {pixels} times too large: you summed over the pixels of each image; "
                      "take the mean over the pixels too.")
    if _close(answer, expected, rtol=0.05, atol=0.0):
        return _wrong("close, but not exact: did you use every training image of each class "
                      "(x_train[y_train == c]) and not a subset?")
    worst = int(np.argmax(np.abs(answer - expected)))
    return _wrong(f"class {names[worst]}: you have {answer[worst]:.4f}, expected {expected[worst]:.4f}. Average "
                  "all pixels of all training images of a class: x_train[y_train == c].mean().")
