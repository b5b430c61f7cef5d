"""Checkers of helpers.checks.image_to_image, chapters 10 and 11: the solution passes, typical mistakes fail."""

import warnings

import keras
import numpy as np
import pytest

from helpers import checks

from .conftest import fails, passes


# --------------------------------------------------------------------------- chapter 10
def make_drift(axis=(1, 2), mistake=None):
    def colour_drift(translated, inputs):
        if mistake == "pixels":
            return float(np.mean(np.abs(translated - inputs)))
        difference = translated.mean(axis=axis) - inputs.mean(axis=axis)
        if mistake == "squared":
            return float(np.mean(difference**2))
        if mistake == "signed":
            return float(np.mean(difference))
        return float(np.mean(np.abs(difference)))

    return colour_drift


def test_colour_drift():
    passes(checks.check_colour_drift(make_drift()))
    fails(checks.check_colour_drift(make_drift(axis=(1, 2, 3))), "over the colour channels too")
    fails(checks.check_colour_drift(make_drift(axis=(0, 1, 2))), "the whole batch")
    fails(checks.check_colour_drift(make_drift(mistake="squared")), "squared the differences")
    fails(checks.check_colour_drift(make_drift(mistake="signed")), "np.abs")
    fails(checks.check_colour_drift(make_drift(mistake="pixels")), "mean absolute pixel difference")


def test_pool_share():
    from helpers.models.cyclegan import ImagePool

    pool = ImagePool(size=10, probability=0.5, seed=0)
    pool(np.arange(10, dtype="float32")[:, None, None, None] * np.ones((10, 1, 1, 1), "float32"))
    from_pool = total = 0
    for step in range(200):
        batch = np.arange(1_000 + 5 * step, 1_005 + 5 * step, dtype="float32")[:, None, None, None]
        out = keras.ops.convert_to_numpy(pool(batch)).reshape(-1).astype(int)
        fresh = set(batch.reshape(-1).astype(int))
        from_pool += sum(v not in fresh for v in out)
        total += len(out)
    passes(checks.check_pool_share(from_pool / total, total))
    fails(checks.check_pool_share(0.0, total), "no returned image came from the pool")
    fails(checks.check_pool_share(1.0, total), "is a fresh image")
    fails(checks.check_pool_share(0.5, 200), "you counted 200")
    fails(checks.check_pool_share(0.3, total), "standard errors")


def test_moment_matching():
    rng = np.random.default_rng(0)
    train_a, train_b, test_a = (rng.random((8, 4, 4, 3)) * scale for scale in (0.6, 1.0, 0.6))
    mu_a, sd_a = train_a.mean(axis=(0, 1, 2)), train_a.std(axis=(0, 1, 2))
    mu_b, sd_b = train_b.mean(axis=(0, 1, 2)), train_b.std(axis=(0, 1, 2))
    matched = np.clip(mu_b + sd_b * (test_a - mu_a) / sd_a, 0, 1)
    passes(checks.check_moment_matching(matched, train_a, train_b, test_a))
    fails(checks.check_moment_matching(mu_b + sd_b * (test_a - mu_a) / sd_a, train_a, train_b, test_a), "clip")
    grey = np.clip(train_b.mean() + train_b.std() * (test_a - train_a.mean()) / train_a.std(), 0, 1)
    fails(checks.check_moment_matching(grey, train_a, train_b, test_a), "per channel")
    swapped = np.clip(mu_a + sd_a * (test_a - mu_b) / sd_b, 0, 1)
    fails(checks.check_moment_matching(swapped, train_a, train_b, test_a), "onto A's")
    mu_t, sd_t = test_a.mean(axis=(0, 1, 2)), test_a.std(axis=(0, 1, 2))
    fails(checks.check_moment_matching(np.clip(mu_b + sd_b * (test_a - mu_t) / sd_t, 0, 1), train_a, train_b, test_a),
          "from the test images")


def test_moment_matching_accepts_statistics_summed_in_float32():
    """Chapter 10's solution sums float32 images (about 650 of 32x32x3): its statistics are off in the 4th digit."""
    rng = np.random.default_rng(1)
    train_a, train_b, test_a = (np.clip(rng.normal(0.8, 0.3, (n, 32, 32, 3)), 0, 1).astype("float32")
                                for n in (654, 654, 327))
    mu_a, sd_a = train_a.mean(axis=(0, 1, 2)), train_a.std(axis=(0, 1, 2))
    mu_b, sd_b = train_b.mean(axis=(0, 1, 2)), train_b.std(axis=(0, 1, 2))
    matched = np.clip(mu_b + sd_b * (test_a - mu_a) / sd_a, 0, 1)
    a, b = train_a.astype("float64"), train_b.astype("float64")
    exact = np.clip(b.mean((0, 1, 2)) + b.std((0, 1, 2)) * (test_a - a.mean((0, 1, 2))) / a.std((0, 1, 2)), 0, 1)
    assert not np.allclose(matched, exact, rtol=1e-4, atol=1e-4)  # the case the float32 reference is there for
    passes(checks.check_moment_matching(matched, train_a, train_b, test_a))
    blank = test_a.copy()
    blank[0] = 1.0  # an all-white test image: no warning from the per-image slip's division
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fails(checks.check_moment_matching(blank, train_a, train_b, blank), "differs")


# --------------------------------------------------------------------------- chapter 11
@pytest.fixture(scope="module")
def style_runs():
    """Short real runs of transfer_style with a two-layer extractor standing in for VGG19."""
    from helpers.models import style_transfer as st

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    first = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="first")(inputs)
    second = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="second")(first)
    extractor = keras.Model(inputs, [first, second])
    extractor.style_layers, extractor.content_layers = ("first",), ("second",)
    rng = np.random.default_rng(0)
    content, style = (rng.random((12, 12, 3)).astype("float32") for _ in range(2))

    def run(**kwargs):
        return st.transfer_style(extractor, content, style, steps=8, **kwargs)

    return {"content": content, "texture": run(content_weight=0.0, init="noise", seed=1),
            "from photo": run(content_weight=0.0), "with content": run(init="noise", seed=1),
            "with tv": run(), "without tv": run(tv_weight=0.0), "style 1": run(style_weight=1.0)}


def test_texture_synthesis(style_runs):
    content = style_runs["content"]
    passes(checks.check_texture_synthesis(style_runs["texture"], content))
    fails(checks.check_texture_synthesis(style_runs["from photo"], content), "init='noise'")
    fails(checks.check_texture_synthesis(style_runs["with content"], content), "content_weight=0.0")


def test_tv_runs(style_runs):
    passes(checks.check_tv_runs(style_runs["with tv"], style_runs["without tv"]))
    fails(checks.check_tv_runs(style_runs["without tv"], style_runs["with tv"]), "swapped")
    fails(checks.check_tv_runs(style_runs["with tv"], style_runs["with tv"]), "pass tv_weight=0.0")


def test_shallow_extractor(style_runs):
    from types import SimpleNamespace

    shallow = SimpleNamespace(style_layers=("block1_conv1", "block2_conv1"), content_layers=("block4_conv2",))
    passes(checks.check_shallow_extractor(shallow, style_runs["with tv"]))
    fails(checks.check_shallow_extractor(shallow, style_runs["style 1"]), "style weight is 1")
    as_content = SimpleNamespace(style_layers=("block1_conv1",), content_layers=("block1_conv1", "block2_conv1"))
    fails(checks.check_shallow_extractor(as_content), "among the content layers")
    five = SimpleNamespace(style_layers=("block1_conv1", "block2_conv1", "block3_conv1"),
                           content_layers=("block4_conv2",))
    fails(checks.check_shallow_extractor(five), "uses only")
