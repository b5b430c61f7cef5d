import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import config, losses
from helpers.models.growing import KarrasGAN, check_channels, lazy_adam, num_stages, stage_resolution


class _Toy(KarrasGAN):
    """A linear generator and a linear critic (no bias) on 3 numbers: every quantity has a closed form."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = 2
        self.generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
        self.generator_ema = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
        self.discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
        self.copy_to_ema()

    def generator_networks(self):
        return [self.generator]

    def ema_networks(self):
        return [self.generator_ema]


def _toy(**kwargs):
    config.set_seed(0)
    model = _Toy(seed=0, **kwargs)
    model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    return model


def test_resolution_helpers():
    assert [stage_resolution(k) for k in range(4)] == [4, 8, 16, 32] and num_stages(64) == 5
    assert check_channels([8, 4], 2) == (8, 4)
    with pytest.raises(ValueError, match="one positive channel count"):
        check_channels([8, 0], 2)


def test_r1_of_a_linear_critic_is_the_closed_form():
    w = np.array([[1.0], [-2.0], [0.5]], "float32")
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].kernel.assign(w)
    real = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    # grad_x (w . x) = w for every example: gamma / 2 * ||w||^2
    assert float(losses.r1_penalty(critic, real, gamma=0.2)) == pytest.approx(0.1 * 5.25, rel=1e-6)


def test_lazy_r1_step_is_scaled_by_the_interval_and_runs_only_when_due():
    real = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    fake = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    after = {}
    for steps_done in (0, 1):  # 0: the penalty is due (0 mod 4); 1: it is not
        model = _toy(r1_gamma=0.5, r1_interval=4)
        model.critic_steps.assign(float(steps_done))
        model.critic_step(model.discriminator, tf.constant(real), tf.constant(fake))
        after[steps_done] = model.discriminator.layers[0].kernel.numpy()
        assert float(model.critic_steps.numpy()) == steps_done + 1
    # the R1 step's gradient is gamma * interval * w, taken after the main step: w <- w (1 - lr gamma interval)
    np.testing.assert_allclose(after[0], after[1] * (1 - 0.1 * 0.5 * 4), rtol=1e-5)


def test_lazy_adam_adjusts_rate_and_betas():
    adam = lazy_adam(2e-3, 0.5, 0.99, interval=16)
    c = 16 / 17
    assert float(adam.learning_rate.numpy()) == pytest.approx(2e-3 * c)
    assert adam.beta_1 == pytest.approx(0.5 ** c) and adam.beta_2 == pytest.approx(0.99 ** c)
    assert float(lazy_adam(1e-3, 0.0, 0.99, interval=0).learning_rate.numpy()) == pytest.approx(1e-3)


def test_ema_tracks_the_weights_with_the_documented_decay():
    model = _toy(ema_half_life=64.0, ema_ramp=None)
    kernel, average = model.generator.layers[0].kernel, model.generator_ema.layers[0].kernel
    np.testing.assert_array_equal(average.numpy(), kernel.numpy())  # starts as a copy
    start = average.numpy().copy()
    kernel.assign(kernel.numpy() + 1.0)
    model.update_ema(16)
    beta = 0.5 ** (16 / 64)  # half-life 64 images, a batch of 16
    np.testing.assert_allclose(average.numpy(), kernel.numpy() + beta * (start - kernel.numpy()), rtol=1e-6)
    for _ in range(3):  # three more batches: 64 images in all, so half of the gap is left
        model.update_ema(16)
    np.testing.assert_allclose(average.numpy(), kernel.numpy() - 0.5, rtol=1e-5)


def test_ema_half_life_ramps_up_with_the_images_seen():
    model = _toy(ema_half_life=10_000.0, ema_ramp=0.05)
    assert float(model.ema_beta(16)) == 0.0  # nothing seen yet: the average is the weights
    model.images_seen.assign(1_000.0)  # half-life 0.05 * 1000 = 50 images
    assert float(model.ema_beta(16)) == pytest.approx(0.5 ** (16 / 50))
    model.images_seen.assign(1e9)  # capped at ema_half_life
    assert float(model.ema_beta(16)) == pytest.approx(0.5 ** (16 / 10_000))


def test_bad_settings_say_what_is_allowed():
    with pytest.raises(ValueError, match="loss is one of"):
        _Toy(loss="hinge")
    with pytest.raises(ValueError, match="r1_interval"):
        _Toy(r1_interval=0)
