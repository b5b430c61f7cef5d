import json

import keras
import numpy as np
import pytest

from helpers import config, training
from helpers.models.gan import GAN, dcgan_discriminator
from helpers.models.wgan import PENALTIES, WGAN, standard_gan_like, wgan, wgan_networks

RNG = np.random.default_rng(0)
X = RNG.random((32, 28, 28, 1)).astype("float32")


def _weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def _changed(before, model):
    return [not np.array_equal(a, b.numpy()) for a, b in zip(before, model.trainable_weights, strict=True)]


def _tiny(penalty, **kwargs):
    config.set_seed(0)
    model = wgan(penalty, latent_dim=4, filters=(4, 8), seed=0, **kwargs)
    model.compile()
    return model


@pytest.mark.parametrize("penalty", PENALTIES)
def test_each_phase_changes_only_its_own_network(penalty):
    model = _tiny(penalty)
    model.build_optimizers()
    x = model.to_model_range(X[:8])
    g0, c0 = _weights(model.generator), _weights(model.discriminator)
    logs = model.discriminator_step(x)
    assert set(logs) == {"critic_loss", "penalty", "wasserstein"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    # every critic weight moves except the score's bias, which cancels in E[C(fake)] - E[C(real)]
    assert _changed(c0, model.discriminator) == [True] * (len(c0) - 1) + [False]
    assert model.discriminator.trainable_weights[-1].path.endswith("logit/bias")
    assert not any(_changed(g0, model.generator))
    c1 = _weights(model.discriminator)
    model.generator_step(8)
    assert all(_changed(g0, model.generator)) and not any(_changed(c1, model.discriminator))


@pytest.mark.parametrize("penalty", PENALTIES)
def test_fit_runs_d_steps_critic_updates_per_generator_update(penalty):
    model = _tiny(penalty, d_steps=3)
    model.build_optimizers()  # now, not in the first trace (which would then run twice)
    history = model.fit(X[:16], epochs=1, batch_size=8, verbose=0).history
    assert set(history) == {"critic_loss", "g_loss", "wasserstein", "penalty"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert int(model.d_optimizer.iterations.numpy()) == 3 * int(model.g_optimizer.iterations.numpy()) == 6
    if penalty == "clip":
        assert history["penalty"] == [0.0]
    else:
        assert history["penalty"][0] > 0


def test_weight_clipping_keeps_every_critic_weight_in_range():
    model = _tiny("clip", clip_value=0.01)
    assert isinstance(model.d_optimizer, keras.optimizers.RMSprop)
    model.fit(X[:16], epochs=1, batch_size=8, verbose=0)
    assert max(float(np.abs(w.numpy()).max()) for w in model.discriminator.trainable_weights) <= 0.01 + 1e-7


def test_default_optimizers_and_critic_normalisation():
    gp = _tiny("gp")
    assert isinstance(gp.d_optimizer, keras.optimizers.Adam)
    assert float(gp.d_optimizer.beta_1) == 0.0 and float(gp.d_optimizer.beta_2) == 0.9
    kinds = {type(layer).__name__ for layer in gp.discriminator.layers}
    assert "LayerNormalization" in kinds and "BatchNormalization" not in kinds
    clip_kinds = {type(layer).__name__ for layer in _tiny("clip").discriminator.layers}
    assert not clip_kinds & {"LayerNormalization", "BatchNormalization"}


def test_mlp_critic_has_layer_norm_for_the_penalties_only():
    config.set_seed(0)
    gp = wgan("gp", arch="mlp", latent_dim=4, hidden=(8, 16), seed=0)
    assert gp.generator.outputs[0].shape[1:] == (28, 28)
    assert "LayerNormalization" in {type(layer).__name__ for layer in gp.discriminator.layers}
    clip = wgan("clip", arch="mlp", latent_dim=4, hidden=(8, 16), seed=0)
    assert "LayerNormalization" not in {type(layer).__name__ for layer in clip.discriminator.layers}
    clip.compile()
    history = clip.fit(X[:16, ..., 0], epochs=1, batch_size=8, verbose=0).history
    assert np.isfinite(history["critic_loss"]).all()


def test_gradient_norms_on_interpolates_are_one_per_example():
    model = _tiny("gp")
    norms = model.interpolate_gradient_norms(X, n=10)
    assert norms.shape == (10,) and np.all(norms > 0)
    assert model.score(X[:5]).shape == (5,)


def test_save_and_reload_give_identical_samples_and_scores(tmp_path):
    model = _tiny("div")
    model.build_optimizers()  # now, not in the first trace (which would then run twice)
    model.fit(X[:16], epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "wgan.weights.h5"
    model.save_weights(path)
    again = WGAN.from_config(model.get_config())
    assert again.penalty == "div" and again.d_steps == 5
    again.load_weights(path)
    np.testing.assert_array_equal(again.generate(4, seed=1), model.generate(4, seed=1))
    np.testing.assert_allclose(again.score(X[:4]), model.score(X[:4]), rtol=1e-6)


def test_fit_or_load_resumes_a_wgan(tmp_path):
    model = _tiny("gp", d_steps=2)
    training.fit_or_load(model, X[:16], name="w", epochs=1, directory=tmp_path, batch_size=8, verbose=0)
    assert json.loads((tmp_path / "w.state.json").read_text())["epoch"] == 1
    fresh = _tiny("gp", d_steps=2)
    history = training.fit_or_load(fresh, X[:16], name="w", epochs=2, directory=tmp_path, batch_size=8, verbose=0)
    assert len(history["critic_loss"]) == 2
    assert int(fresh.d_optimizer.iterations.numpy()) == 2 * int(fresh.g_optimizer.iterations.numpy()) == 8


def test_bad_arguments():
    with pytest.raises(ValueError, match="penalty is one of"):
        wgan("spectral")
    with pytest.raises(ValueError, match="penalty is one of"):
        WGAN(keras.Sequential(), keras.Sequential(), 2, penalty="none")
    with pytest.raises(ValueError, match="norm is one of"):
        dcgan_discriminator(norm="instance")
    with pytest.raises(ValueError, match="arch is one of"):
        wgan("gp", arch="resnet")
    with pytest.raises(ValueError, match="unconditional"):
        wgan("gp", num_classes=10)
    with pytest.raises(ValueError, match="compile"):
        wgan("gp", filters=(2, 2)).fit(X[:8], epochs=1, batch_size=8, verbose=0)


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_standard_gan_like_uses_the_wgan_networks_and_schedule_with_the_original_loss(arch):
    kwargs = {"latent_dim": 4, "arch": arch, "filters": (4, 8), "hidden": (8, 16)}
    config.set_seed(0)
    reference = wgan("gp", seed=0, **kwargs)
    config.set_seed(0)
    model = standard_gan_like("gp", seed=0, **kwargs)
    assert isinstance(model, GAN) and not isinstance(model, WGAN)
    assert model.d_steps == 5 and model.generator_loss == "non_saturating"
    for ours, theirs in ((model.generator, reference.generator), (model.discriminator, reference.discriminator)):
        assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
        assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    model.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                  g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
    model.build_optimizers()  # now, not in the first trace (which would then run twice)
    history = model.fit(X[:16] if arch == "dcgan" else X[:16, ..., 0], epochs=1, batch_size=8, verbose=0).history
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history)
    assert int(model.d_optimizer.iterations.numpy()) == 5 * int(model.g_optimizer.iterations.numpy()) == 10


def test_wgan_networks_pick_each_papers_critic_normalisation_and_refuse_bad_names():
    _, clip_critic = wgan_networks("clip", latent_dim=4, arch="mlp", hidden=(8,))
    _, gp_critic = wgan_networks("gp", latent_dim=4, arch="mlp", hidden=(8,))
    assert not any(isinstance(layer, keras.layers.LayerNormalization) for layer in clip_critic.layers)
    assert any(isinstance(layer, keras.layers.LayerNormalization) for layer in gp_critic.layers)
    with pytest.raises(ValueError, match="penalty is one of"):
        wgan_networks("r1")
    with pytest.raises(ValueError, match="arch is one of"):
        standard_gan_like("gp", arch="resnet")
