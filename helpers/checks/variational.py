"""Checkers for the exercises of the part *Variational autoencoders*: chapter 5 (the sampling layer,
the beta-VAE, a Monte Carlo KL estimate) and chapter 6 (KL warm-up, the closed-form KL run, the diversity of
class-conditional samples, label swaps).
"""

from __future__ import annotations

import math

import numpy as np

from .verdict import (
    CheckResult,
    _close,
    _correct,
    _error,
    _history_dict,
    _isclose,
    _numeric,
    _to_numpy,
    _wrong,
)

LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- chapter 5
def _instantiate_layer(layer):
    if isinstance(layer, type):
        try:
            return layer(seed=0)
        except (TypeError, ValueError):  # a layer without a seed argument
            return layer()
    return layer


def check_sampling_layer(layer, n: int = 20_000) -> CheckResult:
    """Chapter 5's sampling layer: ``layer([mean, log_var])`` must be ``mean + exp(log_var / 2) * eps``.

    Accepts the class (built with ``seed=0`` if it takes a seed) or an instance. The check draws ``n``
    samples with means 1 and standard deviations 3 and 0.5, and looks at their mean and spread, at two
    calls in a row, and at the gradients.

    Call: ``checks.check_sampling_layer(MySampling)``.
    """
    import tensorflow as tf

    if n < 1000:
        raise ValueError(f"n must be at least 1000 for the sample statistics to mean something, got {n}.")
    try:
        sampler = _instantiate_layer(layer)
    except Exception as err:  # noqa: BLE001
        return _error("creating your layer", err)
    if not callable(sampler):
        return _wrong(f"expected a Keras layer (or its class), got {type(sampler).__name__}.")
    sigma = np.array([3.0, 0.5])
    mean_value = np.ones((n, 2), dtype="float32")
    log_var_value = np.tile(np.log(sigma**2), (n, 1)).astype("float32")
    mean, log_var = tf.Variable(mean_value), tf.Variable(log_var_value)
    try:
        with tf.GradientTape() as tape:
            z = sampler([mean, log_var])
            total = tf.reduce_sum(z) if tf.is_tensor(z) else None
        grads = tape.gradient(total, [mean, log_var]) if total is not None else [None, None]
        z = np.asarray(z, dtype=np.float64)
        z2 = np.asarray(sampler([mean_value, log_var_value]), dtype=np.float64)
    except Exception as err:  # noqa: BLE001
        return _error("calling your layer on [mean, log_var]", err)
    if z.shape != (n, 2):
        return _wrong(f"your layer returns shape {z.shape} for a mean of shape {(n, 2)}: draw eps with the shape of "
                      "the mean, keras.ops.shape(mean).")
    if not np.all(np.isfinite(z)):
        return _wrong("your samples contain NaN or infinite values.")
    if np.allclose(z, mean_value, atol=1e-6):
        return _wrong("your layer returns the mean unchanged, with no noise: add exp(log_var / 2) * eps with "
                      "eps ~ N(0, I).")
    if np.allclose(z.std(axis=0), 0.0, atol=1e-6):
        return _wrong("every example got the same value: draw eps with the shape of the mean, "
                      "keras.random.normal(keras.ops.shape(mean), ...), not a single number.")
    std = z.std(axis=0)
    got = f"sample standard deviations {np.round(std, 3).tolist()}"
    if np.allclose(std, sigma, rtol=0.05):
        pass
    elif np.allclose(std, sigma**2, rtol=0.05):
        return _wrong(f"{got} where exp(log_var / 2) gives [3.0, 0.5]: you scaled the noise by exp(log_var), the "
                      "variance, instead of the standard deviation exp(log_var / 2).")
    elif np.isclose(std[0], std[1], rtol=0.05):
        return _wrong(f"{got} for two different log-variances: your output does not depend on log_var. Scale the "
                      "noise, z = mean + exp(log_var / 2) * eps.")
    elif np.allclose(std, np.abs(np.log(sigma**2)), rtol=0.05):
        return _wrong(f"{got}: you multiplied the noise by log_var itself; the standard deviation is "
                      "exp(log_var / 2).")
    elif np.allclose(std, np.sqrt(sigma), rtol=0.05):
        return _wrong(f"{got}: you used exp(log_var / 4); the standard deviation is exp(log_var / 2).")
    else:
        return _wrong(f"{got}, expected [3.0, 0.5] = exp(log_var / 2): compute mean + exp(log_var / 2) * eps.")
    standard_error = sigma / math.sqrt(n)
    if np.any(np.abs(z.mean(axis=0) - 1.0) > 6 * standard_error):
        return _wrong(f"the sample mean is {np.round(z.mean(axis=0), 3).tolist()}, expected [1.0, 1.0]: add the "
                      "mean, z = mean + exp(log_var / 2) * eps, with eps of mean zero.")
    if np.allclose(z, z2):
        return _wrong("two calls returned the same sample: your layer draws the same noise every time (a fixed seed "
                      "inside call?). Create a keras.random.SeedGenerator in __init__ and pass it as seed=.")
    if grads[0] is None or grads[1] is None:
        which = " and ".join(name for name, g in zip(("mean", "log_var"), grads, strict=True) if g is None)
        return _wrong(f"no gradient reaches {which}: the sample must be computed from mean and log_var with Keras "
                      "operations (z = mean + exp(log_var / 2) * eps), not drawn with NumPy or outside the graph. "
                      "That is the reparameterisation trick.")
    d_log_var = np.asarray(grads[1], dtype=np.float64)
    if not np.allclose(d_log_var, 0.5 * (z - mean_value), rtol=1e-3, atol=1e-4):
        return _wrong("the gradient with respect to log_var is not 0.5 * sigma * eps: compute the sample as "
                      "mean + exp(log_var / 2) * eps with eps drawn independently of mean and log_var.")
    return _correct(f"sample means {np.round(z.mean(axis=0), 3).tolist()} (expected [1, 1]), {got} (expected "
                    "[3, 0.5]), fresh noise on every call, and gradients flow to mean and log_var.")


def _vae_class():
    from helpers.models.vae import VAE

    return VAE


def _tiny_batch(model, size: int = 8):
    """A reproducible batch that fits ``model.encoder`` (with labels for a conditional VAE)."""
    shape = tuple(int(s) for s in model.encoder.inputs[0].shape[1:])
    x = (np.random.default_rng(0).random((size, *shape)) > 0.6).astype("float32")
    if getattr(model, "num_classes", None):
        return (x, np.arange(size) % model.num_classes)
    return x


def _tiny_vae_parts(kl_estimator: str = "analytic"):
    from helpers.models.vae import dense_vae

    base = dense_vae(latent_dim=2, hidden=(8,), kl_estimator=kl_estimator, seed=0, name="check_vae")
    return base.encoder, base.decoder


def check_beta_vae(model, beta: float = 4.0) -> CheckResult:
    """ch05-beta: ``terms`` of a VAE subclass must return ``kl`` = beta x the parent's and a matching ELBO.

    Accepts the trained model (``beta_vae``) or the class (``BetaVAE``, then built on a tiny VAE). The
    parent's terms are computed on the same batch with the same noise.

    Call: ``checks.check_beta_vae(beta_vae)``.
    """
    from keras import ops

    VAE = _vae_class()
    if isinstance(model, type):
        if not issubclass(model, VAE):
            return _wrong(f"{model.__name__} must subclass helpers.models.vae.VAE.")
        encoder, decoder = _tiny_vae_parts()
        try:
            model = model(encoder, decoder, seed=0)
        except Exception as err:  # noqa: BLE001
            return _error(f"building {model.__name__}(encoder, decoder, seed=0)", err)
    if not isinstance(model, VAE):
        return _wrong(f"expected your VAE subclass (or an instance of it), got {type(model).__name__}.")
    if type(model).terms is VAE.terms:
        return _wrong(f"{type(model).__name__} does not override terms: subclass VAE and define "
                      "terms(self, data, training=False).")
    data = _tiny_batch(model)
    generator = model.sampling.seed_generator
    state = ops.convert_to_numpy(generator.state)
    try:
        mine = model.terms(data, training=False)
    except TypeError as err:
        return _wrong(f"calling terms(data, training=False) failed ({err}): keep the parent's signature, "
                      "terms(self, data, training=False), because train_step calls it that way.")
    except Exception as err:  # noqa: BLE001
        return _error("your terms(data)", err)
    finally:
        generator.state.assign(state)  # the parent's terms draw the same z
    parent = VAE.terms(model, data, training=False)
    generator.state.assign(state)
    if not isinstance(mine, dict) or not {"reconstruction", "kl", "elbo"} <= set(mine):
        keys = sorted(mine) if isinstance(mine, dict) else type(mine).__name__
        return _wrong(f"terms must return a dict with 'reconstruction', 'kl' and 'elbo', like the parent's; yours "
                      f"returned {keys}.")
    try:
        rec, kl, elbo = (_to_numpy(mine[key]) for key in ("reconstruction", "kl", "elbo"))
    except Exception as err:  # noqa: BLE001
        return _error("converting your terms to arrays", err)
    rec_p, kl_p, elbo_p = (_to_numpy(parent[key]) for key in ("reconstruction", "kl", "elbo"))
    if kl.shape != kl_p.shape or rec.shape != rec_p.shape or elbo.shape != elbo_p.shape:
        return _wrong(f"your terms have shapes {rec.shape}, {kl.shape}, {elbo.shape}; the parent's have one value per "
                      f"image, {kl_p.shape}. Do not average over the batch inside terms.")
    tol = dict(rtol=1e-4, atol=1e-3)
    if not _close(kl, beta * kl_p, **tol):
        if _close(kl, kl_p, **tol):
            return _wrong(f"your kl equals the parent's: multiply it by beta = {beta:g}.")
        ratio = float(np.sum(kl * kl_p) / max(np.sum(kl_p**2), 1e-12))
        if _close(kl, ratio * kl_p, **tol):
            return _wrong(f"your kl is {ratio:.3g} times the parent's; a beta-VAE with beta = {beta:g} needs "
                          f"{beta:g} times.")
        return _wrong(f"your kl is not {beta:g} times the parent's KL term: take out = super().terms(data, training) "
                      f"and return kl = {beta:g} * out['kl'].")
    if not _close(rec, rec_p, **tol):
        if _close(rec, beta * rec_p, **tol):
            return _wrong("you scaled the reconstruction term too: only the KL term is weighted by beta.")
        return _wrong("your reconstruction term differs from the parent's: return out['reconstruction'] unchanged.")
    if not _close(elbo, -(rec + kl), **tol):
        if _close(elbo, elbo_p, **tol):
            return _wrong("your elbo is still the parent's: with the weighted KL it must be recomputed, "
                          "elbo = -(reconstruction + kl). (train_step minimises -elbo, so otherwise beta has no "
                          "effect on training.)")
        if _close(elbo, rec + kl, **tol):
            return _wrong("your elbo has the wrong sign: it is -(reconstruction + kl).")
        return _wrong("your elbo should be -(reconstruction + kl), with the weighted kl.")
    return _correct(f"on a batch of {len(kl)} images kl = {beta:g} x the parent's, the reconstruction term is "
                    "unchanged and elbo = -(reconstruction + kl).")


def check_kl_estimate(estimate, mean, log_var, n_samples: int | None = None) -> CheckResult:
    """ch05-kl-check: a Monte-Carlo estimate of ``KL(q(z|x) || p(z))`` close to the closed form.

    ``estimate`` is the array of per-sample values ``log q(z|x) - log p(z)`` (or their mean, with
    ``n_samples`` saying how many were averaged); ``mean`` and ``log_var`` are the posterior of one image.
    The tolerance is five standard errors of the estimator, worked out from ``mean`` and ``log_var``.

    Call: ``checks.check_kl_estimate(mc, mu, lv)``.
    """
    mu = np.asarray(mean, dtype=np.float64)
    lv = np.asarray(log_var, dtype=np.float64)
    if mu.shape != lv.shape:
        raise ValueError(f"mean and log_var must have the same shape, got {mu.shape} and {lv.shape}.")
    if mu.ndim == 2 and mu.shape[0] == 1:
        mu, lv = mu[0], lv[0]
    if mu.ndim != 1:
        raise ValueError(f"Pass the posterior of one image: mean of shape (1, d) or (d,), got {mu.shape}.")
    d = mu.size
    var = np.exp(lv)
    closed = float(0.5 * np.sum(var + mu**2 - 1.0 - lv))
    per_sample_std = math.sqrt(float(np.sum(mu**2 * var + 0.5 * (var - 1.0) ** 2)))

    answer = _numeric(estimate)
    if answer is None:
        return _wrong("could not read your estimate as numbers.")
    if not np.all(np.isfinite(answer)):
        return _wrong("your estimate contains NaN or infinite values.")
    if answer.ndim == 2 and answer.shape[1] == d and d > 1:
        return _wrong(f"your estimate has one value per latent dimension (shape {answer.shape}): the log-densities "
                      "are sums over the dimensions (log_normal_pdf already sums over the last axis).")
    if answer.size > 1:
        answer = answer.reshape(-1)
        n = answer.size
        if n < 1000:
            return _wrong(f"only {n} samples: use many more (the exercise draws 10,000) for a meaningful estimate.")
        value = float(answer.mean())
    else:
        n = n_samples if n_samples is not None else 10_000
        value = float(answer.reshape(()))
    standard_error = per_sample_std / math.sqrt(n)
    tol = 5.0 * standard_error + 1e-3 * (1.0 + abs(closed))
    summary = f"estimate {value:.3f} (standard error {standard_error:.3f}), closed form {closed:.3f}"
    if abs(value - closed) <= tol:
        return _correct(f"{summary}; they agree within the sampling error.")

    # Expected values of the usual slips, all in closed form.
    log_q_mean = -0.5 * float(np.sum(1.0 + lv + LOG_2PI))
    var_wrong = var**2  # z drawn with standard deviation exp(log_var) instead of exp(log_var / 2)
    too_wide = float(-0.5 * np.sum(var_wrong / var + lv + LOG_2PI) + 0.5 * np.sum(mu**2 + var_wrong + LOG_2PI))
    from_prior = float(-0.5 * np.sum((1.0 + mu**2) / var + lv + LOG_2PI) + 0.5 * np.sum(1.0 + LOG_2PI))
    at_mean = float(0.5 * np.sum(mu**2 - lv))
    slips = [
        (log_q_mean, "it matches the average of log q(z|x) alone: did you subtract log p(z)? (The standard normal "
                     "log-density at the same z.)"),
        (-closed, "it has the wrong sign: average log q(z|x) - log p(z), not log p(z) - log q(z|x)."),
        (too_wide, "it matches codes drawn with standard deviation exp(log_var): draw z = mu + exp(lv / 2) * eps."),
        (from_prior, "it matches codes drawn from the prior N(0, I): draw them from the posterior, "
                     "z = mu + exp(lv / 2) * eps."),
        (at_mean, "it matches log q - log p evaluated at the mean only: draw z = mu + exp(lv / 2) * eps with "
                  "fresh noise for every sample."),
    ]
    for expected, hint in slips:
        if abs(expected - closed) > tol and abs(value - expected) <= max(2.0 * tol, 0.02 * abs(expected)):
            return _wrong(f"your estimate is far off ({summary}); {hint}")
    return _wrong(f"your estimate is far off ({summary}, a difference of {abs(value - closed) / standard_error:.0f} "
                  "standard errors). Draw z = mu + exp(lv / 2) * eps and average log q(z|x) - log p(z).")


# --------------------------------------------------------------------------- chapter 6
def check_warmup_vae(model, n_pixels: int = 784) -> CheckResult:
    """ch06-warmup: a VAE subclass with a non-trainable ``beta`` variable weighting the KL term in the loss.

    Accepts the class (``WarmupVAE``) or a model (``warm``; a fresh, tiny model of the same class is built,
    so yours is not touched). One training step at ``beta`` = 0, 0.25 and 1 must report a loss of
    ``(reconstruction + beta * kl) / 784``.

    Call: ``checks.check_warmup_vae(WarmupVAE)``.
    """
    import keras

    VAE = _vae_class()
    cls = model if isinstance(model, type) else type(model)
    if not issubclass(cls, VAE):
        return _wrong(f"{cls.__name__} must subclass helpers.models.vae.VAE.")
    if cls.train_step is VAE.train_step:
        return _wrong(f"{cls.__name__} does not override train_step, so beta never reaches the loss.")
    encoder, decoder = _tiny_vae_parts("monte_carlo")
    try:
        fresh = cls(encoder, decoder, kl_estimator="monte_carlo", seed=0)
    except Exception as err:  # noqa: BLE001
        return _error(f"building {cls.__name__}(encoder, decoder, kl_estimator='monte_carlo', seed=0)", err)
    beta = getattr(fresh, "beta", None)
    if beta is None:
        return _wrong("your model has no `beta`: create it in __init__ with "
                      "self.beta = keras.Variable(0.0, trainable=False, name='beta').")
    if not isinstance(beta, keras.Variable):
        return _wrong(f"beta is a {type(beta).__name__}, not a keras.Variable: a plain number is frozen into the "
                      "compiled train step, so the callback could never change it. Use keras.Variable(0.0, "
                      "trainable=False).")
    if beta.trainable or any(v is beta for v in fresh.trainable_weights):
        return _wrong("beta is trainable, so the optimizer would change it as well: create it with trainable=False.")
    fresh.compile(optimizer=keras.optimizers.Adam(0.0))
    x = _tiny_batch(fresh, size=16)
    for value in (0.0, 0.25, 1.0):
        beta.assign(value)
        try:
            logs = fresh.train_on_batch(x, return_dict=True)
        except Exception as err:  # noqa: BLE001
            return _error("a training step of your model", err)
        if not {"loss", "reconstruction", "kl"} <= set(logs):
            return _wrong(f"train_step should return the metrics' results (loss, reconstruction, kl, elbo); yours "
                          f"returned {sorted(logs)}.")
        loss, rec, kl = (float(logs[key]) for key in ("loss", "reconstruction", "kl"))
        expected = (rec + value * kl) / n_pixels
        if math.isclose(loss, expected, rel_tol=1e-4, abs_tol=1e-6):
            continue
        where = f"with beta = {value:g} the loss is {loss:.5f}, expected (reconstruction + beta * kl) / {n_pixels} = " \
                f"{expected:.5f}"
        if math.isclose(loss, (rec + kl) / n_pixels, rel_tol=1e-4):
            return _wrong(f"{where}: your loss ignores beta and always uses the full KL term.")
        if math.isclose(loss, rec + value * kl, rel_tol=1e-4):
            return _wrong(f"{where}: divide by the number of pixels, like VAE.train_step.")
        if math.isclose(loss, (rec + value**2 * kl) / n_pixels, rel_tol=1e-4) or \
                math.isclose(loss, (rec + (1 - value) * kl) / n_pixels, rel_tol=1e-4):
            return _wrong(f"{where}: weight the KL term by beta itself.")
        return _wrong(f"{where}.")
    return _correct("beta is a non-trainable variable, and a training step minimises "
                    f"(reconstruction + beta * kl) / {n_pixels} at beta = 0, 0.25 and 1.")


def check_analytic_run(model, history, epochs: int) -> CheckResult:
    """ch06-analytic: a VAE trained with the closed-form KL, with a validation ELBO for every epoch.

    Call: ``checks.check_analytic_run(closed, closed_history, ex_epochs)``.
    """
    VAE = _vae_class()
    if not isinstance(model, VAE):
        raise TypeError(f"model must be the trained VAE (closed), got {type(model).__name__}.")
    if model.kl_estimator != "analytic":
        return _wrong(f"your model uses kl_estimator={model.kl_estimator!r}: build it with "
                      "conv_vae(..., kl_estimator='analytic').")
    logs = _history_dict(history)
    if "val_elbo" not in logs:
        return _wrong("the history has no val_elbo: pass validation_data=(mnist.x_valid,) to fit, as the chapter's "
                      "model was trained.")
    values = np.asarray(logs["val_elbo"], dtype=np.float64)
    if len(values) != epochs:
        return _wrong(f"the history has {len(values)} epochs; train for ex_epochs = {epochs}, like the curve you "
                      "compare it with.")
    if not np.all(np.isfinite(values)):
        return _wrong("the validation ELBO contains NaN or infinite values.")
    if epochs > 1 and not values[-1] > values[0]:
        return _wrong(f"the validation ELBO did not improve ({values[0]:.1f} after the first epoch, {values[-1]:.1f} "
                      "after the last): check the optimiser, Adam(1e-3), and the training data.")
    return _correct(f"closed-form KL, {epochs} epochs, validation ELBO from {values[0]:.1f} to {values[-1]:.1f} nats.")


def check_class_diversity(diversity, samples, labels) -> CheckResult:
    """ch06-temperature: the mean Euclidean distance between two samples of the same class, averaged over classes.

    Call: ``checks.check_class_diversity(diversity, drawn, asked)`` (after the loop: the last temperature).
    """
    from scipy.spatial.distance import pdist

    flat = np.asarray(samples, dtype=np.float64)
    flat = flat.reshape(len(flat), -1)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(flat):
        raise ValueError(f"Got {len(labels)} labels for {len(flat)} samples.")
    classes = np.unique(labels)
    groups = [flat[labels == c] for c in classes]
    expected = float(np.mean([pdist(g).mean() for g in groups]))
    answer = _numeric(diversity)
    if answer is None:
        return _wrong("could not read `diversity` as a number.")
    if answer.size == len(classes) and len(classes) > 1:
        return _wrong(f"you have one value per class ({answer.size}); average them into one number with np.mean.")
    if answer.size != 1:
        return _wrong(f"`diversity` should be one number, got shape {answer.shape}.")
    value = float(answer.reshape(()))
    if _isclose(value, expected, rel=1e-4):
        return _correct(f"mean distance within a class {expected:.2f}, averaged over {len(classes)} classes.")
    slips = [
        (np.mean([pdist(g, "sqeuclidean").mean() for g in groups]),
         "you averaged squared distances: use the Euclidean distance itself (pdist's default)."),
        (pdist(flat).mean(), "you averaged the distances between all pairs of samples, across classes: keep the pairs "
                             "within each class, pdist(flat[asked == d])."),
        (np.mean([pdist(g).mean() * (len(g) - 1) / len(g) for g in groups]),
         "you included each sample's zero distance to itself: average over distinct pairs only, as pdist does."),
    ]
    for value_slip, hint in slips:
        if _isclose(value, float(value_slip), rel=1e-4):
            return _wrong(hint)
    return _wrong(f"your diversity is {value:.3f}, expected {expected:.3f}: the mean over classes d of "
                  "pdist(flat[asked == d]).mean().")


def check_label_swap(swapped, model, sources, labels) -> CheckResult:
    """ch06-swap: each source's posterior mean decoded with every label, one row per source.

    ``swapped`` reshapes to ``(sources, labels, pixels)``; the reference encodes ``sources`` with their
    true ``labels`` and decodes the means with labels 0 to ``num_classes - 1``.

    Call: ``checks.check_label_swap(swapped, cvae, sources, mnist.y_test[:6])``.
    """
    VAE = _vae_class()
    if not isinstance(model, VAE) or not model.num_classes:
        raise TypeError("model must be the conditional VAE (cvae).")
    c = int(model.num_classes)
    sources = np.asarray(sources, dtype="float32")
    labels = np.asarray(labels).astype(int).reshape(-1)
    n = len(sources)
    means = model.encode(sources, labels)[0]
    codes = np.repeat(means, c, axis=0)
    reference = np.asarray(model.decode(codes, np.tile(np.arange(c), n)), dtype=np.float64).reshape(n, c, -1)
    answer = _numeric(swapped)
    if answer is None:
        return _wrong("could not read `swapped` as an array of numbers.")
    if answer.size != reference.size:
        return _wrong(f"expected {n} x {c} decoded images (shape {(n, c, *np.shape(sources)[1:])}), got an array of "
                      f"shape {answer.shape}.")
    answer = answer.reshape(n, c, -1)
    tol = dict(rtol=1e-3, atol=1e-4)
    if np.allclose(answer, reference, **tol):
        return _correct(f"each of the {n} rows decodes one digit's posterior mean with all {c} labels.")
    if np.allclose(answer.reshape(c, n, -1).transpose(1, 0, 2), reference, **tol):
        return _wrong("your images are ordered label by label: put the source first, so that each row holds one "
                      "digit's code with labels 0 to 9 (np.repeat the codes, np.tile the labels).")
    mixed = np.asarray(model.decode(codes, np.repeat(np.arange(c), n)), dtype=np.float64).reshape(n, c, -1)
    if np.allclose(answer, mixed, **tol):
        return _wrong("codes and labels are paired wrongly: with the codes repeated (np.repeat(means, 10, axis=0)) "
                      "the labels must cycle, np.tile(np.arange(10), 6).")
    zero_means = model.encode(sources, np.zeros_like(labels))[0]
    as_zero = np.asarray(model.decode(np.repeat(zero_means, c, axis=0), np.tile(np.arange(c), n)),
                         dtype=np.float64).reshape(n, c, -1)
    if np.allclose(answer, as_zero, **tol) and not np.all(labels == 0):
        return _wrong("you encoded every digit with label 0: encode with the true labels, cvae.encode(sources, "
                      "mnist.y_test[:6]).")
    return _wrong("the images are not the posterior means of the sources, decoded with each label: encode with the "
                  "true labels and decode the means (the first output of encode), not samples.")
