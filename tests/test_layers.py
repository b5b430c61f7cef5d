import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import config, layers
from helpers.layers import DenseTranspose, KLDivergenceRegularizer


def _tied_pair():
    config.set_seed(0)
    dense = keras.layers.Dense(3)
    model = keras.Sequential([keras.Input((5,)), dense, DenseTranspose(dense, activation="sigmoid")])
    return dense, model


def test_dense_transpose_uses_the_transposed_kernel():
    dense, model = _tied_pair()
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    tied = model.layers[-1]
    expected = 1 / (1 + np.exp(-(dense(x).numpy() @ dense.kernel.numpy().T + tied.bias.numpy())))
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_one_kernel_in_the_weights():
    dense, model = _tied_pair()
    kernels = [w for w in model.weights if "kernel" in w.path]
    assert len(kernels) == 1
    assert model.count_params() == 5 * 3 + 3 + 5  # kernel, Dense bias, DenseTranspose bias


def test_gradients_reach_the_tied_kernel_through_the_decoder():
    dense, model = _tied_pair()
    tied = model.layers[-1]
    code = tf.constant(np.ones((2, 3), dtype="float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tied(code))
    grad = tape.gradient(loss, dense.kernel.value)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_needs_a_built_dense_layer():
    with pytest.raises(TypeError, match="keras.layers.Dense"):
        DenseTranspose(keras.layers.Conv2D(3, 3))
    with pytest.raises(ValueError, match="Build the tied Dense layer first"):
        DenseTranspose(keras.layers.Dense(3))(np.zeros((1, 3), dtype="float32"))


def test_config_round_trip():
    dense, model = _tied_pair()
    tied = model.layers[-1]
    clone = DenseTranspose.from_config(tied.get_config())
    assert clone.dense.units == 3 and clone.activation is keras.activations.sigmoid
    assert clone(np.zeros((2, 3), dtype="float32")).shape == (2, 5)


def test_weights_save_and_load_keep_the_tie(tmp_path):
    _, model = _tied_pair()
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    path = tmp_path / "tied.weights.h5"
    model.save_weights(path)
    _, other = _tied_pair()
    other.layers[0].kernel.assign(np.zeros((5, 3), dtype="float32"))
    other.load_weights(path)
    np.testing.assert_allclose(other(x), model(x), rtol=1e-6)
    assert other.layers[-1].dense is other.layers[0]


def _kl_numpy(codings, target, weight):
    q = np.clip(codings.mean(axis=0), 1e-7, 1 - 1e-7)
    return weight * np.sum(target * np.log(target / q) + (1 - target) * np.log((1 - target) / (1 - q)))


def test_kl_regulariser_matches_the_formula():
    codings = np.random.default_rng(0).uniform(0.01, 0.99, size=(64, 20)).astype("float32")
    reg = KLDivergenceRegularizer(weight=0.3, target=0.1)
    assert float(reg(codings)) == pytest.approx(_kl_numpy(codings, 0.1, 0.3), rel=1e-4)


def test_kl_is_zero_at_the_target_and_positive_elsewhere():
    reg = KLDivergenceRegularizer(weight=1.0, target=0.1)
    assert float(reg(np.full((8, 4), 0.1, dtype="float32"))) == pytest.approx(0.0, abs=1e-6)
    assert float(reg(np.full((8, 4), 0.5, dtype="float32"))) > 0.5


def test_kl_regulariser_config_and_validation():
    reg = KLDivergenceRegularizer(0.2, 0.05)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(reg))
    assert isinstance(again, KLDivergenceRegularizer) and again.get_config() == {"weight": 0.2, "target": 0.05}
    with pytest.raises(ValueError, match="activation rate"):
        KLDivergenceRegularizer(target=1.5)


def test_kl_regulariser_adds_a_loss_to_a_layer():
    layer = keras.layers.Dense(4, activation="sigmoid", activity_regularizer=KLDivergenceRegularizer(1.0, 0.1))
    layer(np.ones((3, 2), dtype="float32"))
    assert len(layer.losses) == 1 and float(layer.losses[0]) > 0


def test_sampling_has_the_given_mean_and_variance():
    from helpers.layers import Sampling

    n = 50_000
    mean = np.tile(np.array([[1.0, -2.0]], dtype="float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[4.0, 0.25]], dtype="float32")), (n, 1))
    z = Sampling(seed=1)([mean, log_var]).numpy()
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.var(axis=0), [4.0, 0.25], rtol=0.03)


def test_sampling_is_differentiable_and_serialisable():
    from helpers.layers import Sampling

    mean = tf.Variable(np.zeros((3, 2), dtype="float32"))
    log_var = tf.Variable(np.zeros((3, 2), dtype="float32"))
    layer = Sampling(seed=2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer([mean, log_var]))
    g_mean, g_log_var = tape.gradient(loss, [mean, log_var])
    np.testing.assert_allclose(g_mean.numpy(), 1.0)
    assert g_log_var is not None
    assert Sampling.from_config(layer.get_config()).seed == 2


# ---------------------------------------------------------------------------------------------- GAN layers
def test_minibatch_discrimination_shapes_and_values():
    from helpers.layers import MinibatchDiscrimination

    config.set_seed(0)
    layer = MinibatchDiscrimination(num_kernels=6, kernel_dim=3)
    x = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
    out = layer(x).numpy()
    assert out.shape == (5, 14)
    np.testing.assert_allclose(out[:, :8], x)  # the input features pass through
    m = (x @ layer.T.numpy()).reshape(5, 6, 3)
    closeness = np.exp(-np.abs(m[:, None] - m[None]).sum(-1))
    expected = closeness.sum(1) - 1.0  # each sample's own term, exp(0) = 1, is left out
    np.testing.assert_allclose(out[:, 8:], expected, rtol=1e-5, atol=1e-6)
    same = layer(np.repeat(x[:1], 5, axis=0)).numpy()[:, 8:]
    np.testing.assert_allclose(same, 4.0, rtol=1e-6)  # identical samples: the largest value, batch - 1
    assert (out[:, 8:] < same).all()
    model = keras.Sequential([keras.Input((8,)), layer])
    assert model.output_shape == (None, 14)
    again = MinibatchDiscrimination.from_config(layer.get_config())
    assert (again.num_kernels, again.kernel_dim, again.data_init) == (6, 3, True)
    with pytest.raises(ValueError, match="flatten first"):
        MinibatchDiscrimination(2, 2)(np.zeros((2, 3, 3), dtype="float32"))


def test_minibatch_discrimination_in_groups_compares_within_each_group():
    from helpers.layers import MinibatchDiscrimination

    config.set_seed(0)
    x = np.random.default_rng(2).normal(size=(8, 6)).astype("float32")
    whole = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    grouped = MinibatchDiscrimination(num_kernels=3, kernel_dim=2, group_size=4)
    whole.build(x.shape)
    grouped.build(x.shape)
    grouped.T.assign(whole.T)
    out = grouped(x).numpy()[:, 6:]
    for first in (0, 4):  # each group on its own gives the whole-batch features of that group
        np.testing.assert_allclose(out[first:first + 4], whole(x[first:first + 4]).numpy()[:, 6:], rtol=1e-5)
    assert MinibatchDiscrimination.from_config(grouped.get_config()).group_size == 4
    with pytest.raises(ValueError, match="group_size"):
        MinibatchDiscrimination(group_size=1)


def test_minibatch_discrimination_data_init_unsaturates_the_features():
    from helpers.layers import MinibatchDiscrimination

    config.set_seed(0)
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    x = 300.0 * np.random.default_rng(1).normal(size=(16, 8)).astype("float32")  # far apart: exp(-d) is ~0
    assert np.abs(layer(x).numpy()[:, 8:]).max() < 1e-3  # saturated before the data-dependent init
    out = layer(x, training=True).numpy()[:, 8:]
    assert float(layer.initialized.numpy()) == 1.0
    d = layer.distances(x).numpy() * np.exp(layer.log_scale.numpy())  # scaled distances, (16, 16, 4)
    nearest = (d + 1e6 * np.eye(16)[:, :, None]).min(axis=1)
    np.testing.assert_allclose(nearest.mean(axis=0), 2.0, rtol=1e-4)  # mean nearest-neighbour distance 2
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)  # features start centred
    assert out.std(axis=0).min() > 1e-3  # and vary across the batch
    scale = layer.log_scale.numpy().copy()
    layer(x[::-1] * 0.5, training=True)
    np.testing.assert_array_equal(layer.log_scale.numpy(), scale)  # initialised once only


def test_minibatch_stddev_appends_the_group_std():
    from helpers.layers import MinibatchStdDev

    rng = np.random.default_rng(0)
    layer = MinibatchStdDev(group_size=4)
    x = rng.normal(size=(8, 5, 5, 3)).astype("float32")
    out = layer(x).numpy()
    assert out.shape == (8, 5, 5, 4)
    np.testing.assert_allclose(out[..., :3], x)
    groups = x.reshape(4, 2, 5, 5, 3)  # sample i is in group i mod 2
    per_group = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(out[:, 0, 0, 3], np.tile(per_group, 4), rtol=1e-5)
    assert np.ptp(out[..., 3].reshape(8, -1), axis=1).max() == 0  # one constant map per sample
    same = layer(np.repeat(x[:1], 8, axis=0)).numpy()[..., 3]
    np.testing.assert_allclose(same, 1e-4, rtol=1e-3)  # identical samples: the smallest value
    flat = layer(rng.normal(size=(6, 7)).astype("float32")).numpy()  # 6 is no multiple of 4: one group
    assert flat.shape == (6, 8) and np.ptp(flat[:, 7]) == 0 and flat[0, 7] > 0.5
    model = keras.Sequential([keras.Input((5, 5, 3)), layer])
    assert model.output_shape == (None, 5, 5, 4)
    assert model.predict(x[:6], batch_size=4, verbose=0).shape == (6, 5, 5, 4)  # a short last batch of 2
    assert MinibatchStdDev.from_config(layer.get_config()).group_size == 4
    with pytest.raises(ValueError, match="at least 2"):
        MinibatchStdDev(group_size=1)


# ------------------------------------------------------------------------------------ ProGAN / StyleGAN layers
def test_minibatch_stddev_default_group_of_four_matches_numpy():
    from helpers.layers import MinibatchStdDev

    layer = MinibatchStdDev()
    assert layer.group_size == 4  # as in the paper
    x = np.random.default_rng(3).normal(size=(12, 4, 4, 2)).astype("float32")
    out = layer(x).numpy()
    groups = x.reshape(4, 3, 4, 4, 2)  # the paper's reshape: sample i is in group i mod (N / 4)
    std = np.sqrt(((groups - groups.mean(axis=0)) ** 2).mean(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(out[..., -1], np.broadcast_to(np.tile(std, 4)[:, None, None], (12, 4, 4)), rtol=1e-5)
    np.testing.assert_array_equal(out[..., :2], x)


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    from helpers.layers import PixelNorm

    x = np.random.default_rng(0).normal(3.0, 5.0, size=(4, 6, 6, 16)).astype("float32")
    out = PixelNorm()(x).numpy()
    np.testing.assert_allclose((out ** 2).mean(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out / np.linalg.norm(out, axis=-1, keepdims=True),
                               x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)
    assert PixelNorm.from_config(PixelNorm(epsilon=1e-6).get_config()).epsilon == 1e-6


def test_equalized_dense_scales_by_the_he_constant_at_run_time():
    from helpers.layers import EqualizedDense

    config.set_seed(0)
    layer = EqualizedDense(300)
    x = np.random.default_rng(1).normal(size=(5, 200)).astype("float32")
    out = layer(x).numpy()
    kernel = layer.kernel.numpy()
    assert abs(kernel.std() - 1.0) < 0.02 and abs(kernel.mean()) < 0.02  # stored weights: unit variance
    np.testing.assert_allclose(out, x @ (kernel * np.sqrt(2 / 200)) + layer.bias.numpy(), rtol=1e-4, atol=1e-5)
    assert layer.scale == pytest.approx(np.sqrt(2 / 200))
    slow = EqualizedDense(4, lr_multiplier=0.01, bias_init=1.0)
    y = slow(x).numpy()
    assert slow.scale == pytest.approx(np.sqrt(2 / 200) * 0.01)
    np.testing.assert_allclose(y, x @ (slow.kernel.numpy() * slow.scale) + 1.0, rtol=1e-4, atol=1e-4)
    again = EqualizedDense.from_config(slow.get_config())
    assert (again.units, again.lr_multiplier, again.bias_init) == (4, 0.01, 1.0)


def test_equalized_conv_scales_by_the_he_constant_and_stays_unit_variance():
    from helpers.layers import EqualizedConv2D

    config.set_seed(0)
    layer = EqualizedConv2D(64, 3)
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 32)).astype("float32")
    out = layer(x).numpy()
    kernel = layer.kernel.numpy()
    assert kernel.shape == (3, 3, 32, 64) and abs(kernel.std() - 1.0) < 0.02
    c = float(np.sqrt(2 / (3 * 3 * 32)))
    assert layer.scale == pytest.approx(c)
    reference = keras.ops.conv(x, kernel * c, padding="same").numpy()
    np.testing.assert_allclose(out, reference + layer.bias.numpy(), rtol=1e-4, atol=1e-4)
    # an optimizer step leaves the stored weights on the unit scale while the effective step is scaled by c
    before = layer.kernel.numpy().copy()
    optimizer = keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables,
                                  strict=True))
    assert abs(layer.kernel.numpy().std() - before.std()) < 0.5
    with pytest.raises(ValueError, match="batch, height, width, channels"):
        EqualizedConv2D(3)(np.zeros((2, 5), dtype="float32"))
    assert EqualizedConv2D.from_config(layer.get_config()).kernel_size == 3


def test_adain_gives_the_styles_per_channel_mean_and_std():
    from helpers.layers import AdaIN

    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(3, 8, 8, 5)).astype("float32")
    style = rng.normal(size=(3, 4, 4, 5)).astype("float32") * rng.uniform(0.5, 4, size=(3, 1, 1, 5)).astype(
        "float32") + rng.normal(size=(3, 1, 1, 5)).astype("float32")
    out = AdaIN()([x, style]).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), style.mean(axis=(1, 2)), atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), style.std(axis=(1, 2)), rtol=1e-4)
    scale = rng.uniform(0.5, 2.0, size=(3, 5)).astype("float32")
    bias = rng.normal(size=(3, 5)).astype("float32")
    out = AdaIN()([x, scale, bias]).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), bias, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), scale, rtol=1e-4)
    with pytest.raises(ValueError, match="content, style"):
        AdaIN()(x)


def test_noise_injection_starts_at_zero_and_adds_scaled_noise():
    from helpers.layers import NoiseInjection

    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    layer = NoiseInjection(seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # zero scales: the identity
    np.testing.assert_array_equal(layer.noise_scale.numpy(), 0.0)
    layer.noise_scale.assign([1.0, 0.0, -2.0])
    noise = np.random.default_rng(1).normal(size=(2, 4, 4, 1)).astype("float32")
    out = layer(x, noise=noise).numpy()
    np.testing.assert_allclose(out, x + noise * np.array([1.0, 0.0, -2.0], dtype="float32"), rtol=1e-6)
    a, b = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(a, b)  # fresh noise on every call
    np.testing.assert_array_equal(a[..., 1], x[..., 1])
    assert NoiseInjection.from_config(layer.get_config()).seed == 1


def test_modulated_conv_matches_a_per_sample_convolution_with_modulated_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    style = rng.uniform(0.5, 2.0, size=(2, 4)).astype("float32")
    layer = layers.ModulatedConv2D(3, 3)
    out = layer([x, style]).numpy()
    kernel = layer.kernel.numpy() * layer.scale
    for n in range(2):
        weights = kernel * style[n][None, None, :, None]
        weights /= np.sqrt((weights ** 2).sum(axis=(0, 1, 2), keepdims=True) + 1e-8)
        expected = keras.ops.conv(x[n:n + 1], weights, padding="same").numpy()
        np.testing.assert_allclose(out[n:n + 1], expected, rtol=1e-4, atol=1e-5)
    plain = layers.ModulatedConv2D(3, 1, demodulate=False)
    y = plain([x, style]).numpy()
    w = plain.kernel.numpy()[0, 0] * plain.scale
    np.testing.assert_allclose(y, np.einsum("nhwi,io->nhwo", x * style[:, None, None, :], w), rtol=1e-4, atol=1e-5)


def test_demodulation_gives_unit_expected_variance_for_unit_input_whatever_the_style():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 64, 64, 16)).astype("float32")
    style = np.stack([np.full(16, 0.01), np.full(16, 50.0), rng.uniform(0.1, 10, 16)]).astype("float32")
    out = layers.ModulatedConv2D(8, 3)([x, style]).numpy()[:, 1:-1, 1:-1]  # away from the zero padding
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1.0, atol=0.1)
    loud = layers.ModulatedConv2D(8, 3, demodulate=False)([x, style]).numpy()[:, 1:-1, 1:-1]
    assert loud[1].var() > 100 * loud[0].var()  # without demodulation the style sets the scale


def test_modulated_conv_config_and_shape_errors():
    layer = layers.ModulatedConv2D(5, 3, demodulate=False)
    clone = layers.ModulatedConv2D.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.demodulate) == (5, 3, False)
    with pytest.raises(ValueError, match="features"):
        layers.ModulatedConv2D(2)([np.zeros((1, 4, 4, 3), "float32"), np.zeros((1, 2), "float32")])
    with pytest.raises(ValueError, match="positive"):
        layers.ModulatedConv2D(0)
