"""Losses and log-densities the chapters share (all reduce over the last axis, one value per example)."""

from __future__ import annotations

import math

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
