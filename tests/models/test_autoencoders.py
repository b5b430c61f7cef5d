import keras
import numpy as np
import pytest

from helpers import config, data, metrics
from helpers.models.autoencoders import Autoencoder, linear_autoencoder


def test_linear_autoencoder_shapes_and_parameters():
    ae = linear_autoencoder(784, 30)
    assert ae.built and ae.count_params() == 784 * 30 + 30 + 30 * 784 + 784
    x = np.zeros((2, 784), dtype="float32")
    assert ae(x).shape == (2, 784)
    assert ae.encode(x).shape == (2, 30)
    assert ae.count_params() == 784 * 30 + 30 + 30 * 784 + 784
    assert all(layer.activation.__name__ == "linear" for layer in ae.encoder.layers + ae.decoder.layers)


def test_code_size_is_checked():
    with pytest.raises(ValueError, match="code_dim"):
        linear_autoencoder(3, 4)


def test_linear_autoencoder_finds_the_principal_subspace():
    config.set_seed(0)
    x = data.make_plane_cloud(300, noise=0.05, seed=1)
    ae = linear_autoencoder(3, 2)
    ae.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    ae.fit(x, x, epochs=60, batch_size=64, verbose=0)
    centred = x - x.mean(0)
    top2 = np.linalg.svd(centred, full_matrices=False)[2][:2].T
    decoder_columns = ae.decoder.layers[-1].kernel.numpy().T
    assert metrics.principal_angles(decoder_columns, top2).max() < 2.0


def test_config_round_trip_and_weights_file(tmp_path):
    ae = linear_autoencoder(6, 2)
    x = np.random.default_rng(0).random((4, 6)).astype("float32")
    y = ae(x)
    clone = Autoencoder.from_config(ae.get_config())
    clone(x)
    path = tmp_path / "ae.weights.h5"
    ae.save_weights(path)
    clone.load_weights(path)
    np.testing.assert_allclose(clone(x), y, rtol=1e-6)
    assert isinstance(keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(ae)), Autoencoder)


from helpers.layers import DenseTranspose, KLDivergenceRegularizer  # noqa: E402
from helpers.models.autoencoders import (  # noqa: E402
    conv_autoencoder,
    dense_autoencoder,
    encoder_classifier,
    recurrent_autoencoder,
    stack_autoencoders,
)

IMAGES = np.random.default_rng(0).random((3, 28, 28)).astype("float32")


@pytest.mark.parametrize("builder", [dense_autoencoder, conv_autoencoder, recurrent_autoencoder])
def test_builders_give_the_documented_shapes(builder):
    ae = builder(code_size=30)
    assert ae.encode(IMAGES).shape == (3, 30)
    out = ae(IMAGES).numpy()
    assert out.shape == (3, 28, 28) and 0.0 <= out.min() and out.max() <= 1.0


def test_tied_autoencoder_has_about_half_the_weights():
    plain, tied = dense_autoencoder(code_size=30), dense_autoencoder(code_size=30, tied=True)
    assert tied.count_params() == 784 * 100 + 100 + 100 * 30 + 30 + 100 + 784
    assert tied.count_params() < 0.55 * plain.count_params()
    assert all(isinstance(layer, DenseTranspose) for layer in tied.decoder.layers[:-1])
    assert tied(IMAGES).shape == (3, 28, 28)


def test_denoising_noise_only_in_training():
    ae = dense_autoencoder(input_noise=keras.layers.GaussianNoise(0.5))
    np.testing.assert_allclose(ae(IMAGES, training=False), ae(IMAGES, training=False))
    assert not np.allclose(ae(IMAGES, training=True), ae(IMAGES, training=False))


def test_sparse_codings_carry_the_regulariser():
    ae = dense_autoencoder(code_size=50, code_activation="sigmoid", code_regularizer=KLDivergenceRegularizer())
    ae(IMAGES)
    assert len(ae.losses) == 1


def test_greedy_stacking_shares_layers_and_checks_shapes():
    outer = dense_autoencoder((28, 28), 100, hidden=())
    inner = dense_autoencoder((100,), 30, hidden=(), output_activation="selu")
    stacked = stack_autoencoders(outer, inner)
    assert stacked.encode(IMAGES).shape == (3, 30) and stacked(IMAGES).shape == (3, 28, 28)
    assert stacked.encoder.layers[0] is outer.encoder
    with pytest.raises(ValueError, match="codings have shape"):
        stack_autoencoders(outer, dense_autoencoder((50,), 10, hidden=()))


def test_encoder_classifier_freezes_on_request():
    ae = dense_autoencoder()
    frozen = encoder_classifier(ae.encoder, trainable=False)
    assert frozen(IMAGES).shape == (3, 10)
    assert len(frozen.trainable_weights) == 2  # only the softmax layer
    ae.encoder.trainable = True
    assert len(encoder_classifier(ae.encoder).trainable_weights) == 2 + 4


def test_conv_autoencoder_rejects_other_sizes():
    with pytest.raises(ValueError, match="28x28"):
        conv_autoencoder((32, 32))
