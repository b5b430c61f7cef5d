import keras
import numpy as np
import pytest

from helpers import config, training
from helpers.layers import instance_normalization
from helpers.models.cyclegan import (
    SUPPORTED_SIZES,
    UPSAMPLING,
    CycleGAN,
    ImagePool,
    cyclegan,
    patch_discriminator,
    unet_generator,
    up_block,
)

RNG = np.random.default_rng(0)


def _tiny():
    config.set_seed(0)
    model = cyclegan(16, g_filters=4, d_filters=4, d_layers=1, pool_size=8, seed=0)  # 1 layer: a smaller step to trace
    model.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    return model


def _pairs(n=8, size=16):
    import tensorflow as tf

    a, b = RNG.random((n, size, size, 3)).astype("float32"), RNG.random((n, size, size, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((a, b)).batch(4)


NETWORKS = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny CycleGAN trained one epoch by fit_or_load, once for the module's tests (one train step to trace):
    ``(model, each network's weights before, history, checkpoint folder)``."""
    model = _tiny()
    before = {k: [w.numpy().copy() for w in getattr(model, k).trainable_weights] for k in NETWORKS}
    directory = tmp_path_factory.mktemp("cyclegan")
    history = training.fit_or_load(model, _pairs(), name="cg", epochs=1, directory=directory, verbose=0)
    return model, before, history, directory


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_unet_preserves_the_shape_of_supported_sizes(size):
    net = unet_generator(size, channels=3, filters=4, max_filters=8)
    assert net.output_shape == (None, size, size, 3)
    out = keras.ops.convert_to_numpy(net(np.zeros((1, size, size, 3), "float32")))
    assert out.shape == (1, size, size, 3) and np.all(np.abs(out) <= 1)


@pytest.mark.parametrize("size", [8, 24, 48, 100, 512])
def test_unet_rejects_other_sizes_and_says_which_work(size):
    with pytest.raises(ValueError, match=r"16, 32, 64, 128, 256.*got " + str(size)):
        unet_generator(size)


@pytest.mark.parametrize("upsampling", UPSAMPLING)
def test_up_block_doubles_the_size(upsampling):
    x = keras.Input((4, 6, 3))
    y = up_block(x, 5, upsampling, name="up")
    assert tuple(y.shape) == (None, 8, 12, 5)


def test_resize_convolution_has_no_checkerboard_where_the_transposed_one_does():
    # A flat input through random weights: resize-then-convolve gives a flat output away from the border,
    # whatever the weights, because every output pixel sees the same input pixels; a stride-2 transposed
    # convolution gives each output pixel its own share of the kernel, a period-2 pattern (Odena et al. 2016).
    x = keras.Input((8, 8, 1))
    for upsampling in UPSAMPLING:
        net = keras.Model(x, up_block(x, 1, upsampling, name=upsampling))
        rng = np.random.default_rng(1)
        net.set_weights([rng.normal(size=w.shape).astype("float32") for w in net.get_weights()])
        inner = keras.ops.convert_to_numpy(net(np.ones((1, 8, 8, 1), "float32")))[0, 2:-2, 2:-2, 0]
        if upsampling == "resize":
            np.testing.assert_allclose(inner, inner[0, 0], rtol=1e-5)
        else:
            assert np.ptp(inner) > 0.1
            np.testing.assert_allclose(inner[::2, ::2], inner[0, 0], rtol=1e-5)  # a period-2 checkerboard


def test_unet_upsampling_choice_and_bad_value():
    resize = unet_generator(16, filters=4, max_filters=8)
    transpose = unet_generator(16, filters=4, max_filters=8, upsampling="transpose")
    assert any(isinstance(layer, keras.layers.UpSampling2D) for layer in resize.layers)
    assert not any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in resize.layers)
    assert any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in transpose.layers)
    with pytest.raises(ValueError, match="upsampling is one of"):
        unet_generator(16, upsampling="bilinear")


def test_instance_normalisation_normalises_each_sample_and_channel():
    x = RNG.normal(size=(3, 8, 8, 5)) * RNG.uniform(0.5, 5, size=(3, 1, 1, 5)) + RNG.normal(size=(3, 1, 1, 5)) * 4
    layer = instance_normalization()
    y = keras.ops.convert_to_numpy(layer(x.astype("float32")))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-2)
    # each image on its own: the same image gives the same output whatever else is in the batch
    alone = keras.ops.convert_to_numpy(layer(x[:1].astype("float32")))
    np.testing.assert_allclose(alone, y[:1], atol=1e-5)


def test_patch_discriminator_scores_patches():
    d = patch_discriminator(32, filters=4, n_layers=2)
    assert d.output_shape == (None, 8, 8, 1)
    with pytest.raises(ValueError, match="fewer layers"):
        patch_discriminator(16, n_layers=4)


def _tagged(first, n):
    """``n`` images, image ``k`` filled with the value ``first + k``: each is recognisable by its value."""
    return (np.arange(first, first + n, dtype="float32")[:, None, None, None] * np.ones((n, 2, 2, 1), "float32"))


def _tags(images):
    return keras.ops.convert_to_numpy(images)[:, 0, 0, 0].astype(int)


def test_image_pool_fills_first_and_then_swaps_with_the_documented_probability():
    pool = ImagePool(size=8, probability=0.5, seed=1)
    first = _tags(pool(_tagged(0, 8)))
    np.testing.assert_array_equal(first, np.arange(8))  # filling: everything comes back unchanged
    given, swapped, total = set(range(8)), 0, 0
    for step in range(200):
        batch = _tagged(100 + 4 * step, 4)
        out = _tags(pool(batch))
        fresh = set(_tags(batch))
        assert set(out) <= given | fresh  # only images the pool was given
        swapped += sum(t not in fresh for t in out)
        total += len(out)
        given |= fresh
    share = swapped / total
    assert abs(share - 0.5) < 0.05, share  # 800 coins: the standard error is about 0.018
    stored = set(_tags(pool.images))
    assert len(stored) == 8 and stored <= given


def test_image_pool_extremes_and_errors():
    never = ImagePool(size=4, probability=0.0, seed=0)
    never(_tagged(0, 4))
    np.testing.assert_array_equal(_tags(never(_tagged(10, 4))), [10, 11, 12, 13])
    always = ImagePool(size=4, probability=1.0, seed=0)
    always(_tagged(0, 4))
    assert set(_tags(always(_tagged(10, 4)))) == {0, 1, 2, 3}
    assert set(_tags(always.images)) == {10, 11, 12, 13}
    with pytest.raises(ValueError, match="larger than the image pool"):
        ImagePool(size=2)(_tagged(0, 3))
    with pytest.raises(ValueError, match="probability"):
        ImagePool(size=2, probability=1.5)


def test_train_step_updates_all_four_networks_and_logs_the_losses(trained):
    model, before, history, _ = trained
    assert set(history) == {"g_loss", "adv_loss", "cycle_loss", "identity_loss", "d_loss"}
    assert all(np.isfinite(v).all() for v in history.values())
    for key, weights in before.items():
        after = getattr(model, key).trainable_weights
        assert any(not np.array_equal(a, b.numpy()) for a, b in zip(weights, after, strict=True)), key
    assert model.identity_weight == 0.5 * model.cycle_weight == 5.0


def test_translate_round_trip_and_directions():
    model = _tiny()
    x = RNG.random((5, 16, 16, 3)).astype("float32")
    translated, back = model.round_trip(x, "ab")
    assert translated.shape == back.shape == x.shape and 0 <= translated.min() and translated.max() <= 1
    np.testing.assert_allclose(back, model.translate(translated, "ba"), atol=1e-6)
    with pytest.raises(ValueError, match="direction"):
        model.translate(x, "ac")
    with pytest.raises(ValueError, match="images_a, images_b"):
        model.train_step(x)


def test_checkpoint_round_trip_restores_networks_and_pool(trained):
    model, _, _, directory = trained
    restored = _tiny()
    training.fit_or_load(restored, _pairs(), name="cg", epochs=1, directory=directory, verbose=0)  # loads
    x = RNG.random((3, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(model.translate(x, "ba"), restored.translate(x, "ba"), atol=1e-6)
    assert np.abs(model.pool_a.images.numpy()).sum() > 0  # the pool holds fakes, which a fresh model's does not
    np.testing.assert_array_equal(model.pool_a.images.numpy(), restored.pool_a.images.numpy())


def test_config_round_trip():
    model = _tiny()
    clone = CycleGAN.from_config(model.get_config())
    assert clone.cycle_weight == 10.0 and clone.identity_weight == 5.0 and clone.pool_size == 8
    assert clone.generator_ab.count_params() == model.generator_ab.count_params()
