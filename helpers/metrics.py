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


def small_cnn_classifier(num_classes: int = 10, input_shape: tuple[int, ...] = (28, 28)):
    """A small convolutional classifier for 28x28 greyscale images (about 99% on MNIST, 90% on Fashion-MNIST)."""
    import keras

    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(128, activation="relu", name="features"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name="domain_classifier")


def domain_classifier(name: str, x_train: np.ndarray, y_train: np.ndarray, epochs: int = 3,
                      num_classes: int = 10, seed: int = 0, verbose: int = 0):
    """A small CNN classifier for data set ``name``, trained once and cached under the cache path.

    The cache file is ``<cache>/classifiers/<name>_<n>_<epochs>.weights.h5`` (``n`` training images), so a
    different training set or budget trains a new one. Used to judge generated images (label accuracy,
    class coverage). It reseeds the global random state with ``seed`` before returning, so that later
    cells draw the same numbers whether the classifier was trained or loaded from the cache.
    """
    import keras

    from helpers import config

    path = config.cache_dir() / "classifiers" / f"{name}_{len(x_train)}_{epochs}.weights.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    model = small_cnn_classifier(num_classes, tuple(x_train.shape[1:]))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.optimizer.build(model.trainable_variables)  # so that the saved optimizer state loads too
    loaded = False
    if path.exists():
        try:
            model.load_weights(path)
            loaded = True
        except Exception as err:  # noqa: BLE001 - a stale or corrupt cache file is retrained, with a notice
            print(f"Cached classifier {path} is unusable ({type(err).__name__}); training a new one.")
    if not loaded:
        keras.utils.set_random_seed(seed)
        model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=verbose)
        model.save_weights(path)
    keras.utils.set_random_seed(seed)  # the same random state afterwards, whether trained or loaded
    return model


def label_accuracy(classifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` that ``classifier`` assigns to the class they were generated for."""
    predicted = np.argmax(classifier.predict(images, batch_size=512, verbose=0), axis=-1)
    return float(np.mean(predicted == np.asarray(labels)))
