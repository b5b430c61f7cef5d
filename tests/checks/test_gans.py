"""Checkers of helpers.checks.gans, chapters 7 to 9: the solution passes, typical mistakes fail."""

import numpy as np
from keras import ops

from helpers import checks, losses

from .conftest import fails, passes


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
