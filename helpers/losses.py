"""Losses and log-densities the chapters share.

The log-densities and VAE terms reduce over the last axis (one value per example); the GAN losses return
the mean over the batch.
"""

from __future__ import annotations

import math

import keras
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def log_normal_pdf(sample, mean, log_var):
    """``log N(sample; mean, diag(exp(log_var)))``, summed over the last axis."""
    return ops.sum(-0.5 * ((sample - mean) ** 2 * ops.exp(-log_var) + log_var + LOG_2PI), axis=-1)


def gaussian_kl(mean, log_var):
    """Closed-form ``KL(N(mean, diag(exp(log_var))) || N(0, I))``, summed over the last axis."""
    return -0.5 * ops.sum(1.0 + log_var - mean**2 - ops.exp(log_var), axis=-1)


def bernoulli_log_likelihood(x, logits):
    """``log p(x | logits)`` for Bernoulli pixels, summed over all but the first axis (numerically stable)."""
    x = ops.reshape(x, (ops.shape(x)[0], -1))
    logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
    per_pixel = x * logits - ops.softplus(logits)
    return ops.sum(per_pixel, axis=-1)


# ---------------------------------------------------------------------------------------------- GAN losses
# These take the discriminator's raw outputs (logits, or a critic's unbounded scores) and return one scalar,
# the mean over the batch. ``sigma`` is the logistic sigmoid, so ``D(x) = sigma(logit)``.


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """The discriminator's binary cross-entropy on a real and a fake batch, from logits.

    ``L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-r)] + E[softplus(f)]`` with ``r`` and ``f``
    the logits of real and fake samples: the sum of the two halves' mean cross-entropies, so
    ``L_D = 2 log 2`` at ``D = 1/2`` everywhere. One-sided ``label_smoothing`` ``s`` trains the real
    half towards the target ``1 - s`` instead of 1 (Salimans et al. 2016); fakes keep the target 0.
    """
    target = 1.0 - label_smoothing
    real = target * ops.softplus(-real_logits) + (1.0 - target) * ops.softplus(real_logits)
    return ops.mean(real) + ops.mean(ops.softplus(fake_logits))


GENERATOR_LOSSES = ("non_saturating", "saturating", "least_squares")


def generator_loss(fake_logits, kind: str = "non_saturating"):
    """The generator's loss from the discriminator's outputs on fakes, ``f`` (logits; scores for least squares).

    - ``"saturating"``, the minimax game's own term: minimise ``E[log(1 - D(G(z)))] = -E[softplus(f)]``.
      Its gradient with respect to ``f`` is ``-D(G(z))``, which vanishes when the discriminator rejects
      the fakes confidently (``D(G(z))`` near 0), exactly when the generator most needs a signal.
    - ``"non_saturating"`` (Goodfellow et al. 2014): minimise ``-E[log D(G(z))] = E[softplus(-f)]``. Its
      gradient ``-(1 - D(G(z)))`` is close to -1 there, so learning starts even against a strong
      discriminator. ``log 2`` at ``f = 0``.
    - ``"least_squares"`` (LSGAN, Mao et al. 2017): minimise ``1/2 E[(f - 1)^2]`` with ``f`` a raw score
      (no sigmoid); pair it with :func:`least_squares_discriminator_loss`.
    """
    if kind == "non_saturating":
        return ops.mean(ops.softplus(-fake_logits))
    if kind == "saturating":
        return -ops.mean(ops.softplus(fake_logits))
    if kind == "least_squares":
        return 0.5 * ops.mean((fake_logits - 1.0) ** 2)
    raise ValueError(f"kind is one of {GENERATOR_LOSSES}, got {kind!r}.")


def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN's discriminator loss on raw scores: ``1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`` (targets 1 and 0)."""
    return 0.5 * ops.mean((real_scores - 1.0) ** 2) + 0.5 * ops.mean(fake_scores**2)


def wasserstein_critic_loss(real_scores, fake_scores):
    """The WGAN critic's loss ``E[C(G(z))] - E[C(x)]``: minimising it maximises the critic's estimate of the
    Earth-Mover distance ``E[C(x)] - E[C(G(z))]`` (Kantorovich-Rubinstein duality, for a 1-Lipschitz ``C``)."""
    return ops.mean(fake_scores) - ops.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """The WGAN generator's loss ``-E[C(G(z))]``: move the fakes to where the critic scores high."""
    return -ops.mean(fake_scores)


def random_interpolates(real, fake, seed=None):
    """Points ``x_hat = alpha x + (1 - alpha) x_fake`` on the lines between paired real and fake samples.

    ``alpha`` is drawn uniform in [0, 1], one value per example (broadcast over that example's pixels).
    Returns ``(x_hat, alpha)`` with ``alpha`` of shape ``(batch,)``. ``seed`` is an int, a
    ``keras.random.SeedGenerator`` or ``None``.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    alpha = keras.random.uniform((ops.shape(real)[0],), 0.0, 1.0, dtype=real.dtype, seed=seed)
    a = ops.reshape(alpha, (-1,) + (1,) * (len(real.shape) - 1))
    return a * real + (1.0 - a) * fake, alpha


def input_gradient_norms(critic, x):
    """``||grad_x C(x)||_2`` for each example of ``x`` (norm over all but the batch axis), with a GradientTape.

    ``critic`` is any callable from a batch to one score per example. Differentiable itself (the tape is
    recorded under any outer tape), so the norms can enter a loss.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = critic(x)
    grads = tape.gradient(scores, x)  # the gradient of the sum of scores: each example's own gradient
    grads = tf.reshape(grads, (tf.shape(grads)[0], -1))
    return tf.sqrt(tf.reduce_sum(grads**2, axis=-1) + 1e-12)


def gradient_penalty(critic, real, fake, weight: float = 1.0, seed=None):
    """WGAN-GP's penalty (Gulrajani et al. 2017): ``weight * E[(||grad C(x_hat)||_2 - 1)^2]``.

    ``x_hat`` interpolates each real example with its fake partner at ``alpha ~ U[0, 1]`` drawn per
    example (:func:`random_interpolates`). The penalty is zero for a critic whose gradient norm is 1
    everywhere on those lines (a 1-Lipschitz linear critic with a unit-norm weight vector) and grows
    quadratically as the norm leaves 1. The paper adds it with ``weight = 10`` (its lambda).
    """
    x_hat, _ = random_interpolates(real, fake, seed=seed)
    norms = input_gradient_norms(critic, x_hat)
    return weight * ops.mean((norms - 1.0) ** 2)


def divergence_penalty(critic, real, fake, k: float = 2.0, p: float = 6.0, seed=None):
    """WGAN-div's penalty (Wu et al. 2018): ``k * E[||grad C(x_hat)||_2^p]`` on random interpolates.

    Unlike the gradient penalty it pulls the gradient towards 0, not towards norm 1, and the resulting
    Wasserstein divergence needs no Lipschitz constraint; the paper's defaults are ``k = 2``, ``p = 6``.
    """
    x_hat, _ = random_interpolates(real, fake, seed=seed)
    norms = input_gradient_norms(critic, x_hat)
    return k * ops.mean(norms**p)
