import numpy as np
import pytest
from scipy import stats

from helpers import losses

RNG = np.random.default_rng(0)


def test_log_normal_pdf_matches_scipy():
    x, mean = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    log_var = RNG.normal(size=(5, 3))
    expected = stats.norm.logpdf(x, mean, np.exp(log_var / 2)).sum(axis=-1)
    np.testing.assert_allclose(losses.log_normal_pdf(x, mean, log_var), expected, rtol=1e-5)


def test_gaussian_kl_matches_the_formula_and_is_zero_at_the_prior():
    mean, log_var = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6))
    var = np.exp(log_var)
    expected = 0.5 * np.sum(var + mean**2 - 1 - log_var, axis=-1)
    np.testing.assert_allclose(losses.gaussian_kl(mean, log_var), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3))), 0.0, atol=1e-7)


def test_monte_carlo_kl_converges_to_the_closed_form():
    mean, log_var = np.array([[0.5, -1.0]]), np.array([[0.3, -0.7]])
    n = 200_000
    z = mean + np.exp(log_var / 2) * RNG.normal(size=(n, 2))
    mc = np.mean(np.asarray(losses.log_normal_pdf(z, mean, log_var))
                 - np.asarray(losses.log_normal_pdf(z, np.zeros(2), np.zeros(2))))
    assert mc == pytest.approx(float(losses.gaussian_kl(mean, log_var)[0]), abs=0.01)


def test_bernoulli_log_likelihood_matches_numpy():
    x = (RNG.random((3, 4, 4)) > 0.5).astype("float32")
    logits = RNG.normal(size=(3, 4, 4)).astype("float32") * 3
    p = 1 / (1 + np.exp(-logits))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2))
    np.testing.assert_allclose(losses.bernoulli_log_likelihood(x, logits), expected, rtol=1e-4)


def test_bernoulli_log_likelihood_is_stable_for_large_logits():
    out = np.asarray(losses.bernoulli_log_likelihood(np.array([[1.0, 0.0]]), np.array([[200.0, -200.0]])))
    assert np.isfinite(out).all() and out[0] == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------- GAN losses
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_gan_losses_at_zero_logits_are_log_2():
    zero = np.zeros((4, 1), dtype="float32")
    assert float(losses.discriminator_loss(zero, zero)) == pytest.approx(2 * np.log(2), rel=1e-6)
    assert float(losses.generator_loss(zero, "non_saturating")) == pytest.approx(np.log(2), rel=1e-6)
    assert float(losses.generator_loss(zero, "saturating")) == pytest.approx(-np.log(2), rel=1e-6)
    assert float(losses.generator_loss(zero, "least_squares")) == pytest.approx(0.5, rel=1e-6)


def test_gan_losses_match_numpy():
    r, f = RNG.normal(size=(6, 1)).astype("float32") * 3, RNG.normal(size=(6, 1)).astype("float32") * 3
    d = -np.mean(np.log(_sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f)))
    assert float(losses.discriminator_loss(r, f)) == pytest.approx(d, rel=1e-5)
    smooth = -np.mean(0.9 * np.log(_sigmoid(r)) + 0.1 * np.log(1 - _sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f)))
    assert float(losses.discriminator_loss(r, f, label_smoothing=0.1)) == pytest.approx(smooth, rel=1e-5)
    assert float(losses.generator_loss(f)) == pytest.approx(-np.mean(np.log(_sigmoid(f))), rel=1e-5)
    assert float(losses.generator_loss(f, "saturating")) == pytest.approx(np.mean(np.log(1 - _sigmoid(f))), rel=1e-5)
    lsd = 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2)
    assert float(losses.least_squares_discriminator_loss(r, f)) == pytest.approx(lsd, rel=1e-5)
    assert float(losses.wasserstein_critic_loss(r, f)) == pytest.approx(f.mean() - r.mean(), rel=1e-5, abs=1e-6)
    assert float(losses.wasserstein_generator_loss(f)) == pytest.approx(-f.mean(), rel=1e-5)
    with pytest.raises(ValueError, match="non_saturating"):
        losses.generator_loss(f, "minimax")


def test_non_saturating_gradient_is_large_where_the_saturating_one_vanishes():
    import tensorflow as tf

    logit = tf.constant([[np.log(0.01 / 0.99)]], dtype="float32")  # D(G(z)) = 0.01: fakes confidently rejected
    grads = {}
    for kind in ("non_saturating", "saturating"):
        with tf.GradientTape() as tape:
            tape.watch(logit)
            loss = losses.generator_loss(logit, kind)
        grads[kind] = abs(float(tape.gradient(loss, logit)[0, 0]))
    assert grads["non_saturating"] == pytest.approx(0.99, rel=1e-4)  # 1 - D
    assert grads["saturating"] == pytest.approx(0.01, rel=1e-3)  # D
    assert grads["non_saturating"] > 50 * grads["saturating"]


def _linear_critic(norm, shape=(3, 4)):
    import tensorflow as tf

    w = RNG.normal(size=int(np.prod(shape))).astype("float32")
    w = tf.constant(norm * w / np.linalg.norm(w))
    return lambda x: tf.reduce_sum(tf.reshape(x, (tf.shape(x)[0], -1)) * w, axis=-1, keepdims=True) + 0.3


def test_gradient_penalty_of_linear_critics():
    real = RNG.normal(size=(16, 3, 4)).astype("float32")
    fake = RNG.normal(size=(16, 3, 4)).astype("float32")
    assert float(losses.gradient_penalty(_linear_critic(1.0), real, fake)) == pytest.approx(0.0, abs=1e-6)
    assert float(losses.gradient_penalty(_linear_critic(2.0), real, fake, weight=10.0)) == pytest.approx(10.0, rel=1e-5)
    assert float(losses.gradient_penalty(_linear_critic(0.5), real, fake)) == pytest.approx(0.25, rel=1e-5)
    norms = np.asarray(losses.input_gradient_norms(_linear_critic(3.0), real))
    np.testing.assert_allclose(norms, 3.0, rtol=1e-5)
    # WGAN-div: k ||grad||^p = 2 * 2^6 for a critic of gradient norm 2
    assert float(losses.divergence_penalty(_linear_critic(2.0), real, fake)) == pytest.approx(128.0, rel=1e-4)
    div = losses.divergence_penalty(_linear_critic(1.0), real, fake, k=3.0, p=2.0)
    assert float(div) == pytest.approx(3.0, rel=1e-4)


def test_interpolates_use_one_uniform_alpha_per_example():
    real = RNG.normal(size=(4000, 2, 2)).astype("float32")
    fake = RNG.normal(size=(4000, 2, 2)).astype("float32")
    x_hat, alpha = losses.random_interpolates(real, fake, seed=0)
    x_hat, alpha = np.asarray(x_hat), np.asarray(alpha)
    assert alpha.shape == (4000,) and alpha.min() >= 0 and alpha.max() <= 1
    np.testing.assert_allclose(x_hat, alpha[:, None, None] * real + (1 - alpha[:, None, None]) * fake, atol=1e-5)
    assert stats.kstest(alpha, "uniform").pvalue > 0.01


def test_gradient_penalty_is_differentiable_in_the_critic_weights():
    import keras
    import tensorflow as tf

    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    real, fake = RNG.normal(size=(8, 3)).astype("float32"), RNG.normal(size=(8, 3)).astype("float32")
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, real, fake, weight=10.0, seed=1)
    kernels = [w for w in critic.trainable_weights if "kernel" in w.path]  # the output bias has no say
    grads = tape.gradient(penalty, kernels)
    assert float(penalty) > 0
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in grads)


# ---------------------------------------------------------------------------------------------- chapters 10-11
def test_cycle_and_identity_losses_are_mean_absolute_errors():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 4, 4, 3)).astype("float32"), rng.normal(size=(2, 4, 4, 3)).astype("float32")
    assert float(losses.cycle_consistency_loss(a, b)) == pytest.approx(np.abs(a - b).mean(), rel=1e-5)
    assert float(losses.identity_loss(a, b)) == pytest.approx(np.abs(a - b).mean(), rel=1e-5)
    assert float(losses.cycle_consistency_loss(a, a)) == 0.0


def test_gram_matrix_matches_numpy():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(3, 5, 7, 4)).astype("float32")
    flat = f.reshape(3, 35, 4)
    expected = np.einsum("bpc,bpd->bcd", flat, flat) / 35
    np.testing.assert_allclose(np.asarray(losses.gram_matrix(f)), expected, rtol=1e-5, atol=1e-5)


def test_gram_matrix_ignores_where_features_are():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(2, 6, 6, 5)).astype("float32")
    flat = f.reshape(2, 36, 5)
    shuffled = flat[:, rng.permutation(36)].reshape(2, 6, 6, 5)  # the same positions, in another order
    np.testing.assert_allclose(np.asarray(losses.gram_matrix(shuffled)),
                               np.asarray(losses.gram_matrix(f)), rtol=1e-5, atol=1e-5)
    g = np.asarray(losses.gram_matrix(f))
    np.testing.assert_allclose(g, np.transpose(g, (0, 2, 1)), atol=1e-6)  # symmetric


def test_style_and_content_losses_are_relative_squared_errors():
    rng = np.random.default_rng(4)
    f, p = rng.normal(size=(1, 4, 4, 3)).astype("float32"), rng.normal(size=(1, 4, 4, 3)).astype("float32")
    assert float(losses.content_loss(f, p)) == pytest.approx(((f - p) ** 2).sum() / (p**2).sum(), rel=1e-4)
    assert float(losses.content_loss(10 * f, 10 * p)) == pytest.approx(float(losses.content_loss(f, p)), rel=1e-4)
    target = losses.gram_matrix(p)
    g, a = np.asarray(losses.gram_matrix(f)), np.asarray(target)
    expected = ((g - a) ** 2).sum() / (a**2).sum()
    assert float(losses.style_loss([f], [target])) == pytest.approx(expected, rel=1e-4)
    assert float(losses.style_loss([f, f], [target, target], layer_weights=[1.0, 1.0])) == pytest.approx(
        2 * expected, rel=1e-4)
    with pytest.raises(ValueError, match="feature maps"):
        losses.style_loss([f], [target, target])


def test_total_variation_is_zero_for_flat_images_and_matches_numpy():
    assert float(losses.total_variation_loss(np.full((2, 5, 5, 3), 0.3, "float32"))) == pytest.approx(0.0)
    x = np.random.default_rng(5).random((2, 5, 6, 3)).astype("float32")
    expected = ((x[:, :, 1:] - x[:, :, :-1]) ** 2).mean() + ((x[:, 1:] - x[:, :-1]) ** 2).mean()
    assert float(losses.total_variation_loss(x)) == pytest.approx(expected, rel=1e-5)
