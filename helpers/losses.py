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


def r1_penalty(critic, real, gamma: float = 1.0):
    """The R1 penalty (Mescheder et al. 2018): ``gamma / 2 * E[||grad D(x)||_2^2]`` on **real** images only.

    It pushes the discriminator's gradient towards zero on the data, so that near the equilibrium it
    does not keep pushing the generator around; unlike :func:`gradient_penalty` it needs no fakes and no
    interpolates. StyleGAN and StyleGAN2 train with it (``gamma`` from 0.01 for small images to 10 for faces).
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(real)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = critic(x)
    grads = tape.gradient(scores, x)  # the gradient of the sum of scores: each example's own gradient
    squares = tf.reduce_sum(tf.reshape(grads**2, (tf.shape(grads)[0], -1)), axis=-1)
    return 0.5 * float(gamma) * ops.mean(squares)


def divergence_penalty(critic, real, fake, k: float = 2.0, p: float = 6.0, seed=None):
    """WGAN-div's penalty (Wu et al. 2018): ``k * E[||grad C(x_hat)||_2^p]`` on random interpolates.

    Unlike the gradient penalty it pulls the gradient towards 0, not towards norm 1, and the resulting
    Wasserstein divergence needs no Lipschitz constraint; the paper's defaults are ``k = 2``, ``p = 6``.
    """
    x_hat, _ = random_interpolates(real, fake, seed=seed)
    norms = input_gradient_norms(critic, x_hat)
    return k * ops.mean(norms**p)


def drift_penalty(real_scores, weight: float = 1e-3):
    """ProGAN's drift term ``weight * E[C(x)^2]`` on the critic's real scores (epsilon_drift = 0.001).

    The Wasserstein critic loss only sees score *differences*, so the scores could wander far from zero;
    this small penalty anchors them, which keeps the loss numerically tame over long runs.
    """
    return weight * ops.mean(ops.square(real_scores))


# ---------------------------------------------------------------------------------------------- CycleGAN
# Image-to-image losses take two batches of the same shape and return the mean over every value. The
# adversarial part of CycleGAN is the least-squares pair above: ``generator_loss(scores, "least_squares")``
# and ``least_squares_discriminator_loss``, applied to every patch score of a PatchGAN.


def cycle_consistency_loss(real, cycled):
    """CycleGAN's cycle loss (Zhu et al. 2017): the mean absolute error ``E[|F(G(x)) - x|]``.

    ``cycled`` is the image after a round trip through both generators; an L1 distance keeps the
    reconstruction sharp where an L2 distance would tolerate blur.
    """
    return ops.mean(ops.abs(ops.cast(real, "float32") - ops.cast(cycled, "float32")))


def identity_loss(real, same):
    """CycleGAN's identity loss: ``E[|G(y) - y|]`` for an image ``y`` already in ``G``'s target domain.

    It asks a generator to leave images of its output domain alone, which keeps colours from drifting.
    """
    return ops.mean(ops.abs(ops.cast(real, "float32") - ops.cast(same, "float32")))


# ---------------------------------------------------------------------------------------------- style transfer
def gram_matrix(features):
    """Gram matrices of feature maps: ``G[c, d] = 1/(H W) sum_ij F[i, j, c] F[i, j, d]`` for each example.

    ``features`` has shape ``(batch, H, W, C)``; the result has shape ``(batch, C, C)``. Summing over the
    positions forgets *where* each feature fires and keeps only which features fire *together*: the
    texture statistics Gatys et al. (2016) call style. Dividing by ``H W`` makes it an average, so images
    of different sizes give comparable matrices.
    """
    features = ops.cast(features, "float32")
    shape = ops.shape(features)
    flat = ops.reshape(features, (shape[0], shape[1] * shape[2], shape[3]))
    positions = ops.cast(shape[1] * shape[2], "float32")
    return ops.einsum("bpc,bpd->bcd", flat, flat) / positions


def _relative_squared_error(x, target):
    """``||x - target||^2 / ||target||^2`` per example: a squared error that ignores the features' scale."""
    axes = tuple(range(1, len(target.shape)))
    return ops.sum((x - target) ** 2, axis=axes) / (ops.sum(target**2, axis=axes) + 1e-8)


def content_loss(features, target_features):
    """The content loss, a squared error between feature maps relative to the target's energy.

    ``||F - P||^2 / ||P||^2`` per example, averaged over the batch (``F`` the features of the image being
    made, ``P`` those of the content image). Gatys et al. use the plain squared error; dividing by the
    target's energy makes the loss a pure number (0 at a perfect match, 1 for all-zero features), the
    same whether the network's features are large (ImageNet weights) or small (random weights).
    """
    return ops.mean(_relative_squared_error(ops.cast(features, "float32"), ops.cast(target_features, "float32")))


def style_loss(features, target_grams, layer_weights=None):
    """The style loss: relative squared errors between Gram matrices, averaged over the style layers.

    ``features`` is a list of feature maps ``(batch, H, W, C)`` of the image being made, one per style
    layer; ``target_grams`` the style image's Gram matrices ``(1 or batch, C, C)`` for the same layers.
    Each layer contributes ``||G - A||^2 / ||A||^2`` (see :func:`content_loss` for why relative), weighted
    by ``layer_weights`` (equal by default), and the weighted sum is averaged over the batch.
    """
    if len(features) != len(target_grams):
        raise ValueError(f"Got {len(features)} feature maps for {len(target_grams)} target Gram matrices.")
    if layer_weights is None:
        layer_weights = [1.0 / len(features)] * len(features)
    total = 0.0
    for f, target, w in zip(features, target_grams, layer_weights, strict=True):
        gram = gram_matrix(f)
        target = ops.broadcast_to(ops.cast(target, "float32"), ops.shape(gram))
        total = total + w * _relative_squared_error(gram, target)
    return ops.mean(total)


def total_variation_loss(images):
    """Total variation: the mean squared difference between neighbouring pixels, across and down.

    ``images`` has shape ``(batch, H, W, C)``. Small for smooth images, large for noise; a small weight
    on it removes the high-frequency speckle that optimising an image against a CNN tends to create.
    """
    images = ops.cast(images, "float32")
    across = ops.mean((images[:, :, 1:, :] - images[:, :, :-1, :]) ** 2)
    down = ops.mean((images[:, 1:, :, :] - images[:, :-1, :, :]) ** 2)
    return across + down
