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
