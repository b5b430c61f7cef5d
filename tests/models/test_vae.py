import keras
import numpy as np
import pytest

from helpers import config
from helpers.models.vae import VAE, conv_vae, dense_vae

RNG = np.random.default_rng(0)
X = (RNG.random((64, 28, 28)) > 0.7).astype("float32")
Y = RNG.integers(0, 10, size=64)


@pytest.mark.parametrize("kl", ["analytic", "monte_carlo"])
def test_elbo_is_finite_and_improves_with_training(kl):
    config.set_seed(0)
    vae = dense_vae(latent_dim=4, hidden=(32,), kl_estimator=kl, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    vae.optimizer.build(vae.trainable_variables)  # now, not in the first trace (which would then run twice)
    before = vae.elbo(X)
    history = vae.fit(X, epochs=15, batch_size=32, verbose=0)
    after = vae.elbo(X)
    assert np.isfinite(before) and np.isfinite(after)
    assert after > before + 50  # nats per image
    assert set(history.history) >= {"loss", "reconstruction", "kl", "elbo"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_loss_is_the_negative_elbo_per_pixel():
    config.set_seed(0)
    vae = dense_vae(latent_dim=3, hidden=(16,))
    vae.compile(optimizer=keras.optimizers.Adam(0.0))
    logs = vae.evaluate(X, batch_size=64, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(-logs["elbo"] / 784, rel=1e-5)
    assert logs["elbo"] == pytest.approx(-(logs["reconstruction"] + logs["kl"]), rel=1e-5)


def test_importance_weighted_nll_is_no_worse_than_the_elbo():
    config.set_seed(0)
    vae = dense_vae(latent_dim=4, hidden=(32,), seed=1)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    vae.optimizer.build(vae.trainable_variables)  # now, not in the first trace (which would then run twice)
    vae.fit(X, epochs=5, batch_size=32, verbose=0)
    neg_elbo = -np.mean([vae.elbo(X) for _ in range(5)])
    nll = vae.importance_weighted_nll(X, k=50)
    assert np.isfinite(nll) and nll <= neg_elbo + 0.5
    with pytest.raises(ValueError, match="at least 1"):
        vae.importance_weighted_nll(X, k=0)


def test_conditional_vae_trains_on_pairs_and_decodes_per_label():
    config.set_seed(0)
    cvae = conv_vae(latent_dim=2, filters=(4, 8), num_classes=10)
    cvae.compile(optimizer=keras.optimizers.Adam(1e-3))
    cvae.optimizer.build(cvae.trainable_variables)  # now, not in the first trace (which would then run twice)
    cvae.fit(X[..., None], Y, epochs=1, batch_size=32, verbose=0)
    samples = cvae.sample(10, labels=np.arange(10))
    assert samples.shape == (10, 28, 28, 1) and 0 <= samples.min() and samples.max() <= 1
    with pytest.raises(ValueError, match="needs the labels"):
        cvae.decode(np.zeros((1, 2), dtype="float32"))
    mean, log_var = cvae.encode(X[:5, ..., None], Y[:5])
    assert mean.shape == log_var.shape == (5, 2)


def test_save_and_reload_give_identical_decodings(tmp_path):
    vae = conv_vae(latent_dim=3, filters=(4, 8))
    vae(X[:2, ..., None])
    z = RNG.normal(size=(4, 3)).astype("float32")
    path = tmp_path / "vae.weights.h5"
    vae.save_weights(path)
    again = VAE.from_config(vae.get_config())
    again(X[:2, ..., None])
    again.load_weights(path)
    np.testing.assert_allclose(again.decode(z), vae.decode(z), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kl_estimator"):
        dense_vae(kl_estimator="exact")
    with pytest.raises(ValueError, match="28x28x1"):
        conv_vae((32, 32, 3))
