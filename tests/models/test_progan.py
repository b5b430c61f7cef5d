import keras
import numpy as np
import pytest

from helpers import config, losses
from helpers.models.progan import ProGAN, downsample, fit_progressive, num_stages, upsample

RNG = np.random.default_rng(0)
X = RNG.random((16, 16, 16, 1)).astype("float32")
X8 = X[:, :8, :8]  # for the 8x8 models that train: two stages (4x4, then 8x8 faded in) trace fewer, smaller steps
GROWTH = {"fade_epochs": [0, 1], "stable_epochs": [1, 1], "batch_size": 8, "name": "tiny", "verbose": 0}


def _tiny(resolution=16, **kwargs):
    config.set_seed(0)
    model = ProGAN(latent_dim=8, resolution=resolution, channels=(8, 8, 4)[:num_stages(resolution)], seed=0, **kwargs)
    model.compile()
    return model


class _StageLog(keras.callbacks.Callback):
    """What one stage's training did: alpha at each batch's start (FadeIn sets it first) and at the end of the stage,
    and the stage's toRGB kernel before and after."""

    def __init__(self, model, stage, log):
        super().__init__()
        self.gan, self.stage, self.log = model, stage, log

    def _to_rgb(self):
        return self.gan.generator.to_rgb[self.stage].kernel.numpy().copy()

    def on_train_begin(self, logs=None):
        self.log[self.stage] = {"to_rgb_before": self._to_rgb(), "alphas": []}

    def on_train_batch_begin(self, batch, logs=None):
        self.log[self.stage]["alphas"].append(float(self.gan.alpha.numpy()))

    def on_train_end(self, logs=None):  # before fit_progressive sets alpha to 1 itself
        self.log[self.stage].update(alpha_at_end=float(self.gan.alpha.numpy()), to_rgb_after=self._to_rgb())


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A tiny ProGAN grown to 8x8 by fit_progressive (fade-ins by FadeIn), once for the module's tests:
    ``(model, histories, per-stage log, checkpoint folder)``."""
    model, log = _tiny(resolution=8), {}
    directory = tmp_path_factory.mktemp("progan")
    histories = fit_progressive(model, X8, callbacks=lambda stage: [_StageLog(model, stage, log)], directory=directory,
                                **GROWTH)
    return model, histories, log, directory


@pytest.fixture(scope="module")
def wgan_gp_trained():
    """An 8x8 ProGAN with the WGAN-GP loss and an average that barely moves, trained one epoch per stage:
    ``(model, its moving average's samples before training, histories)``."""
    model = _tiny(resolution=8, loss="wgan_gp", ema_half_life=1e9, ema_ramp=None)
    start = model.generate(4, seed=2)  # at the last stage, 8x8, where training ends
    histories = []
    for stage in range(model.stages):
        model.set_stage(stage)
        histories.append(model.fit(X8, batch_size=8, epochs=1, verbose=0).history)
    return model, start, histories


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


def test_every_stage_trains_and_fade_in_raises_alpha(grown):
    _, histories, log, _ = grown  # each stage trained by fit_progressive with FadeIn
    for stage in range(2):
        assert set(histories[stage]) == {"d_loss", "g_loss", "real_score", "fake_score", "r1"}
        assert all(np.isfinite(v).all() for v in histories[stage].values())
        assert log[stage]["alpha_at_end"] == 1.0
        assert not np.array_equal(log[stage]["to_rgb_before"], log[stage]["to_rgb_after"])
    assert log[0]["alphas"] == [1.0, 1.0]  # 4x4 has nothing to fade from
    assert log[1]["alphas"] == [0.5, 1.0, 1.0, 1.0]  # two batches of fade, then two stable


def test_wgan_gp_loss_trains_every_stage_too(wgan_gp_trained):
    model, _, histories = wgan_gp_trained
    assert len(histories) == model.stages == 2
    for history in histories:
        assert set(history) == {"d_loss", "g_loss", "real_score", "fake_score", "wasserstein", "gp"}
        assert all(np.isfinite(v).all() for v in history.values())


def test_samples_come_from_the_moving_average(wgan_gp_trained):
    model, start, _ = wgan_gp_trained  # an average that barely moves, at the stage it was sampled at
    np.testing.assert_allclose(model.generate(4, seed=2), start, atol=1e-4)
    assert np.abs(model.generate(4, seed=2, ema=False) - start).max() > 1e-3


def test_drift_penalty():
    assert float(losses.drift_penalty(np.array([1.0, -3.0], "float32"), 0.1)) == pytest.approx(0.5)


def test_fit_progressive_checkpoints_each_stage_and_resumes(grown):
    model, histories, _, directory = grown
    assert [len(h["d_loss"]) for h in histories] == [1, 2]
    assert sorted(p.name for p in directory.glob("*.weights.h5")) == ["tiny_4x4.weights.h5", "tiny_8x8.weights.h5"]
    samples = model.generate(4, seed=2)
    again = _tiny(resolution=8)
    fit_progressive(again, X8, directory=directory, **GROWTH)  # loads every stage's checkpoint
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
