"""Checkers of helpers.checks.autoencoders, chapters 1 to 4: the solution passes, typical mistakes fail."""

import keras
import numpy as np
import pytest
from sklearn.decomposition import PCA

from helpers import checks
from helpers.models.autoencoders import (
    conv_autoencoder,
    dense_autoencoder,
    encoder_classifier,
    linear_autoencoder,
    recurrent_autoencoder,
)

from .conftest import fails, passes


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


def trained_one_step(model, X):
    """``model`` compiled as in the book and trained for one step on ``X``: its optimizer has taken a step."""
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    model.fit(X, X, epochs=1, batch_size=len(X), verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 1
    return model


def optimal_plane(X, centre):
    """The rows of the best plane through the origin for X (centred or not): its top two right singular vectors."""
    data = X - X.mean(axis=0) if centre else X
    return np.linalg.svd(data, full_matrices=False)[2][:2]


def bias_free(X, centre, train=True):
    """A bias-free linear autoencoder, trained a step (unless ``train`` is False) and then set to the best plane."""
    vt = optimal_plane(X, centre)
    model = linear_autoencoder(3, 2, use_bias=False)
    if train:
        trained_one_step(model, X - X.mean(axis=0) if centre else X)
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
    fails(checks.check_no_bias(linear_autoencoder(3, 2, use_bias=False), X, mse_pca), "train it on X - X.mean")
    fails(checks.check_no_bias(bias_free(X, centre=True, train=False), X, mse_pca), "has not been trained")
    compiled = bias_free(X, centre=True, train=False)
    compiled.compile(optimizer="sgd", loss="mse")  # compiled, but fit never ran: no step taken
    fails(checks.check_no_bias(compiled, X, mse_pca), "has not been trained")
    halfway = bias_free(X, centre=True)
    kernel = halfway.decoder.layers[-1].get_weights()[0]
    halfway.decoder.layers[-1].set_weights([kernel + 0.2 * np.random.default_rng(0).normal(size=kernel.shape)])
    assert "not converged yet" in passes(checks.check_no_bias(halfway, X, mse_pca)).message


def test_no_bias_refuses_every_untrained_model(plane):
    """A random plane through the origin can by chance fit the centred cloud about as well as a model in training
    (seeds 23, 25 and 33 passed as "not converged yet" before), so the check asks whether the model was trained."""
    X, pca, _ = plane
    mse_pca = float(np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2))
    for seed in range(40):
        keras.utils.set_random_seed(seed)
        fresh = linear_autoencoder(3, 2, use_bias=False)  # built, never compiled or fit (and cheap to refuse)
        fails(checks.check_no_bias(fresh, X, mse_pca), "has not been trained", "train it on X - X.mean(axis=0)")


def test_no_bias_accepts_a_trained_model_near_the_optimum(plane):
    X, pca, _ = plane
    mse_pca = float(np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2))
    vt = optimal_plane(X, centre=True)  # encoder kernel vt.T, decoder kernel vt
    model = trained_one_step(linear_autoencoder(3, 2, use_bias=False), X - X.mean(axis=0))
    rng = np.random.default_rng(1)
    model.encoder.layers[-1].set_weights([vt.T + 1e-3 * rng.normal(size=vt.T.shape)])
    model.decoder.layers[-1].set_weights([vt + 1e-3 * rng.normal(size=vt.shape)])
    result = passes(checks.check_no_bias(model, X, mse_pca))
    assert "as good as a plane through the origin gets" in result.message


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
