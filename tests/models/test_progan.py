import keras
import numpy as np
import pytest

from helpers import config, losses
from helpers.models.progan import FadeIn, ProGAN, downsample, fit_progressive, num_stages, upsample

RNG = np.random.default_rng(0)
X = RNG.random((16, 16, 16, 1)).astype("float32")


def _tiny(**kwargs):
    config.set_seed(0)
    model = ProGAN(latent_dim=8, resolution=16, channels=(8, 8, 4), seed=0, **kwargs)
    model.compile()
    return model


def test_resolution_must_be_a_power_of_two():
    assert num_stages(4) == 1 and num_stages(32) == 4
    with pytest.raises(ValueError, match="power of two"):
        ProGAN(resolution=24)
    with pytest.raises(ValueError, match="one positive channel count per resolution"):
        ProGAN(resolution=16, channels=(8, 8))


def test_fade_in_blends_the_upsampled_old_output_with_the_new_block():
    model = _tiny()
    g = model.generator
    z = model.latent(4, seed=1)
    for stage in (1, 2):
        old_upsampled = upsample(g(z, stage=stage - 1, alpha=1.0)).numpy()
        np.testing.assert_allclose(g(z, stage=stage, alpha=0.0).numpy(), old_upsampled, rtol=1e-5, atol=1e-6)
        _, new = g.branches(z, stage)
        np.testing.assert_allclose(g(z, stage=stage, alpha=1.0).numpy(), new.numpy(), rtol=1e-5, atol=1e-6)
        half = g(z, stage=stage, alpha=0.25).numpy()
        np.testing.assert_allclose(half, 0.75 * old_upsampled + 0.25 * new.numpy(), rtol=1e-4, atol=1e-5)


def test_shapes_per_stage_and_critic_checks_its_input():
    model = _tiny()
    for stage, side in enumerate((4, 8, 16)):
        assert model.generate(3, stage=stage).shape == (3, side, side, 1)
        assert tuple(model.discriminator(np.zeros((4, side, side, 1), "float32"), stage=stage).shape) == (4, 1)
    with pytest.raises(ValueError, match=r"\(8, 8, 1\) images"):
        model.discriminator(np.zeros((4, 16, 16, 1), "float32"), stage=1)
    with pytest.raises(ValueError, match="stage is in 0..2"):
        model.set_stage(3)


def test_real_images_follow_the_same_fade():
    model = _tiny()
    model.set_stage(1, alpha=0.0)
    x8 = downsample(X * 2 - 1, 2)
    np.testing.assert_allclose(model.real_at_stage(X).numpy(), upsample(downsample(x8)).numpy(), atol=1e-6)
    model.alpha.assign(1.0)
    np.testing.assert_allclose(model.real_at_stage(X).numpy(), x8.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="trains on"):
        model.real_at_stage(np.zeros((2, 8, 8, 1), "float32"))


def test_every_stage_trains_and_fade_in_raises_alpha():
    model = _tiny()
    for stage in range(3):
        model.set_stage(stage, alpha=0.0)
        fade = FadeIn(model, fade_epochs=1 if stage else 0)
        g0 = [w.numpy().copy() for w in model.generator.to_rgb[stage].weights]
        history = model.fit(X, batch_size=8, epochs=2, verbose=0, callbacks=[fade]).history
        assert set(history) == {"d_loss", "g_loss", "real_score", "fake_score", "r1"}
        assert all(np.isfinite(v).all() for v in history.values())
        assert float(model.alpha.numpy()) == 1.0
        assert not np.array_equal(g0[0], model.generator.to_rgb[stage].kernel.numpy())
    assert fade.alphas[0] == 0.5  # first batch of two in the fade epoch


def test_wgan_gp_loss_trains_every_stage_too():
    model = _tiny(loss="wgan_gp")
    for stage in range(3):
        model.set_stage(stage)
        history = model.fit(X, batch_size=8, epochs=1, verbose=0).history
        assert set(history) == {"d_loss", "g_loss", "real_score", "fake_score", "wasserstein", "gp"}
        assert all(np.isfinite(v).all() for v in history.values())


def test_samples_come_from_the_moving_average():
    model = _tiny(ema_half_life=1e9, ema_ramp=None)  # an average that barely moves
    start = model.generate(4, seed=2)
    model.set_stage(2)
    model.fit(X, batch_size=8, epochs=2, verbose=0)
    np.testing.assert_allclose(model.generate(4, seed=2), start, atol=1e-4)
    assert np.abs(model.generate(4, seed=2, ema=False) - start).max() > 1e-3


def test_drift_penalty():
    assert float(losses.drift_penalty(np.array([1.0, -3.0], "float32"), 0.1)) == pytest.approx(0.5)


def test_fit_progressive_checkpoints_each_stage_and_resumes(tmp_path):
    model = _tiny()
    histories = fit_progressive(model, X, fade_epochs=[0, 1, 1], stable_epochs=[1, 1, 1], batch_size=8,
                                name="tiny", directory=tmp_path, verbose=0)
    assert [len(h["d_loss"]) for h in histories] == [1, 2, 2]
    assert sorted(p.name for p in tmp_path.glob("*.weights.h5")) == ["tiny_16x16.weights.h5", "tiny_4x4.weights.h5",
                                                                    "tiny_8x8.weights.h5"]
    samples = model.generate(4, seed=2)
    again = _tiny()
    fit_progressive(again, X, fade_epochs=[0, 1, 1], stable_epochs=[1, 1, 1], batch_size=8, name="tiny",
                    directory=tmp_path, verbose=0)
    np.testing.assert_allclose(again.generate(4, seed=2), samples, atol=1e-6)
    assert samples.min() >= 0 and samples.max() <= 1


def test_config_round_trip():
    model = _tiny(gp_weight=5.0, loss="wgan_gp", ema_half_life=500.0)
    clone = ProGAN.from_config(model.get_config())
    assert (clone.resolution, clone.channels, clone.gp_weight) == (16, (8, 8, 4), 5.0)
    assert (clone.loss_name, clone.ema_half_life) == ("wgan_gp", 500.0)
    assert clone.count_params() == model.count_params()
    assert isinstance(keras.saving.get_registered_object("genbook>ProGAN"), type)


def test_from_budget_follows_the_chapter_row():
    from helpers.models.progan import progan_from_budget

    row = {**config.budget("ch12", "smoke"), "loss": "wgan_gp"}
    model = progan_from_budget(row, resolution=16, seed=0)
    assert model.channels == tuple(row["channels"][:3]) and model.loss_name == "wgan_gp"
    assert model.r1_gamma == row["r1_gamma"] and model.d_optimizer is not None
