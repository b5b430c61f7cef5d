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


def conv_pool_stages(widths: tuple[int, ...]) -> list:
    """One 3x3 ReLU convolution ('same' padding) and one 2x2 max pooling per width: the book's small CNNs."""
    import keras

    return [layer for width in widths for layer in (keras.layers.Conv2D(width, 3, activation="relu", padding="same"),
                                                    keras.layers.MaxPooling2D(2))]


def small_cnn_classifier(num_classes: int = 10, input_shape: tuple[int, ...] = (28, 28)):
    """A small convolutional classifier for greyscale images, ``(H, W)`` or ``(H, W, 1)``.

    About 99% on MNIST and 90% on Fashion-MNIST at 28x28.
    """
    import keras

    if len(input_shape) not in (2, 3) or (len(input_shape) == 3 and input_shape[-1] != 1):
        raise ValueError(f"The classifier takes greyscale images (H, W) or (H, W, 1), got shape {input_shape}.")
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Reshape((input_shape[0], input_shape[1], 1)),
        *conv_pool_stages((32, 64)),
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


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows are samples).

    ``|mu_a - mu_b|^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2))``; with Inception features this is the FID.

    Only the trace of the matrix square root is needed, and ``C_a C_b`` has the same eigenvalues as the
    symmetric ``S C_b S`` with ``S = C_a^(1/2)``, so the trace is the sum of the square roots of those
    eigenvalues (``numpy.linalg.eigh``). Unlike ``scipy.linalg.sqrtm`` of the product, this stays exact
    and silent when the covariances are singular, as they are for features with dead ReLU units.
    """
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"Expected two (n, d) feature arrays with the same d, got {a.shape} and {b.shape}.")
    if min(len(a), len(b)) < 2:
        raise ValueError("Each feature set needs at least 2 samples to estimate a covariance.")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    eigvals, eigvecs = np.linalg.eigh(cov_a)
    sqrt_a = (eigvecs * np.sqrt(np.clip(eigvals, 0.0, None))) @ eigvecs.T
    product = sqrt_a @ cov_b @ sqrt_a
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2.0), 0.0, None)))
    return float(max(0.0, np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt))


def kernel_inception_distance(features_a: np.ndarray, features_b: np.ndarray, n_subsets: int = 10,
                              subset_size: int = 1_000, seed: int = 0) -> tuple[float, float]:
    """KID: the unbiased squared MMD with the kernel ``(x.y / d + 1)^3``, averaged over random subsets.

    Returns ``(mean, std)`` over the subsets. Unlike the Fréchet distance it is unbiased: two samples of
    one distribution give values scattered around zero.
    """
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"Expected two (n, d) feature arrays with the same d, got {a.shape} and {b.shape}.")
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise ValueError("KID needs at least 2 samples in each set.")
    d = a.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy, k_xy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        mmd = ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
               - 2 * k_xy.mean())
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def classifier_features(classifier, images: np.ndarray, layer: str = "features") -> np.ndarray:
    """The activations of ``classifier``'s penultimate ``layer`` for ``images``."""
    import keras

    extractor = keras.Model(classifier.inputs, classifier.get_layer(layer).output)
    return extractor.predict(images, batch_size=512, verbose=0)


def classifier_fid(classifier, generated: np.ndarray, real: np.ndarray, n: int | None = None,
                   seed: int = 0) -> dict[str, float]:
    """Fréchet distance on the domain classifier's features, beside the real-vs-real floor at the same n.

    ``n`` generated images are compared with ``n`` real ones; the floor compares two disjoint sets of
    ``n`` real images, so it needs ``2 n`` real images. A model is as good as real data by this measure
    when its distance reaches the floor, not zero.
    """
    n = n or len(generated)
    if len(generated) < n or len(real) < 2 * n:
        raise ValueError(f"classifier_fid with n={n} needs {n} generated and {2 * n} real images, got "
                         f"{len(generated)} and {len(real)}.")
    order = np.random.default_rng(seed).permutation(len(real))
    real_a, real_b = real[order[:n]], real[order[n:2 * n]]
    f_gen = classifier_features(classifier, generated[:n])
    f_a, f_b = classifier_features(classifier, real_a), classifier_features(classifier, real_b)
    return {"fid": frechet_distance(f_gen, f_a), "floor": frechet_distance(f_b, f_a), "n": float(n)}


def class_coverage(classifier, images: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """The share of ``images`` that ``classifier`` puts in each class (sums to 1)."""
    predicted = np.argmax(classifier.predict(images, batch_size=512, verbose=0), axis=-1)
    return np.bincount(predicted, minlength=num_classes) / len(predicted)


def mode_coverage(samples: np.ndarray, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                  threshold_std: float = 3, min_share: float = 0.02) -> tuple[int, float]:
    """How many modes of the Gaussian ring (``helpers.data.make_gaussian_ring``) a set of 2-D samples covers.

    A sample is *high quality* when it lies within ``threshold_std * std`` (Euclidean distance) of its
    nearest mode centre; a mode is *covered* when at least ``min_share`` of all samples (and at least one)
    are high-quality samples of that mode. Returns ``(modes covered, share of high-quality samples)``.

    The book's criterion is ``min_share=0.02``; ``min_share=0`` is the published one (VEEGAN, PacGAN): a
    mode counts as soon as one high-quality sample is nearest to it.
    """
    if min_share < 0:
        raise ValueError(f"min_share is a share of the samples, >= 0; got {min_share}.")
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"Expected a non-empty (n, 2) array of points, got shape {samples.shape}.")
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # (n, modes)
    nearest = np.argmin(distances, axis=1)
    good = distances[np.arange(len(samples)), nearest] <= threshold_std * std
    counts = np.bincount(nearest[good], minlength=modes)
    covered = int(np.sum(counts >= max(1.0, min_share * len(samples))))
    return covered, float(np.mean(good))


def retrieval_ranks(queries: np.ndarray, candidates: np.ndarray, group_size: int = 100, seed: int = 0) -> np.ndarray:
    """For each query ``i``, the rank of its true counterpart ``candidates[i]`` among ``group_size`` candidates.

    The candidates of query ``i`` are ``candidates[i]`` and ``group_size - 1`` others drawn at random (with
    ``seed``) from the rest; they are ranked by Euclidean distance to the query over all pixels (or feature
    values). Rank 0 means the true counterpart is the nearest. Ties count against the query: the rank is the
    number of other candidates at least as near as the true one, so a constant query gets the worst rank.
    """
    q = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    c = np.asarray(candidates, dtype=np.float64).reshape(len(candidates), -1)
    if q.shape != c.shape:
        raise ValueError(f"queries and candidates are pairs and need the same shape, got {np.shape(queries)} "
                         f"and {np.shape(candidates)}.")
    if not 2 <= group_size <= len(q):
        raise ValueError(f"group_size is between 2 and the number of pairs ({len(q)}), got {group_size}.")
    rng = np.random.default_rng(seed)
    ranks = np.empty(len(q), dtype=np.int64)
    for i in range(len(q)):
        others = rng.choice(len(q) - 1, group_size - 1, replace=False)
        others += others >= i  # skip the true counterpart
        distances = np.sum((c[others] - q[i]) ** 2, axis=1)
        ranks[i] = int(np.sum(distances <= np.sum((c[i] - q[i]) ** 2)))
    return ranks


def retrieval_top1(queries: np.ndarray, candidates: np.ndarray, group_size: int = 100, seed: int = 0) -> float:
    """Share of queries whose true counterpart is the nearest of its ``group_size`` candidates (see
    :func:`retrieval_ranks`); chance is ``1 / group_size``."""
    return float(np.mean(retrieval_ranks(queries, candidates, group_size, seed) == 0))


def style_judge_network(image_shape: tuple[int, ...], seed: int = 0):
    """:class:`StyleJudge`'s network: random flips, three 3x3 convolution and pooling stages, one logistic unit."""
    import keras

    return keras.Sequential([
        keras.Input(image_shape),
        keras.layers.RandomFlip("horizontal", seed=seed),
        *conv_pool_stages((32, 64, 128)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="style_judge")


class StyleJudge:
    """A small CNN that tells two drawing styles apart, to judge whether a translation changed the style.

    :func:`style_judge_network`, trained on images of style A (label 0) and style B (label 1), for example
    the two vendors' *training* emoji, by Adam with a cosine decay of its learning rate over the ``epochs``.
    Its flattened features keep where things are in the frame, which is part of a drawing style.

    :meth:`probability_b` gives each image's probability of style B; :meth:`share` the share of images it
    assigns to a style, and :meth:`accuracy` the mean of the two styles' shares on held-out images of
    each. Images are ``(n, H, W, C)`` arrays in [0, 1] of the training images' shape; any other shape is
    refused with a ``ValueError``.
    """

    def __init__(self, images_a: np.ndarray, images_b: np.ndarray, epochs: int = 40, seed: int = 0,
                 batch_size: int = 64) -> None:
        import keras

        images_a, images_b = np.asarray(images_a, "float32"), np.asarray(images_b, "float32")
        if images_a.ndim != 4 or images_a.shape[1:] != images_b.shape[1:]:
            raise ValueError(f"The style judge trains on two (n, H, W, C) image arrays of one shape, got "
                             f"{images_a.shape} and {images_b.shape}.")
        self.image_shape: tuple[int, ...] = tuple(images_a.shape[1:])
        keras.utils.set_random_seed(seed)
        self.model = style_judge_network(self.image_shape, seed)
        x = np.concatenate([images_a, images_b])
        steps = epochs * int(np.ceil(len(x) / batch_size))
        learning_rate = keras.optimizers.schedules.CosineDecay(1e-3, max(steps, 1))
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
        y = np.concatenate([np.zeros(len(images_a)), np.ones(len(images_b))]).astype("float32")
        order = np.random.default_rng(seed).permutation(len(x))
        self.model.fit(x[order], y[order], epochs=epochs, batch_size=batch_size, verbose=0)
        keras.utils.set_random_seed(seed)  # the same random state afterwards, however long the training

    def _checked(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, "float32")
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            expected = ", ".join(map(str, self.image_shape))
            raise ValueError(f"The style judge was trained on images of shape (n, {expected}), got {images.shape}; "
                             "resize or reshape the images to match.")
        return images

    def probability_b(self, images: np.ndarray) -> np.ndarray:
        """Each image's probability of style B, shape ``(n,)``."""
        return self.model.predict(self._checked(images), batch_size=256, verbose=0)[:, 0]

    def share(self, images: np.ndarray, style: str) -> float:
        """Share of ``images`` the judge assigns to ``style`` (``"a"`` or ``"b"``)."""
        if style not in ("a", "b"):
            raise ValueError(f"style is 'a' or 'b', got {style!r}.")
        is_b = self.probability_b(images) > 0.5
        return float(np.mean(is_b if style == "b" else ~is_b))

    def accuracy(self, images_a: np.ndarray, images_b: np.ndarray) -> float:
        """Mean of the share of ``images_a`` judged A and the share of ``images_b`` judged B."""
        return (self.share(images_a, "a") + self.share(images_b, "b")) / 2
