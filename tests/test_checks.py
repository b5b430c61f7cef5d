"""Each checker accepts the book's solution and rejects typical mistakes with a specific message."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from sklearn.decomposition import PCA

from helpers import checks, config, losses
from helpers.models.autoencoders import (
    conv_autoencoder,
    dense_autoencoder,
    encoder_classifier,
    linear_autoencoder,
    recurrent_autoencoder,
)
from helpers.models.vae import VAE, dense_vae


def passes(result):
    assert isinstance(result, checks.CheckResult)
    assert result.passed, result.message
    assert result.message.startswith("correct")
    return result


def fails(result, *fragments):
    assert isinstance(result, checks.CheckResult)
    assert not result.passed, result.message
    assert result.message.startswith("not yet")
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result


def test_check_result_shows_its_message():
    result = checks.CheckResult(False, "not yet: normalise them")
    assert repr(result) == str(result) == "not yet: normalise them"
    assert not result and checks.CheckResult(True, "correct")


# --------------------------------------------------------------------------- ch00-ink
def test_class_ink():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 5)
    scale = rng.permutation(10)[y][:, None, None] + 1.0
    x = (rng.random((50, 4, 4)) * scale / 10).astype("float32")
    ink = np.array([x[y == c].mean() for c in range(10)])
    passes(checks.check_class_ink(ink, x, y))
    fails(checks.check_class_ink(np.sort(ink), x, y), "class order")
    fails(checks.check_class_ink(ink * 16, x, y), "16 times too large")
    fails(checks.check_class_ink(ink[:9], x, y), "one number per class")
    with pytest.raises(ValueError, match="differ in length"):
        checks.check_class_ink(ink, x, y[:10])


# --------------------------------------------------------------------------- chapter 1
@pytest.fixture(scope="module")
def plane():
    """A 3-D cloud near a plane, its PCA, and a linear autoencoder whose weights span PCA's plane."""
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(200, 2)) * [3.0, 1.0]) @ np.array([[1.0, 0.5, 0.2], [-0.3, 1.0, 0.4]])
    X = (X + rng.normal(scale=0.1, size=X.shape) + [4.0, -2.0, 5.0]).astype("float32")
    pca = PCA(n_components=2).fit(X)
    A = np.array([[1.5, 0.4], [-0.7, 0.8]])  # the autoencoder's axes are a mixture of PCA's
    components, centre = pca.components_, pca.mean_
    model = linear_autoencoder(3, 2)
    enc_kernel = components.T @ A.T
    model.encoder.layers[-1].set_weights([enc_kernel, -centre @ enc_kernel])
    model.decoder.layers[-1].set_weights([np.linalg.inv(A.T) @ components, centre])
    return X, pca, model


def test_pca_axes_accepts_the_solution_and_reports_pca(plane):
    X, pca, plane_ae = plane
    recon = plane_ae.predict(X, verbose=0)
    axes_from_ae = np.linalg.svd(recon - recon.mean(axis=0), full_matrices=False)[2][:2]
    result = passes(checks.check_pca_axes(axes_from_ae, plane_ae, X, pca))
    assert "|cos| with pca.components_: 1.0000, 1.0000" in result.message
    passes(checks.check_pca_axes(-axes_from_ae, plane_ae, X))  # signs are free


def test_pca_axes_rejects_typical_mistakes(plane):
    X, pca, plane_ae = plane
    recon = plane_ae.predict(X, verbose=0)
    columns = plane_ae.decoder.layers[-1].kernel.numpy()
    fails(checks.check_pca_axes(columns, plane_ae, X), "not unit length: normalise them")
    unit = columns / np.linalg.norm(columns, axis=1, keepdims=True)
    fails(checks.check_pca_axes(unit, plane_ae, X), "not orthogonal")
    uncentred = np.linalg.svd(recon, full_matrices=False)[2][:2]
    fails(checks.check_pca_axes(uncentred, plane_ae, X), "did you centre the reconstructions")
    right = np.linalg.svd(recon - recon.mean(axis=0), full_matrices=False)[2][:2]
    fails(checks.check_pca_axes(right[::-1], plane_ae, X), "wrong order")
    fails(checks.check_pca_axes(right.T, plane_ae, X), "transpose it")
    rotated = np.array([[np.cos(0.5), np.sin(0.5)], [-np.sin(0.5), np.cos(0.5)]]) @ right
    fails(checks.check_pca_axes(rotated, plane_ae, X), "not its principal axes")
    with pytest.raises(TypeError, match="trained Keras model"):
        checks.check_pca_axes(right, "plane_ae", X)


def make_twin(model, A, transform_bias=True, decoder=lambda A_t, kernel: np.linalg.inv(A_t) @ kernel):
    twin = linear_autoencoder(3, 2)
    enc_kernel, enc_bias = model.encoder.layers[-1].get_weights()
    dec_kernel, dec_bias = model.decoder.layers[-1].get_weights()
    twin.encoder.layers[-1].set_weights([enc_kernel @ A.T, enc_bias @ A.T if transform_bias else enc_bias])
    twin.decoder.layers[-1].set_weights([decoder(A.T, dec_kernel), dec_bias])
    return twin


def test_symmetry(plane):
    X, _, plane_ae = plane
    A = np.array([[2.0, 1.0], [-0.5, 1.5]], dtype="float32")
    passes(checks.check_symmetry(make_twin(plane_ae, A), plane_ae, X))
    fails(checks.check_symmetry(make_twin(plane_ae, np.eye(2, dtype="float32")), plane_ae, X),
          "the codes did not change: did you apply A to the encoder?")
    fails(checks.check_symmetry(make_twin(plane_ae, A, transform_bias=False), plane_ae, X),
          "left the encoder's bias unchanged")
    fails(checks.check_symmetry(make_twin(plane_ae, A, decoder=lambda A_t, k: A_t @ k), plane_ae, X),
          "not by its inverse")
    fails(checks.check_symmetry(make_twin(plane_ae, A, decoder=lambda A_t, k: np.linalg.inv(A_t.T) @ k), plane_ae, X),
          "inv(A) where inv(A.T)")
    fails(checks.check_symmetry(plane_ae, plane_ae, X), "plane_ae itself")


def bias_free(X, centre):
    """A bias-free linear autoencoder whose plane is the best one through the origin for X (centred or not)."""
    data = X - X.mean(axis=0) if centre else X
    vt = np.linalg.svd(data, full_matrices=False)[2][:2]
    model = linear_autoencoder(3, 2, use_bias=False)
    model.encoder.layers[-1].set_weights([vt.T])
    model.decoder.layers[-1].set_weights([vt])
    return model


def test_no_bias(plane):
    X, pca, plane_ae = plane
    mse_pca = float(np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2))
    result = passes(checks.check_no_bias(bias_free(X, centre=True), X, mse_pca))
    assert "1.00 x PCA's" in result.message
    fails(checks.check_no_bias(bias_free(X, centre=False), X, mse_pca), "fits the uncentred X")
    fails(checks.check_no_bias(plane_ae, X, mse_pca), "has biases", "use_bias=False")
    keras.utils.set_random_seed(0)  # an untrained model's error depends on its initial weights: fix them
    fails(checks.check_no_bias(linear_autoencoder(3, 2, use_bias=False), X, mse_pca), "train it on X - X.mean")
    halfway = bias_free(X, centre=True)
    kernel = halfway.decoder.layers[-1].get_weights()[0]
    halfway.decoder.layers[-1].set_weights([kernel + 0.2 * np.random.default_rng(0).normal(size=kernel.shape)])
    assert "not converged yet" in passes(checks.check_no_bias(halfway, X, mse_pca)).message


# --------------------------------------------------------------------------- chapter 2
def copying(model, factor=0.98):
    """Stand in for training: the model's predict returns (nearly) its input."""
    model.predict = lambda x, **kwargs: np.asarray(x) * factor
    return model


def test_deeper_autoencoder():
    x_test = np.random.default_rng(0).random((50, 28, 28)).astype("float32")
    deeper = copying(dense_autoencoder(code_size=30, hidden=(300, 100)))
    result = passes(checks.check_deeper_autoencoder(deeper, x_test, 0.0128))
    assert "538,014 parameters" in result.message and "0.01280" in result.message
    fails(checks.check_deeper_autoencoder(copying(dense_autoencoder(code_size=30, hidden=(100, 300))), x_test),
          "narrowing towards the input")
    fails(checks.check_deeper_autoencoder(copying(dense_autoencoder(code_size=20, hidden=(300, 100))), x_test),
          "code has 20 units")
    untrained = checks.check_deeper_autoencoder(dense_autoencoder(code_size=30, hidden=(300, 100)), x_test)
    assert "little or no training" in passes(untrained).message


def test_pca_projection():
    rng = np.random.default_rng(0)
    codings = (rng.normal(size=(60, 30)) * np.linspace(3, 0.1, 30) + 2.0).astype("float32")
    pca = PCA(n_components=2).fit(codings)
    projected = pca.transform(codings)
    passes(checks.check_pca_projection(projected, codings))
    passes(checks.check_pca_projection(projected * [-1, 1], codings))
    assert "whitened" in passes(checks.check_pca_projection(projected / projected.std(axis=0), codings)).message
    fails(checks.check_pca_projection(codings @ pca.components_.T, codings), "without subtracting their mean")
    fails(checks.check_pca_projection(projected[:, ::-1], codings), "columns are swapped")
    fails(checks.check_pca_projection(projected.T, codings), "transpose it")
    fails(checks.check_pca_projection(PCA(2).fit_transform(rng.normal(size=(60, 30))), codings),
          "not the PCA projection")


def test_fewer_labels():
    rng = np.random.default_rng(0)
    encoder = dense_autoencoder(input_shape=(4, 4), code_size=3, hidden=(8,)).encoder
    tuned = encoder_classifier(encoder, trainable=False)
    encoder.trainable = True
    x = rng.random((40, 4, 4)).astype("float32")
    y = np.argmax(tuned.predict(x, verbose=0), axis=-1)  # labels this classifier gets all right
    idx = rng.choice(1000, size=100, replace=False)
    result = passes(checks.check_fewer_labels(idx, tuned, 1.0, x, y, scratch_acc=0.9))
    assert "10.0 points above" in result.message
    fails(checks.check_fewer_labels(rng.choice(120, size=100), tuned, 1.0, x, y), "replace=False")
    fails(checks.check_fewer_labels(idx, tuned, 0.5, x, y), "the last train_classifier call")
    fails(checks.check_fewer_labels(idx[:50], tuned, 1.0, x, y), "you chose 50")
    encoder.trainable = False
    fails(checks.check_fewer_labels(idx, tuned, 1.0, x, y), "still frozen")


# --------------------------------------------------------------------------- ch03-params
def conv_params(k, c_in, c_out):
    return (k * k * c_in + 1) * c_out


def dense_params(d, n):
    return (d + 1) * n


def lstm_params(d, h):
    return 4 * h * (d + h + 1)


def test_param_counts():
    k = 30
    conv_ae, rnn_ae = conv_autoencoder(code_size=k), recurrent_autoencoder(code_size=k)
    conv_layers = [conv_params(3, 1, 16), conv_params(3, 16, 32), conv_params(3, 32, 64), dense_params(3 * 3 * 64, k),
                   dense_params(k, 3 * 3 * 64), conv_params(3, 64, 32), conv_params(3, 32, 16), conv_params(3, 16, 1)]
    rnn_layers = [lstm_params(28, 100), lstm_params(100, k), lstm_params(k, 100), dense_params(100, 28)]
    passes(checks.check_param_counts(conv_layers, conv_ae))
    passes(checks.check_param_counts(rnn_layers, rnn_ae))
    passes(checks.check_param_counts(sum(rnn_layers), rnn_ae))
    no_bias = list(conv_layers)
    no_bias[3] = 3 * 3 * 64 * k
    fails(checks.check_param_counts(no_bias, conv_ae), "layer 4", "forgot the biases")
    one_gate = list(rnn_layers)
    one_gate[0] //= 4
    fails(checks.check_param_counts(one_gate, rnn_ae), "four blocks")
    fails(checks.check_param_counts(conv_layers[:-1], conv_ae), "you listed 7 layers")
    with pytest.raises(TypeError, match="Keras model"):
        checks.check_param_counts(conv_layers, None)


# --------------------------------------------------------------------------- chapter 3 sweeps
def structured_images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28)).astype("float32")


def pixel_mse(a, b):
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def test_code_sweep():
    x_eval = structured_images(20)
    model = copying(conv_autoencoder(code_size=120))
    err = pixel_mse(x_eval, model.predict(x_eval))
    result = passes(checks.check_code_sweep(model, err, x_eval))
    assert "by 577 (encoder) and 576 (decoder)" in result.message
    recon = np.clip(model.predict(x_eval), 1e-7, 1 - 1e-7)
    bce = float(np.mean(-(x_eval * np.log(recon) + (1 - x_eval) * np.log(1 - recon))))
    fails(checks.check_code_sweep(model, bce, x_eval), "binary cross-entropy")
    fails(checks.check_code_sweep(copying(conv_autoencoder(code_size=30)), err, x_eval), "a code of 30 units")
    untrained = conv_autoencoder(code_size=120)
    result = passes(checks.check_code_sweep(untrained, pixel_mse(x_eval, untrained.predict(x_eval, verbose=0)), x_eval))
    assert "little or no training" in result.message


def test_column_reader():
    ramp = np.linspace(0, 1, 28, dtype="float32")
    x_eval = structured_images(6) * 0.2 + ramp[None, :, None]  # brighter towards the bottom
    model = recurrent_autoencoder(code_size=4, units=8)
    model.predict = lambda x, **kwargs: np.broadcast_to(ramp[None, None, :], np.shape(x))  # brighter to the right

    def columns(x):
        return np.transpose(x, (0, 2, 1))

    err = pixel_mse(columns(x_eval), model.predict(columns(x_eval), verbose=0))
    passes(checks.check_column_reader(columns, model, err, x_eval))
    fails(checks.check_column_reader(np.transpose, model, err, x_eval), "without axes")
    fails(checks.check_column_reader(lambda x: x, model, err, x_eval), "leaves the images as they are")
    fails(checks.check_column_reader(lambda x: np.rot90(x, axes=(1, 2)), model, err, x_eval), "rotates")
    plain = pixel_mse(x_eval, model.predict(x_eval, verbose=0))
    fails(checks.check_column_reader(columns, model, plain, x_eval), "untransposed test images")


def test_shifted_images():
    x = structured_images(5)
    shifts = np.arange(6)
    passes(checks.check_shifted_images(np.stack([np.roll(x, s, axis=2) for s in shifts]), x))
    fails(checks.check_shifted_images(np.stack([np.roll(x, s, axis=1) for s in shifts]), x), "moved the garments down")
    fails(checks.check_shifted_images(np.stack([np.roll(x, -s, axis=2) for s in shifts]), x), "to the left")
    fails(checks.check_shifted_images(np.stack([np.roll(x, s, axis=2) for s in shifts], axis=1), x),
          "put the shift first")


# --------------------------------------------------------------------------- chapter 4
def tiny_encoder():
    return dense_autoencoder(input_shape=(4, 4), code_size=3, hidden=(8,),
                             input_noise=keras.layers.GaussianNoise(0.2)).encoder


def test_pretrained_copy():
    original = tiny_encoder()
    rng = np.random.default_rng(0)

    def copy_of(model, set_weights=True, nudge=0.01, trainable=True):
        copy = keras.models.clone_model(model)
        if set_weights:
            copy.set_weights([w + nudge * rng.normal(size=w.shape) for w in model.get_weights()])
        copy.trainable = trainable
        return copy

    passes(checks.check_pretrained_copy(copy_of(original), original))
    fails(checks.check_pretrained_copy(original, original), "dae_gauss.encoder itself")
    fails(checks.check_pretrained_copy(keras.Model(original.inputs, original.outputs), original), "shares its weights")
    fails(checks.check_pretrained_copy(copy_of(original, set_weights=False), original), "fresh random weights")
    fails(checks.check_pretrained_copy(copy_of(original, trainable=False), original), "still frozen")
    fails(checks.check_pretrained_copy(copy_of(original, nudge=0.0), original), "did not change them")


def make_agreement(y_train, y_test, mistake=None):
    """The book's neighbour_agreement with the labels it reads from `fashion`, or one of its typical slips."""
    from sklearn.neighbors import NearestNeighbors

    def neighbour_agreement(train_features, query_features, k=5):
        index = NearestNeighbors(n_neighbors=k).fit(train_features)
        distances, neighbours = index.kneighbors(query_features)
        truth = y_test[:len(query_features), None]
        if mistake == "distances":
            return distances, 0.5
        if mistake == "first":
            return neighbours, float(np.mean(y_train[neighbours[:, 0]] == truth[:, 0]))
        if mistake == "train labels":
            return neighbours, float(np.mean(y_train[neighbours] == y_train[:len(query_features), None]))
        agreement = float(np.mean(y_train[neighbours] == truth))
        return neighbours, 100 * agreement if mistake == "percent" else agreement

    return neighbour_agreement


def test_neighbour_agreement():
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 10, 600), rng.integers(0, 10, 100)
    passes(checks.check_neighbour_agreement(make_agreement(y_train, y_test), y_train, y_test))
    for mistake, fragment in [("distances", "those are the distances"), ("first", "only the first neighbour"),
                              ("train labels", "instead of the queries' own labels"), ("percent", "a percentage")]:
        fails(checks.check_neighbour_agreement(make_agreement(y_train, y_test, mistake), y_train, y_test), fragment)


def sparse_images(n, side=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, side, side)) * (rng.random((n, side, side)) > 0.4)).astype("float32")


def test_noise_sweep():
    from helpers import metrics

    clean = sparse_images(200)
    rng = np.random.default_rng(7)
    levels = (0.1, 0.2, 0.3, 0.4, 0.5)
    noisy_sets = {s: (clean + rng.normal(0.0, s, size=clean.shape)).astype("float32") for s in levels}
    dae = dense_autoencoder(input_shape=(8, 8), code_size=3, hidden=(8,))
    scores = [metrics.psnr(clean, dae.predict(noisy_sets[s], verbose=0)) for s in levels]
    result = passes(checks.check_noise_sweep(noisy_sets, clean, dae, scores))
    assert "output PSNRs" in result.message
    passes(checks.check_noise_sweep(noisy_sets, clean))
    as_variance = {s: clean + rng.normal(0.0, s**2, size=clean.shape) for s in levels}
    fails(checks.check_noise_sweep(as_variance, clean), "as the variance")
    fails(checks.check_noise_sweep({s: np.clip(x, 0, 1) for s, x in noisy_sets.items()}, clean), "clipping")
    against_noisy = [metrics.psnr(noisy_sets[s], dae.predict(noisy_sets[s], verbose=0)) for s in levels]
    fails(checks.check_noise_sweep(noisy_sets, clean, dae, against_noisy), "compare them with the clean images")


def test_kl_sweep():
    from helpers.layers import KLDivergenceRegularizer

    def sparse_model(weight, settled=True):
        model = dense_autoencoder(input_shape=(4, 4), code_size=5, hidden=(8,), code_activation="sigmoid",
                                  code_regularizer=KLDivergenceRegularizer(weight, target=0.1))
        if settled:  # every unit at the target, as a strong penalty makes them
            codings = model.encoder.get_layer("codings")
            kernel = 0.1 * np.random.default_rng(1).normal(size=(8, 5))
            codings.set_weights([kernel, np.full(5, np.log(0.1 / 0.9))])
        return model

    x = np.random.default_rng(0).random((20, 4, 4)).astype("float32")
    model = sparse_model(1.0)
    result = passes(checks.check_kl_sweep(model, model.encode(x), x))
    assert "KL weight 1 with target 0.1; mean activation 0." in result.message
    fails(checks.check_kl_sweep(sparse_model(0.05), model.encode(x), x), "KL weight is 0.05")
    fails(checks.check_kl_sweep(model, model.encode(x[::-1]), x), "not this model's codings")
    untrained = sparse_model(1.0, settled=False)
    assert "little training" in passes(checks.check_kl_sweep(untrained, untrained.encode(x), x)).message
    plain = dense_autoencoder(input_shape=(4, 4), code_size=5, hidden=(8,), code_activation="sigmoid")
    fails(checks.check_kl_sweep(plain, plain.encode(x), x), "no activity penalty")


def test_cross_noise_inputs():
    clean = sparse_images(100)
    rng = np.random.default_rng(1)
    x_noisy = clean + rng.normal(0.0, 0.2, size=clean.shape)
    x_masked = clean * (rng.random(clean.shape) >= 0.5)
    inputs = {"Gaussian noise 0.2": x_noisy, "masking 0.5 (scaled)": x_masked / 0.5}
    passes(checks.check_cross_noise_inputs(inputs, clean))
    fails(checks.check_cross_noise_inputs({**inputs, "masking 0.5 (scaled)": x_masked}, clean), "is not scaled")
    fails(checks.check_cross_noise_inputs({**inputs, "Gaussian noise 0.2": clean + 0.5 * (x_noisy - clean)}, clean),
          "standard deviation 0.100")
    fails(checks.check_cross_noise_inputs({"masking": x_masked / 0.5}, clean), "two entries")


# --------------------------------------------------------------------------- chapter 5
class MySampling(keras.layers.Layer):
    """The chapter's layer."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)
        return mean + keras.ops.exp(log_var / 2) * eps


class VarianceSampling(MySampling):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + keras.ops.exp(log_var) * keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)


class NoScaleSampling(MySampling):
    def call(self, inputs):
        mean, _ = inputs
        return mean + keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)


class MeanOnlySampling(MySampling):
    def call(self, inputs):
        return inputs[0] * 1.0


class FixedSeedSampling(MySampling):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + keras.ops.exp(log_var / 2) * keras.random.normal(keras.ops.shape(mean), seed=0)


class NumpySampling(keras.layers.Layer):
    def call(self, inputs):
        mean, log_var = (np.asarray(t) for t in inputs)
        return mean + np.exp(log_var / 2) * np.random.default_rng().normal(size=mean.shape)


def test_sampling_layer():
    from helpers.layers import Sampling

    passes(checks.check_sampling_layer(MySampling))
    passes(checks.check_sampling_layer(Sampling(seed=1)))
    fails(checks.check_sampling_layer(VarianceSampling), "exp(log_var), the variance")
    fails(checks.check_sampling_layer(NoScaleSampling), "does not depend on log_var")
    fails(checks.check_sampling_layer(MeanOnlySampling), "with no noise")
    fails(checks.check_sampling_layer(FixedSeedSampling), "same noise every time")
    fails(checks.check_sampling_layer(NumpySampling), "no gradient", "reparameterisation trick")


class BetaVAE(VAE):
    """The book's solution."""

    def terms(self, data, training=False):
        out = super().terms(data, training)
        kl = 4.0 * out["kl"]
        return {"reconstruction": out["reconstruction"], "kl": kl, "elbo": -(out["reconstruction"] + kl)}


class UnweightedVAE(VAE):
    def terms(self, data, training=False):
        return dict(super().terms(data, training))


class StaleElboVAE(VAE):
    def terms(self, data, training=False):
        out = super().terms(data, training)
        return {**out, "kl": 4.0 * out["kl"]}


@pytest.fixture(scope="module")
def tiny_vae():
    config.set_seed(0)
    return dense_vae(latent_dim=3, hidden=(8,), seed=0)


def test_beta_vae(tiny_vae):
    beta_vae = BetaVAE(tiny_vae.encoder, tiny_vae.decoder, seed=0)
    passes(checks.check_beta_vae(beta_vae))
    passes(checks.check_beta_vae(BetaVAE))
    fails(checks.check_beta_vae(UnweightedVAE(tiny_vae.encoder, tiny_vae.decoder)), "kl equals the parent's")
    fails(checks.check_beta_vae(StaleElboVAE), "elbo is still the parent's")
    fails(checks.check_beta_vae(tiny_vae), "does not override terms")
    fails(checks.check_beta_vae(BetaVAE, beta=2.0), "2 times")


def test_kl_estimate():
    mu = np.array([[0.8, -1.2, 0.0, 0.3]], dtype="float32")
    lv = np.array([[-2.0, -1.0, 0.0, -3.0]], dtype="float32")
    eps = np.random.default_rng(0).normal(size=(10_000, 4))
    zs = (mu + np.exp(lv / 2) * eps).astype("float32")
    log_q = np.asarray(losses.log_normal_pdf(zs, mu, lv))
    log_p = np.asarray(losses.log_normal_pdf(zs, 0.0 * zs, 0.0 * zs))
    mc = log_q - log_p
    passes(checks.check_kl_estimate(mc, mu, lv))
    passes(checks.check_kl_estimate(mc.mean(), mu, lv))
    fails(checks.check_kl_estimate(log_q, mu, lv), "your estimate is far off", "did you subtract log p(z)?")
    fails(checks.check_kl_estimate(-mc, mu, lv), "wrong sign")
    wide = (mu + np.exp(lv) * eps).astype("float32")
    mc_wide = np.asarray(losses.log_normal_pdf(wide, mu, lv) - losses.log_normal_pdf(wide, 0.0 * wide, 0.0 * wide))
    fails(checks.check_kl_estimate(mc_wide, mu, lv), "standard deviation exp(log_var)")
    fails(checks.check_kl_estimate(mc[:100], mu, lv), "only 100 samples")
    with pytest.raises(ValueError, match="one image"):
        checks.check_kl_estimate(mc, np.zeros((2, 4)), np.zeros((2, 4)))


# --------------------------------------------------------------------------- ch06-warmup
class WarmupVAE(VAE):
    """The book's solution."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = keras.Variable(0.0, trainable=False, name="beta")

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.terms(data, training=True)
            loss = ops.mean(terms["reconstruction"] + self.beta * terms["kl"]) / 784
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        for tracker, value in zip(self.metrics, (loss, terms["reconstruction"], terms["kl"], terms["elbo"]),
                                  strict=True):
            tracker.update_state(ops.mean(value))
        return {m.name: m.result() for m in self.metrics}


class IgnoresBetaVAE(WarmupVAE):
    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.terms(data, training=True)
            loss = ops.mean(terms["reconstruction"] + terms["kl"]) / 784
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._update(loss, terms)


class TrainableBetaVAE(WarmupVAE):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = keras.Variable(0.0, name="beta")


def test_warmup_vae(tiny_vae):
    passes(checks.check_warmup_vae(WarmupVAE))
    passes(checks.check_warmup_vae(WarmupVAE(tiny_vae.encoder, tiny_vae.decoder)))
    fails(checks.check_warmup_vae(IgnoresBetaVAE), "ignores beta")
    fails(checks.check_warmup_vae(TrainableBetaVAE), "trainable=False")
    fails(checks.check_warmup_vae(VAE), "does not override train_step")


# --------------------------------------------------------------------------- chapter 6, other exercises
def test_analytic_run(tiny_vae):
    history = {"val_elbo": [-208.0, -168.8, -132.8]}
    passes(checks.check_analytic_run(tiny_vae, history, 3))
    sampled = dense_vae(latent_dim=3, hidden=(8,), kl_estimator="monte_carlo", seed=0)
    fails(checks.check_analytic_run(sampled, history, 3), "kl_estimator='monte_carlo'")
    fails(checks.check_analytic_run(tiny_vae, {"elbo": [-200.0, -150.0, -120.0]}, 3), "validation_data")
    fails(checks.check_analytic_run(tiny_vae, history, 5), "the history has 3 epochs")


def test_class_diversity():
    from scipy.spatial.distance import pdist, squareform

    rng = np.random.default_rng(0)
    asked = np.repeat(np.arange(4), 10)
    drawn = rng.random((40, 5, 5))
    flat = drawn.reshape(len(drawn), -1)
    diversity = np.mean([pdist(flat[asked == d]).mean() for d in range(4)])
    passes(checks.check_class_diversity(diversity, drawn, asked))
    fails(checks.check_class_diversity(np.mean([pdist(flat[asked == d], "sqeuclidean").mean() for d in range(4)]),
                                       drawn, asked), "squared distances")
    fails(checks.check_class_diversity(pdist(flat).mean(), drawn, asked), "across classes")
    fails(checks.check_class_diversity(np.mean([squareform(pdist(flat[asked == d])).mean() for d in range(4)]),
                                       drawn, asked), "zero distance to itself")
    fails(checks.check_class_diversity([pdist(flat[asked == d]).mean() for d in range(4)], drawn, asked),
          "one value per class")


def test_label_swap():
    cvae = dense_vae(input_shape=(4, 4), latent_dim=2, hidden=(8,), num_classes=10, seed=0)
    rng = np.random.default_rng(0)
    sources, labels = (rng.random((6, 4, 4)) > 0.5).astype("float32"), np.arange(6)
    means, _ = cvae.encode(sources, labels)
    swapped = cvae.decode(np.repeat(means, 10, axis=0), np.tile(np.arange(10), 6)).reshape(6, 10, 4, 4)
    passes(checks.check_label_swap(swapped, cvae, sources, labels))
    label_first = cvae.decode(np.tile(means, (10, 1)), np.repeat(np.arange(10), 6))
    fails(checks.check_label_swap(label_first, cvae, sources, labels), "ordered label by label")
    mixed = cvae.decode(np.repeat(means, 10, axis=0), np.repeat(np.arange(10), 6))
    fails(checks.check_label_swap(mixed, cvae, sources, labels), "paired wrongly")
    zero_means, _ = cvae.encode(sources, np.zeros(6, dtype=int))
    as_zero = cvae.decode(np.repeat(zero_means, 10, axis=0), np.tile(np.arange(10), 6))
    fails(checks.check_label_swap(as_zero, cvae, sources, labels), "with label 0")


# --------------------------------------------------------------------------- chapter 7
def test_optimal_discriminator():
    passes(checks.check_optimal_discriminator(-0.974, 0.469))
    passes(checks.check_optimal_discriminator(-1.0, 0.5, d_star=lambda x: 1 / (1 + np.exp(-(0.5 - x)))))
    fails(checks.check_optimal_discriminator(0.97, -0.47), "labels are swapped")
    fails(checks.check_optimal_discriminator(-0.97, -0.47), "the optimum is +1/2")
    fails(checks.check_optimal_discriminator(-0.4, 0.2), "Train longer")
    fails(checks.check_optimal_discriminator(-1.0, 0.5, d_star=lambda x: 1 / (1 + np.exp(-(x - 0.5)))),
          "sigmoid(x - 1/2)")


def test_saturating_gan():
    from helpers import data
    from helpers.models.gan import mlp_gan

    def ring(steps=0, **kwargs):
        gan = mlp_gan(latent_dim=2, image_shape=(2,), hidden=(4,), output_activation="linear", **kwargs)
        gan.compile()
        points = data.make_gaussian_ring(64)
        history = gan.fit(data.to_tf_dataset(points, batch_size=16, repeat=True), epochs=1, steps_per_epoch=steps,
                          verbose=0) if steps else None
        return gan, history

    gan, history = ring(3, generator_loss="saturating")
    result = passes(checks.check_saturating_gan(gan, history, 3))
    assert f"{history.history['d_fake'][-1]:.3f}" in result.message
    fails(checks.check_saturating_gan(gan, history, 5), "took 3 steps")
    vanilla, vanilla_history = ring(3)
    fails(checks.check_saturating_gan(vanilla, vanilla_history, 3), "generator_loss='non_saturating'")
    fails(checks.check_saturating_gan(ring(generator_loss="saturating")[0], {"d_fake": [0.4]}, 3), "took 0 steps")
    fails(checks.check_saturating_gan(gan, {"d_loss": [1.3, 1.2]}, 3), "no d_fake")
    fails(checks.check_saturating_gan(gan, {"d_fake": [1.5]}, 3), "probability")


def test_kid():
    passes(checks.check_kid((0.6163, 0.0350), (-0.0110, 0.0053)))
    fails(checks.check_kid((-0.0110, 0.0053), (0.6163, 0.0350)), "swapped")
    fails(checks.check_kid((0.6163, 0.0350), (-0.25, 0.01)), "overlap")
    fails(checks.check_kid((0.01, 0.01), (-0.0110, 0.0053)), "not clearly above")
    fails(checks.check_kid(0.6163, (-0.0110, 0.0053)), "(mean, std) pairs")


# --------------------------------------------------------------------------- chapter 8
def test_label_blend():
    first, second = 1, 8
    t = np.linspace(0, 1, 8, dtype="float32")[:, None]
    codes = (1 - t) * np.eye(10, dtype="float32")[first] + t * np.eye(10, dtype="float32")[second]
    passes(checks.check_label_blend(codes, first, second))
    fails(checks.check_label_blend(codes[::-1], first, second), "from class 8 to class 1")
    fails(checks.check_label_blend((1 - t[:, 0]) * first + t[:, 0] * second, first, second), "not class numbers")
    fails(checks.check_label_blend(t * np.eye(10)[second], first, second), "sums to 1")


def make_nearest(mistake=None):
    def nearest(images, pool):
        flat_pool = pool.reshape(len(pool), -1)
        flat = images.reshape(len(images), -1)
        d2 = (flat**2).sum(1)[:, None] - 2 * flat @ flat_pool.T + (flat_pool**2).sum(1)[None, :]
        idx = np.argmax(d2, axis=1) if mistake == "argmax" else np.argmin(d2, axis=1)
        best = np.maximum(d2[np.arange(len(images)), idx], 0)
        if mistake == "squared":
            return idx, best
        if mistake == "rms":
            return idx, np.sqrt(best / flat.shape[1])
        return idx, np.sqrt(best)

    return nearest


def test_nearest():
    passes(checks.check_nearest(make_nearest()))
    fails(checks.check_nearest(make_nearest("squared")), "distances are squared")
    fails(checks.check_nearest(make_nearest("argmax")), "farthest")
    fails(checks.check_nearest(make_nearest("rms")), "root mean squares")


def test_darkness_direction():
    rng = np.random.default_rng(0)
    pullover_z, darkness = rng.normal(size=(50, 4)), rng.random(50)
    order = np.argsort(darkness)
    direction = pullover_z[order[-3:]].mean(0) - pullover_z[order[:3]].mean(0)
    passes(checks.check_darkness_direction(direction, pullover_z, darkness))
    fails(checks.check_darkness_direction(-direction, pullover_z, darkness), "from dark to pale")
    fails(checks.check_darkness_direction(3 * direction, pullover_z, darkness), "summed")
    five = pullover_z[order[-5:]].mean(0) - pullover_z[order[:5]].mean(0)
    fails(checks.check_darkness_direction(five, pullover_z, darkness), "the 5 darkest")


# --------------------------------------------------------------------------- chapter 9
def make_one_sided(mistake=None):
    def one_sided_penalty(critic, real, fake, weight=10.0):
        x_hat, _ = losses.random_interpolates(real, fake, seed=0)
        where = {"fakes": fake, "reals": real}.get(mistake, x_hat)
        norms = losses.input_gradient_norms(critic, where)
        if mistake == "two-sided":
            return weight * ops.mean((norms - 1.0) ** 2)
        if mistake == "wrong side":
            return weight * ops.mean(ops.maximum(1.0 - norms, 0.0) ** 2)
        if mistake == "no square":
            return weight * ops.mean(ops.maximum(norms - 1.0, 0.0))
        if mistake == "mean first":
            return weight * ops.maximum(ops.mean(norms) - 1.0, 0.0) ** 2
        return weight * ops.mean(ops.maximum(norms - 1.0, 0.0) ** 2)

    return one_sided_penalty


def test_one_sided_penalty():
    result = passes(checks.check_one_sided_penalty(make_one_sided()))
    assert "0.000 and 40.000" in result.message
    for mistake, fragment in [("two-sided", "two-sided penalty"), ("wrong side", "the wrong side"),
                              ("no square", "square the excess"), ("fakes", "at the fake samples"),
                              ("reals", "at the real samples"), ("mean first", "averaged the norms")]:
        fails(checks.check_one_sided_penalty(make_one_sided(mistake)), fragment)


def test_critic_estimate():
    from scipy import stats

    rng = np.random.default_rng(1)
    p_1d, q_1d = rng.normal(0.0, 1.0, (5_000, 1)), rng.normal(2.0, 0.5, (5_000, 1))
    exact = stats.wasserstein_distance(p_1d[:, 0], q_1d[:, 0])
    result = passes(checks.check_critic_estimate(1.08 * exact, p_1d, q_1d, critic=lambda x: -np.asarray(x)[:, 0]))
    assert "slope averages 1.00" in result.message
    fails(checks.check_critic_estimate(-exact, p_1d, q_1d), "sign is flipped")
    fails(checks.check_critic_estimate(2 * exact, p_1d, q_1d), "gradient penalty")
    fails(checks.check_critic_estimate(0.3 * exact, p_1d, q_1d), "too small")
    fails(checks.check_critic_estimate(0.3 * exact, p_1d, q_1d, steps=400), "too small")
    assert "only 5 steps" in passes(checks.check_critic_estimate(0.3 * exact, p_1d, q_1d, steps=5)).message


def test_conv_wgan():
    from helpers.models.wgan import wgan

    subset = np.random.default_rng(0).random((20, 28, 28, 1)).astype("float32")
    passes(checks.check_conv_wgan(wgan("gp", latent_dim=8, arch="dcgan", filters=(4, 8)), subset, 20))
    fails(checks.check_conv_wgan(wgan("gp", latent_dim=8, arch="mlp", hidden=(8, 8)), subset, 20), "no convolutions")
    batch_norm = wgan("gp", latent_dim=8, arch="dcgan", filters=(4, 8), critic_norm="batch")
    fails(checks.check_conv_wgan(batch_norm, subset, 20), "batch normalisation")
    fails(checks.check_conv_wgan(wgan("gp", latent_dim=8, arch="dcgan", filters=(4, 8)), subset[..., 0], 20),
          "channel axis")
    fails(checks.check_conv_wgan(wgan("clip", latent_dim=8, arch="dcgan", filters=(4, 8)), subset, 20),
          "penalty='clip'")


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


def test_require_prints_verdicts_and_fails_on_a_wrong_one(capsys):
    right, wrong = checks._correct("fine"), checks._wrong("the sign is flipped")
    checks.require(right, None)
    assert capsys.readouterr().out.splitlines() == ["correct: fine",
                                                    "skipped: this check does not apply to the data of this run."]
    with pytest.raises(AssertionError, match="not yet: the sign is flipped"):
        checks.require(right, wrong)
    with pytest.raises(TypeError, match="results of checks.check_"):
        checks.require(True)
