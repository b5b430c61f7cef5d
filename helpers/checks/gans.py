"""Checkers for the exercises of the part *Generative adversarial networks*: chapter 7 (GANs from
scratch), chapter 8 (DCGAN and the conditional GAN) and chapter 9 (Wasserstein GANs).
"""

from __future__ import annotations

import math

import numpy as np

from .verdict import (
    CheckResult,
    _as_float,
    _correct,
    _error,
    _history_dict,
    _isclose,
    _numeric,
    _wrong,
)


# --------------------------------------------------------------------------- chapter 7
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def check_optimal_discriminator(w, b, d_star=None, tol: float = 0.15) -> CheckResult:
    """ch07-dstar: the trained logistic regression's weight and bias against ``D*(x) = sigmoid(1/2 - x)``.

    ``w`` and ``b`` are the learnt weight and bias; ``d_star``, if given, is your closed-form ``D*`` as a
    function of an array of x, compared on a grid.

    Call: ``checks.check_optimal_discriminator(w, b)``.
    """
    xs = np.linspace(-4.0, 5.0, 91)
    optimum = _sigmoid(0.5 - xs)
    if d_star is not None:
        try:
            values = np.asarray(d_star(xs), dtype=np.float64).reshape(-1)
        except Exception as err:  # noqa: BLE001
            return _error("your d_star on an array of x", err)
        if values.shape != xs.shape or not np.allclose(values, optimum, atol=1e-6):
            if values.shape == xs.shape and np.allclose(values, _sigmoid(xs - 0.5), atol=1e-6):
                return _wrong("your D* is sigmoid(x - 1/2), the probability of the generator's distribution: "
                              "D* = p_data / (p_data + p_g) = sigmoid(1/2 - x).")
            if values.shape == xs.shape and np.allclose(values, 0.5 - xs, atol=1e-6):
                return _wrong("your D* is the logit 1/2 - x; D* is a probability, sigmoid(1/2 - x).")
            return _wrong("your D* differs from p_data / (p_data + p_g) = sigmoid(log p_data - log p_g) = "
                          "sigmoid(1/2 - x).")
    weight, bias = _as_float(w), _as_float(b)
    if weight is None or bias is None:
        return _wrong("`w` and `b` should be two numbers, the Dense layer's weight and bias.")
    if abs(weight + 1.0) <= tol and abs(bias - 0.5) <= tol:
        return _correct(f"weight {weight:.3f} and bias {bias:.3f}, close to the optimum -1 and 1/2: "
                        "D(x) = sigmoid(1/2 - x) is the best a discriminator can do.")
    if abs(weight - 1.0) <= tol and abs(bias + 0.5) <= tol:
        return _wrong(f"weight {weight:.3f}, bias {bias:.3f}: the optimum with both signs flipped, so your labels are "
                      "swapped. The data N(0, 1) is labelled 1, the generator's N(1, 1) 0.")
    if abs(weight + 1.0) <= tol and abs(bias + 0.5) <= tol:
        return _wrong(f"bias {bias:.3f}: the optimum is +1/2; where the densities are equal (x = 1/2) D must be 1/2. "
                      "Check which samples are labelled 1.")
    if weight < 0 and abs(weight) < 1.0 - tol:
        return _wrong(f"weight {weight:.3f}, bias {bias:.3f}: the right direction, but not there yet. Train longer "
                      "(5 epochs of Adam(0.05)) on the 40,000 samples.")
    return _wrong(f"weight {weight:.3f}, bias {bias:.3f}, far from the optimum -1 and 1/2: train Dense(1) with "
                  "BinaryCrossentropy(from_logits=True), the data labelled 1 and the generator's samples 0.")


def check_saturating_gan(gan, history, steps: int) -> CheckResult:
    """ch07-saturating: a ring GAN trained with the saturating generator loss for ``steps`` generator steps.

    Call: ``checks.check_saturating_gan(saturating, sat_history, ring_steps)``.
    """
    kind = getattr(gan, "generator_loss", None)
    if kind is None:
        raise TypeError(f"gan must be the trained GAN (saturating), got {type(gan).__name__}.")
    if kind != "saturating":
        return _wrong(f"your GAN uses generator_loss={kind!r}: pass generator_loss='saturating' to ring_gan (it goes "
                      "on to mlp_gan and GAN).")
    logs = _history_dict(history)
    if "d_fake" not in logs:
        return _wrong(f"the history has no d_fake entry (it has {sorted(logs)}): use the History that fit returns.")
    d_fake = np.asarray(logs["d_fake"], dtype=np.float64)
    taken = int(gan.g_optimizer.iterations.numpy()) if getattr(gan, "g_optimizer", None) is not None else 0
    if taken != steps:
        return _wrong(f"its generator took {taken:,} steps; compare at the vanilla GAN's budget, {steps:,} steps "
                      "(train_ring does that).")
    if not np.all((d_fake >= 0.0) & (d_fake <= 1.0)):
        return _wrong("d_fake should be a probability (mean D(G(z))), between 0 and 1.")
    return _correct(f"saturating loss for {steps:,} generator steps; final mean D(G(z)) {d_fake[-1]:.3f}.")


def _kid_pair(value) -> tuple[float, float] | None:
    array = _numeric(value)
    if array is None or array.size != 2:
        return None
    mean, std = array.reshape(-1)
    return float(mean), float(std)


def check_kid(kid_gan, kid_real) -> CheckResult:
    """ch07-kid: KID ``(mean, std)`` of the GAN against real images, and of real against real.

    Real against real must scatter around zero (within a few of its standard deviations); the GAN's must
    lie clearly above.

    Call: ``checks.check_kid(kid_gan, kid_real)``.
    """
    gan, real = _kid_pair(kid_gan), _kid_pair(kid_real)
    if gan is None or real is None:
        return _wrong("pass the (mean, std) pairs that metrics.kernel_inception_distance returns, for the GAN and for "
                      "real images.")
    slack = 4.0 * real[1] + 0.005
    if abs(gan[0]) <= 4.0 * gan[1] + 0.005 and real[0] > slack:
        return _wrong("the two are swapped: the real-versus-real KID is the one that should be near zero.")
    if real[0] < -slack:
        return _wrong(f"real versus real gives {real[0]:.4f} ± {real[1]:.4f}, well below zero: the two real sets "
                      "overlap (the same images on both sides make the cross term large). Use disjoint halves, "
                      "real_features[half:] against real_features[:half].")
    if real[0] > slack:
        return _wrong(f"real versus real gives {real[0]:.4f} ± {real[1]:.4f}, far from zero: compare two disjoint "
                      "halves of the same real test features.")
    if not gan[0] > real[0] + 3.0 * max(gan[1], real[1]):
        return _wrong(f"the GAN's KID ({gan[0]:.4f} ± {gan[1]:.4f}) is not clearly above real versus real: did you "
                      "pass the GAN's features, metrics.classifier_features(classifier, generated[:half])?")
    return _correct(f"real versus real {real[0]:.4f} ± {real[1]:.4f} scatters around zero, the GAN's {gan[0]:.4f} ± "
                    f"{gan[1]:.4f} lies clearly above: no floor to subtract.")


# --------------------------------------------------------------------------- chapter 8
def check_label_blend(codes, first: int, second: int, steps: int = 8, num_classes: int = 10) -> CheckResult:
    """ch08-class-morph: ``steps`` label codes ``(1 - t) e_first + t e_second`` for t from 0 to 1.

    Call: ``checks.check_label_blend(codes, first, second)`` (after the loop: the last pair of classes).
    """
    t = np.linspace(0.0, 1.0, steps)[:, None]
    eye = np.eye(num_classes)
    expected = (1 - t) * eye[int(first)] + t * eye[int(second)]
    answer = _numeric(codes)
    if answer is None:
        return _wrong("could not read `codes` as an array of numbers.")
    if answer.shape != expected.shape:
        if answer.ndim == 1 or (answer.ndim == 2 and answer.shape[1] == 1):
            return _wrong("the generator's label input takes one-hot vectors of 10 numbers, not class numbers: blend "
                          "np.eye(10)[first] and np.eye(10)[second].")
        return _wrong(f"expected {steps} codes of {num_classes} numbers, shape {expected.shape}; got {answer.shape}.")
    if np.allclose(answer, expected, atol=1e-6):
        return _correct(f"{steps} codes from class {first} to class {second}, each a blend that sums to 1.")
    if np.allclose(answer, expected[::-1], atol=1e-6):
        return _wrong(f"your codes run from class {second} to class {first}: at t = 0 the code is e_first.")
    if not np.allclose(answer.sum(axis=1), 1.0, atol=1e-6):
        return _wrong("a blend of two one-hot codes sums to 1: use (1 - t) * e_first + t * e_second.")
    if np.allclose(answer[[0, -1]], expected[[0, -1]], atol=1e-6):
        return _wrong(f"the end points are right but the steps are not even: t = np.linspace(0, 1, {steps}).")
    return _wrong(f"the codes should be (1 - t) e_{first} + t e_{second} with t = np.linspace(0, 1, {steps}).")


def check_nearest(nearest) -> CheckResult:
    """ch08-memorise: ``nearest(images, pool)`` returns each image's nearest pool index and Euclidean distance.

    Tried on small random images whose answer the check computes directly.

    Call: ``checks.check_nearest(nearest)``.
    """
    rng = np.random.default_rng(0)
    pool = rng.random((40, 6, 6)).astype("float32")
    images = rng.random((5, 6, 6)).astype("float32")
    flat, flat_pool = images.reshape(5, -1).astype(np.float64), pool.reshape(40, -1).astype(np.float64)
    d = np.sqrt(((flat[:, None, :] - flat_pool[None, :, :]) ** 2).sum(-1))
    idx_ref, dist_ref = d.argmin(axis=1), d.min(axis=1)
    try:
        out = nearest(images, pool)
    except Exception as err:  # noqa: BLE001
        return _error("nearest on 5 images and a pool of 40", err)
    if not isinstance(out, tuple | list) or len(out) != 2:
        return _wrong("nearest should return two arrays, (indices, distances).")
    idx, dist = _numeric(out[0]), _numeric(out[1])
    if idx is None or dist is None:
        return _wrong("could not read the indices and distances as arrays of numbers.")
    if idx.shape != (5,) or dist.shape != (5,):
        return _wrong(f"for 5 images nearest should return 5 indices and 5 distances, got shapes {idx.shape} and "
                      f"{dist.shape}: take the argmin over the pool (axis=1).")
    if np.array_equal(idx, d.argmax(axis=1)):
        return _wrong("your indices pick the farthest pool image: use argmin, not argmax.")
    if not np.array_equal(idx, idx_ref):
        return _wrong("your indices are not those of the nearest pool images by Euclidean distance between pixels.")
    if np.allclose(dist, dist_ref, rtol=1e-4):
        return _correct("indices and Euclidean distances of the nearest pool images match.")
    if np.allclose(dist, dist_ref**2, rtol=1e-4):
        return _wrong("your distances are squared: return np.sqrt of them (clipped at 0 against rounding).")
    if np.allclose(dist, dist_ref / math.sqrt(flat.shape[1]), rtol=1e-4):
        return _wrong("your distances are per-pixel root mean squares; the exercise uses the Euclidean distance, the "
                      "root of the sum over pixels.")
    return _wrong("the indices are right but the distances are not the Euclidean distances to those images.")


def check_darkness_direction(direction, z, darkness, k: int = 3) -> CheckResult:
    """ch08-arithmetic: mean ``z`` of the ``k`` darkest samples minus that of the ``k`` palest.

    Call: ``checks.check_darkness_direction(direction, pullover_z, darkness_of(pullovers, per_image=True))``.
    """
    z = np.asarray(z, dtype=np.float64)
    darkness = np.asarray(darkness, dtype=np.float64).reshape(-1)
    if len(darkness) != len(z):
        raise ValueError(f"Got {len(darkness)} darkness values for {len(z)} noise vectors.")
    order = np.argsort(darkness)

    def concept(n: int) -> np.ndarray:
        return z[order[-n:]].mean(0) - z[order[:n]].mean(0)

    expected = concept(k)
    answer = _numeric(direction)
    if answer is None:
        return _wrong("could not read `direction` as an array of numbers.")
    if answer.shape != expected.shape:
        return _wrong(f"`direction` should be a noise vector of shape {expected.shape}, got {answer.shape}: average "
                      "the noise vectors, not the images.")
    tol = dict(rtol=1e-4, atol=1e-5)
    if np.allclose(answer, expected, **tol):
        return _correct(f"the mean noise of the {k} darkest samples minus that of the {k} palest; its length is "
                        f"{np.linalg.norm(expected):.2f}.")
    if np.allclose(answer, -expected, **tol):
        return _wrong("your direction points from dark to pale: subtract the palest samples' mean from the darkest's "
                      "(np.argsort sorts from pale to dark).")
    if np.allclose(answer, k * expected, **tol):
        return _wrong(f"you summed the {k} noise vectors; take their means.")
    for n in range(1, min(30, len(z) // 2) + 1):
        if n != k and np.allclose(answer, concept(n), **tol):
            return _wrong(f"you used the {n} darkest and palest samples; the exercise takes {k} of each.")
    return _wrong(f"`direction` should be z[order[-{k}:]].mean(0) - z[order[:{k}]].mean(0) with order = "
                  "np.argsort(darkness).")


# --------------------------------------------------------------------------- chapter 9
def _takes_weight(fn) -> bool:
    import inspect

    try:
        return "weight" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def check_one_sided_penalty(one_sided_penalty, weight: float = 10.0) -> CheckResult:
    """ch09-one-sided: ``weight * E[max(0, ||grad C(x_hat)|| - 1)^2]`` on interpolates of real and fake.

    Calls ``one_sided_penalty(critic, real, fake)`` (with ``weight=`` if it takes one) on linear critics
    of slope 0.5 and 3, whose penalties are known, and on a quadratic critic that records where it is
    evaluated, so that the check can tell interpolates from real or fake samples.

    Call: ``checks.check_one_sided_penalty(one_sided_penalty)``.
    """
    from keras import ops

    rng = np.random.default_rng(0)
    real, fake = (rng.normal(size=(64, 2)).astype("float32") for _ in range(2))
    kwargs = {"weight": weight} if _takes_weight(one_sided_penalty) else {}

    def penalty_of(critic) -> float:
        return float(np.asarray(one_sided_penalty(critic, real, fake, **kwargs)))

    def linear(length: float):
        w = (length * np.array([0.6, 0.8], dtype="float32"))[:, None]
        return lambda x: ops.matmul(x, w)[:, 0]

    try:
        gentle, steep = penalty_of(linear(0.5)), penalty_of(linear(3.0))
    except Exception as err:  # noqa: BLE001
        return _error("one_sided_penalty(critic, real, fake) with a linear critic", err)
    target = weight * 4.0
    got = f"for linear critics of slope 0.5 and 3 your penalty is {gentle:.3f} and {steep:.3f} (expected 0 and " \
          f"{target:g})"
    if not (abs(gentle) < 1e-4 and _isclose(steep, target, rel=1e-3)):
        if _isclose(gentle, weight * 0.25, rel=1e-3) and _isclose(steep, target, rel=1e-3):
            return _wrong(f"{got}: you also penalise gentle slopes, which is the two-sided penalty. Use "
                          "max(0, norm - 1) ** 2.")
        if _isclose(gentle, weight * 0.25, rel=1e-3) and abs(steep) < 1e-4:
            return _wrong(f"{got}: you penalise the wrong side, slopes below 1. Use max(0, norm - 1), not "
                          "max(0, 1 - norm).")
        if abs(gentle) < 1e-4 and _isclose(steep, weight * 2.0, rel=1e-3):
            return _wrong(f"{got}: square the excess, max(0, norm - 1) ** 2.")
        if abs(gentle) < 1e-4 and _isclose(steep, 4.0, rel=1e-3):
            return _wrong(f"{got}: multiply by the weight lambda = {weight:g}.")
        return _wrong(f"{got}.")
    seen: list = []

    def quadratic(x):
        seen.append(x)
        return 0.5 * ops.sum(x**2, axis=-1)  # gradient x, so the norm at x is |x|

    try:
        value = penalty_of(quadratic)
    except Exception as err:  # noqa: BLE001
        return _error("one_sided_penalty with a quadratic critic", err)
    if not seen:
        return _wrong("your penalty never called the critic.")
    points = np.asarray(seen[-1], dtype=np.float64)
    if points.shape != real.shape:
        return _wrong(f"the critic was evaluated on a batch of shape {points.shape}; the interpolates have the shape "
                      f"of the real batch, {real.shape}.")
    if np.allclose(points, fake, atol=1e-6):
        return _wrong("the gradient is taken at the fake samples; take it at interpolates between real and fake "
                      "samples, losses.random_interpolates(real, fake).")
    if np.allclose(points, real, atol=1e-6):
        return _wrong("the gradient is taken at the real samples; take it at interpolates between real and fake "
                      "samples, losses.random_interpolates(real, fake).")
    d = real.astype(np.float64) - fake
    t = np.sum((points - fake) * d, axis=1) / np.sum(d**2, axis=1)
    off_line = np.abs(points - (fake + t[:, None] * d)).max()
    if off_line > 1e-4 or t.min() < -1e-4 or t.max() > 1 + 1e-4:
        return _wrong("the critic was evaluated at points that are not on the lines between paired real and fake "
                      "samples: use losses.random_interpolates(real, fake).")
    if np.ptp(t) < 1e-6:
        return _wrong("every example uses the same alpha: draw one alpha per example (random_interpolates does).")
    norms = np.linalg.norm(points, axis=1)
    expected = weight * float(np.mean(np.maximum(norms - 1.0, 0.0) ** 2))
    if _isclose(value, expected, rel=1e-3, abs_tol=1e-5):
        return _correct(f"{got.replace('your penalty is', 'the penalty is')}; on a curved critic it matches "
                        "weight * mean(max(0, |grad| - 1)^2) at the interpolates. Unlike the two-sided penalty, "
                        "it leaves critics with gentle slopes alone.")
    if _isclose(value, weight * max(float(norms.mean()) - 1.0, 0.0) ** 2, rel=1e-3, abs_tol=1e-5):
        return _wrong("you averaged the norms before taking max(0, norm - 1): take it for every example, then the "
                      "mean.")
    return _wrong(f"on a curved critic your penalty is {value:.4f}, expected {expected:.4f}: "
                  "weight * mean(max(0, norms - 1) ** 2) with the norms from losses.input_gradient_norms.")


def check_critic_estimate(estimate, p, q, critic=None, steps: int | None = None) -> CheckResult:
    """ch09-critic-1d: the critic's Earth-Mover estimate against the exact W1 of the two samples.

    A soft penalty lets the estimate miss by some percent either way; the check accepts 0.8 to 1.25
    times the exact value. Given ``critic`` (the function from a batch of shape (n, 1) to scores), the
    message also reports its slope between the two masses (ideally of magnitude 1).

    ``steps`` is the number of training steps; below 100 an estimate that is too small is put down to the
    short training.

    Call: ``checks.check_critic_estimate(estimate_1d, p_1d, q_1d, critic_fn, settings["ex_steps"])``.
    """
    from scipy import stats

    p, q = np.asarray(p, dtype=np.float64).reshape(-1), np.asarray(q, dtype=np.float64).reshape(-1)
    exact = float(stats.wasserstein_distance(p, q))
    value = _as_float(estimate)
    if value is None:
        return _wrong("`estimate` should be one number, E_p[C] - E_q[C] over all the points.")
    ratio = value / exact
    summary = f"estimate {value:.3f}, exact W1 {exact:.3f}"
    if 0.8 <= ratio <= 1.25:
        message = f"{summary} ({ratio - 1:+.0%})."
        if critic is not None:
            xs = np.linspace(float(np.median(p)), float(np.median(q)), 41, dtype="float32")[:, None]
            try:
                scores = np.asarray(critic(xs), dtype=np.float64).reshape(-1)
            except Exception as err:  # noqa: BLE001
                return _error("your critic on a batch of shape (41, 1)", err)
            slope = float(np.mean(np.abs(np.diff(scores) / np.diff(xs[:, 0]))))
            message += f" Between the two medians the critic's slope averages {slope:.2f} in magnitude (ideal: 1)."
        return _correct(message)
    if -1.25 <= ratio <= -0.8:
        return _wrong(f"{summary}: the sign is flipped. Report E_p[C] - E_q[C], the gap the critic maximises.")
    if ratio > 1.25:
        return _wrong(f"{summary}: the estimate is too large, so the critic is steeper than 1-Lipschitz. Is the "
                      "gradient penalty (weight 10) in the critic's loss, loss = -gap + penalty?")
    if steps is not None and steps < 100 and ratio > 0:
        return _correct(f"{summary}: still below the exact value after only {steps} steps; with a few hundred (the "
                        "book's budget) the estimate comes within some percent of it.")
    return _wrong(f"{summary}: the estimate is too small. Train for a few hundred Adam steps, and check that the "
                  "loss is -gap + penalty, so that minimising it maximises the gap.")


def check_conv_wgan(model, subset, n_images: int) -> CheckResult:
    """ch09-dcgan-critic: a convolutional WGAN-GP without batch norm, trained on images with a channel axis.

    Call: ``checks.check_conv_wgan(conv_gp, subset, settings["ex_images"])``.
    """
    import keras

    critic, penalty = getattr(model, "discriminator", None), getattr(model, "penalty", None)
    if critic is None or penalty is None:
        raise TypeError(f"model must be the WGAN conv_gp, got {type(model).__name__}.")
    if penalty != "gp":
        return _wrong(f"your WGAN uses penalty={penalty!r}: the exercise compares WGAN-GPs, wgan('gp', ...).")
    layers = _all_layers(critic)
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in layers):
        return _wrong("your critic has no convolutions: pass arch='dcgan' to wgan.")
    if any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers):
        return _wrong("your critic uses batch normalisation, which mixes the examples of a batch; the gradient "
                      "penalty is defined per example. Keep wgan's default critic_norm (layer normalisation).")
    x = np.asarray(subset)
    if x.ndim == 3:
        return _wrong(f"your images have shape {x.shape[1:]}; the convolutional networks take a channel axis, "
                      "fashion.x_train[:n, ..., None].")
    if len(x) != int(n_images):
        return _wrong(f"you trained on {len(x):,} images; the exercise uses the first {int(n_images):,}.")
    if x.min() < 0.0 or x.max() > 1.0:
        return _wrong("pass the images in [0, 1]: the WGAN rescales them to the generator's [-1, 1] itself.")
    return _correct(f"a convolutional WGAN-GP critic without batch norm, trained on {len(x):,} images of shape "
                    f"{x.shape[1:]}.")


def _all_layers(model) -> list:
    """Every layer of ``model``, looking inside nested models."""
    import keras

    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        if isinstance(layer, keras.Model):
            out.extend(_all_layers(layer))
    return out
