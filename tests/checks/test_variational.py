"""Checkers of helpers.checks.variational, chapters 5 and 6: the solution passes, typical mistakes fail."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from helpers import checks, config, losses
from helpers.models.vae import VAE, dense_vae

from .conftest import fails, passes


# --------------------------------------------------------------------------- chapter 5
class MySampling(keras.layers.Layer):
    """The chapter's layer."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)
        return mean + keras.ops.exp(log_var / 2) * eps


class VarianceSampling(MySampling):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + keras.ops.exp(log_var) * keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)


class NoScaleSampling(MySampling):
    def call(self, inputs):
        mean, _ = inputs
        return mean + keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)


class MeanOnlySampling(MySampling):
    def call(self, inputs):
        return inputs[0] * 1.0


class FixedSeedSampling(MySampling):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + keras.ops.exp(log_var / 2) * keras.random.normal(keras.ops.shape(mean), seed=0)


class NumpySampling(keras.layers.Layer):
    def call(self, inputs):
        mean, log_var = (np.asarray(t) for t in inputs)
        return mean + np.exp(log_var / 2) * np.random.default_rng().normal(size=mean.shape)


def test_sampling_layer():
    from helpers.layers import Sampling

    passes(checks.check_sampling_layer(MySampling))
    passes(checks.check_sampling_layer(Sampling(seed=1)))
    fails(checks.check_sampling_layer(VarianceSampling), "exp(log_var), the variance")
    fails(checks.check_sampling_layer(NoScaleSampling), "does not depend on log_var")
    fails(checks.check_sampling_layer(MeanOnlySampling), "with no noise")
    fails(checks.check_sampling_layer(FixedSeedSampling), "same noise every time")
    fails(checks.check_sampling_layer(NumpySampling), "no gradient", "reparameterisation trick")


class BetaVAE(VAE):
    """The book's solution."""

    def terms(self, data, training=False):
        out = super().terms(data, training)
        kl = 4.0 * out["kl"]
        return {"reconstruction": out["reconstruction"], "kl": kl, "elbo": -(out["reconstruction"] + kl)}


class UnweightedVAE(VAE):
    def terms(self, data, training=False):
        return dict(super().terms(data, training))


class StaleElboVAE(VAE):
    def terms(self, data, training=False):
        out = super().terms(data, training)
        return {**out, "kl": 4.0 * out["kl"]}


@pytest.fixture(scope="module")
def tiny_vae():
    config.set_seed(0)
    return dense_vae(latent_dim=3, hidden=(8,), seed=0)


def test_beta_vae(tiny_vae):
    beta_vae = BetaVAE(tiny_vae.encoder, tiny_vae.decoder, seed=0)
    passes(checks.check_beta_vae(beta_vae))
    passes(checks.check_beta_vae(BetaVAE))
    fails(checks.check_beta_vae(UnweightedVAE(tiny_vae.encoder, tiny_vae.decoder)), "kl equals the parent's")
    fails(checks.check_beta_vae(StaleElboVAE), "elbo is still the parent's")
    fails(checks.check_beta_vae(tiny_vae), "does not override terms")
    fails(checks.check_beta_vae(BetaVAE, beta=2.0), "2 times")


def test_kl_estimate():
    mu = np.array([[0.8, -1.2, 0.0, 0.3]], dtype="float32")
    lv = np.array([[-2.0, -1.0, 0.0, -3.0]], dtype="float32")
    eps = np.random.default_rng(0).normal(size=(10_000, 4))
    zs = (mu + np.exp(lv / 2) * eps).astype("float32")
    log_q = np.asarray(losses.log_normal_pdf(zs, mu, lv))
    log_p = np.asarray(losses.log_normal_pdf(zs, 0.0 * zs, 0.0 * zs))
    mc = log_q - log_p
    passes(checks.check_kl_estimate(mc, mu, lv))
    passes(checks.check_kl_estimate(mc.mean(), mu, lv))
    fails(checks.check_kl_estimate(log_q, mu, lv), "your estimate is far off", "did you subtract log p(z)?")
    fails(checks.check_kl_estimate(-mc, mu, lv), "wrong sign")
    wide = (mu + np.exp(lv) * eps).astype("float32")
    mc_wide = np.asarray(losses.log_normal_pdf(wide, mu, lv) - losses.log_normal_pdf(wide, 0.0 * wide, 0.0 * wide))
    fails(checks.check_kl_estimate(mc_wide, mu, lv), "standard deviation exp(log_var)")
    fails(checks.check_kl_estimate(mc[:100], mu, lv), "only 100 samples")
    with pytest.raises(ValueError, match="one image"):
        checks.check_kl_estimate(mc, np.zeros((2, 4)), np.zeros((2, 4)))


# --------------------------------------------------------------------------- ch06-warmup
class WarmupVAE(VAE):
    """The book's solution."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = keras.Variable(0.0, trainable=False, name="beta")

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.terms(data, training=True)
            loss = ops.mean(terms["reconstruction"] + self.beta * terms["kl"]) / 784
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        for tracker, value in zip(self.metrics, (loss, terms["reconstruction"], terms["kl"], terms["elbo"]),
                                  strict=True):
            tracker.update_state(ops.mean(value))
        return {m.name: m.result() for m in self.metrics}


class IgnoresBetaVAE(WarmupVAE):
    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.terms(data, training=True)
            loss = ops.mean(terms["reconstruction"] + terms["kl"]) / 784
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._update(loss, terms)


class TrainableBetaVAE(WarmupVAE):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = keras.Variable(0.0, name="beta")


def test_warmup_vae(tiny_vae):
    passes(checks.check_warmup_vae(WarmupVAE))
    passes(checks.check_warmup_vae(WarmupVAE(tiny_vae.encoder, tiny_vae.decoder)))
    fails(checks.check_warmup_vae(IgnoresBetaVAE), "ignores beta")
    fails(checks.check_warmup_vae(TrainableBetaVAE), "trainable=False")
    fails(checks.check_warmup_vae(VAE), "does not override train_step")


# --------------------------------------------------------------------------- chapter 6, other exercises
def test_analytic_run(tiny_vae):
    history = {"val_elbo": [-208.0, -168.8, -132.8]}
    passes(checks.check_analytic_run(tiny_vae, history, 3))
    sampled = dense_vae(latent_dim=3, hidden=(8,), kl_estimator="monte_carlo", seed=0)
    fails(checks.check_analytic_run(sampled, history, 3), "kl_estimator='monte_carlo'")
    fails(checks.check_analytic_run(tiny_vae, {"elbo": [-200.0, -150.0, -120.0]}, 3), "validation_data")
    fails(checks.check_analytic_run(tiny_vae, history, 5), "the history has 3 epochs")


def test_class_diversity():
    from scipy.spatial.distance import pdist, squareform

    rng = np.random.default_rng(0)
    asked = np.repeat(np.arange(4), 10)
    drawn = rng.random((40, 5, 5))
    flat = drawn.reshape(len(drawn), -1)
    diversity = np.mean([pdist(flat[asked == d]).mean() for d in range(4)])
    passes(checks.check_class_diversity(diversity, drawn, asked))
    fails(checks.check_class_diversity(np.mean([pdist(flat[asked == d], "sqeuclidean").mean() for d in range(4)]),
                                       drawn, asked), "squared distances")
    fails(checks.check_class_diversity(pdist(flat).mean(), drawn, asked), "across classes")
    fails(checks.check_class_diversity(np.mean([squareform(pdist(flat[asked == d])).mean() for d in range(4)]),
                                       drawn, asked), "zero distance to itself")
    fails(checks.check_class_diversity([pdist(flat[asked == d]).mean() for d in range(4)], drawn, asked),
          "one value per class")


def test_label_swap():
    cvae = dense_vae(input_shape=(4, 4), latent_dim=2, hidden=(8,), num_classes=10, seed=0)
    rng = np.random.default_rng(0)
    sources, labels = (rng.random((6, 4, 4)) > 0.5).astype("float32"), np.arange(6)
    means, _ = cvae.encode(sources, labels)
    swapped = cvae.decode(np.repeat(means, 10, axis=0), np.tile(np.arange(10), 6)).reshape(6, 10, 4, 4)
    passes(checks.check_label_swap(swapped, cvae, sources, labels))
    label_first = cvae.decode(np.tile(means, (10, 1)), np.repeat(np.arange(10), 6))
    fails(checks.check_label_swap(label_first, cvae, sources, labels), "ordered label by label")
    mixed = cvae.decode(np.repeat(means, 10, axis=0), np.repeat(np.arange(10), 6))
    fails(checks.check_label_swap(mixed, cvae, sources, labels), "paired wrongly")
    zero_means, _ = cvae.encode(sources, np.zeros(6, dtype=int))
    as_zero = cvae.decode(np.repeat(zero_means, 10, axis=0), np.tile(np.arange(10), 6))
    fails(checks.check_label_swap(as_zero, cvae, sources, labels), "with label 0")
