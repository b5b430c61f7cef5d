"""Checkers of helpers.checks.growing, chapters 12 and 13: the solution passes, typical mistakes fail."""

import keras
import numpy as np

from helpers import checks

from .conftest import fails, passes


# --------------------------------------------------------------------------- chapter 12
def he_squares(gain, relu=True):
    from helpers import layers

    h = np.random.default_rng(0).normal(size=(1_000, 256)).astype("float32")
    squares = []
    for _ in range(10):
        layer = layers.EqualizedDense(256, gain=gain)
        h = layer(h)
        h = keras.ops.relu(h) if relu else h
        squares.append(float(keras.ops.mean(h**2)))
    return layer.scale, squares


def test_he_scale():
    keras.utils.set_random_seed(0)
    scale, squares = he_squares(np.sqrt(256.0))
    result = passes(checks.check_he_scale(scale, squares))
    assert "n_in / 2 = 128" in result.message
    fails(checks.check_he_scale(*he_squares(256.0)), "needs gain = sqrt(256) = 16")
    he_scale, he = he_squares(np.sqrt(2.0))
    fails(checks.check_he_scale(he_scale, he), "He constant")
    fails(checks.check_he_scale(scale, he), "like the He run's")
    fails(checks.check_he_scale(*he_squares(np.sqrt(256.0), relu=False)), "leave out the ReLU")


def test_scale_invariance():
    passes(checks.check_scale_invariance(2.44e-06))
    assert "exactly zero" in passes(checks.check_scale_invariance(0.0)).message
    fails(checks.check_scale_invariance(0.41), "more than rounding")
    fails(checks.check_scale_invariance("0.1"), "more than rounding")


def test_mbstd_features():
    keras.utils.set_random_seed(0)
    conv = keras.layers.Conv2D(3, 3, padding="same", activation="relu")
    pool = keras.layers.AveragePooling2D(2)

    def critic_features(x):
        return pool(conv(x))

    real_batch = np.random.default_rng(0).random((16, 8, 8, 1)).astype("float32") * 2 - 1
    copies = np.repeat(real_batch[:1], 16, axis=0)
    passes(checks.check_mbstd_features(critic_features, real_batch, copies))
    fails(checks.check_mbstd_features(lambda x: x, real_batch, copies), "images themselves")
    fails(checks.check_mbstd_features(conv, real_batch, copies), "8x8 maps")
    fails(checks.check_mbstd_features(lambda x: keras.ops.reshape(critic_features(x), (16, -1)), real_batch, copies),
          "feature maps")


# --------------------------------------------------------------------------- chapter 13
def test_class_entropy():
    shares = np.array([0.5, 0.25, 0.25, 0.0, 0, 0, 0, 0, 0, 0])
    entropy = -np.sum(shares[shares > 0] * np.log2(shares[shares > 0]))
    assert "1.50 bits" in passes(checks.check_class_entropy(entropy, shares)).message
    fails(checks.check_class_entropy(entropy * np.log(2), shares), "nats")
    fails(checks.check_class_entropy(-entropy, shares), "sign is flipped")
    with np.errstate(divide="ignore", invalid="ignore"):
        fails(checks.check_class_entropy(-np.sum(shares * np.log2(shares)), shares), "0 log 0")


def test_path_change():
    rng = np.random.default_rng(0)
    images = np.cumsum(rng.normal(size=(21, 4, 6)), axis=0)  # (steps + 1, paths, pixels)
    step_change = ((images[1:] - images[:-1]) ** 2).mean(axis=-1)
    total = ((images[-1] - images[0]) ** 2).mean(axis=-1) + 1e-12
    passes(checks.check_path_change(step_change / total, images))
    fails(checks.check_path_change(step_change, images), "did not normalise")
    fails(checks.check_path_change(step_change / step_change.sum(axis=0), images), "sum of the steps")
    fails(checks.check_path_change((step_change / total).T, images), "one value per step and path")


def test_noise_restored():
    rng = np.random.default_rng(0)
    saved = [rng.random(4), rng.random(8)]
    with_noise = rng.random((16, 4, 4, 1))
    without_noise = with_noise + 0.01
    passes(checks.check_noise_restored([s.copy() for s in saved], saved, with_noise, without_noise))
    fails(checks.check_noise_restored([0 * s for s in saved], saved, with_noise, without_noise), "still zero")
    fails(checks.check_noise_restored([0 * s for s in saved], [0 * s for s in saved], with_noise, without_noise),
          "kept references")
    fails(checks.check_noise_restored(saved, saved, with_noise, with_noise), "identical")
