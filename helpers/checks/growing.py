"""Checkers for the exercises of the part *High resolution*: chapter 12 (the progressive GAN) and
chapter 13 (StyleGAN).
"""

from __future__ import annotations

import math

import numpy as np

from .verdict import (
    CheckResult,
    _as_float,
    _correct,
    _error,
    _isclose,
    _numeric,
    _wrong,
)


# --------------------------------------------------------------------------- chapter 12
def check_he_scale(scale, squares, n_in: int = 256) -> CheckResult:
    """ch12-he: the second run's run-time scale (1) and the growth of its mean squares (about n_in / 2 per layer).

    Call: ``checks.check_he_scale(layer.scale, squares)``.
    """
    s = _as_float(scale)
    if s is None:
        return _wrong("`scale` should be one number, the layer's run-time scale.")
    if not _isclose(s, 1.0, rel=1e-3):
        if _isclose(s, math.sqrt(2.0 / n_in), rel=1e-3):
            return _wrong(f"scale {s:.3f} is the He constant sqrt(2 / {n_in}), the first run's; the second run needs "
                          f"scale 1.")
        if _isclose(s, math.sqrt(n_in), rel=1e-3):
            return _wrong(f"scale {s:g}: the scale is gain / sqrt(n_in), so gain = {n_in} gives {s:g}; a scale of 1 "
                          f"needs gain = sqrt({n_in}) = {math.sqrt(n_in):g}.")
        if _isclose(s, 1.0 / math.sqrt(n_in), rel=1e-3):
            return _wrong(f"scale {s:g}: gain = 1 gives 1 / sqrt(n_in); a scale of 1 needs gain = sqrt({n_in}).")
        return _wrong(f"scale {s:g}: the scale is gain / sqrt(n_in); choose gain = sqrt({n_in}) for a scale of 1.")
    values = _numeric(squares)
    if values is None or values.ndim != 1 or len(values) < 2:
        return _wrong("`squares` should be the list of mean squares, one per layer.")
    if len(values) != 10:
        return _wrong(f"you have {len(values)} mean squares; the exercise stacks ten layers.")
    finite = values[np.isfinite(values) & (values > 0)]
    if len(finite) < 2:
        return _wrong("the mean squares overflow at once; they should grow by about a factor 128 per layer, which "
                      "float32 holds for ten layers.")
    growth = float(np.exp(np.mean(np.diff(np.log(finite)))))
    half = n_in / 2
    if 0.6 * half <= growth <= 1.6 * half:
        return _correct(f"scale 1, and the mean square grows about {growth:.0f}-fold per layer, close to "
                        f"n_in / 2 = {half:g}: each layer multiplies it by n_in, each ReLU halves it.")
    if 0.6 * n_in <= growth <= 1.6 * n_in:
        return _wrong(f"the mean square grows about {growth:.0f}-fold per layer, close to n_in = {n_in}: did you "
                      "leave out the ReLU? It keeps half of the second moment; apply keras.ops.relu after each layer.")
    if 0.5 <= growth <= 2.0:
        return _wrong(f"these mean squares stay near their start (growth {growth:.2f} per layer), like the He run's: "
                      "pass the squares of the scale-1 run.")
    return _wrong(f"the mean square changes by a factor {growth:.3g} per layer; with scale 1 and a ReLU it should "
                  f"grow by about n_in / 2 = {half:g}.")


def check_scale_invariance(difference) -> CheckResult:
    """ch12-pixelnorm-z: the largest pixel difference between the samples of z and of 10 z (zero up to rounding).

    Call: ``checks.check_scale_invariance(difference)``.
    """
    value = _as_float(difference)
    if value is None:
        return _wrong("`difference` should be one number, the largest absolute pixel difference.")
    if not np.isfinite(value) or value < 0:
        return _wrong(f"a largest absolute difference cannot be {value}.")
    if value < 1e-3:
        note = " (exactly zero: check that you passed 10 * z_check to the second call)" if value == 0.0 else ""
        return _correct(f"the samples of z and 10 z agree to {value:.1e}{note}: PixelNorm divides z by its root mean "
                        "square, so only the direction of z matters.")
    return _wrong(f"the samples differ by up to {value:.3g}, more than rounding: generate both from the same z_check, "
                  "once as z=z_check and once as z=10 * z_check (scale the noise, not the images).")


def _minibatch_std(h: np.ndarray, group_size: int) -> float:
    """ProGAN's minibatch standard deviation of ``h`` (N, H, W, C), averaged over the groups."""
    n = len(h)
    g = min(group_size, n)
    if n % g:
        g = n
    grouped = h.reshape(g, -1, *h.shape[1:])
    return float(np.sqrt(grouped.var(axis=0) + 1e-8).mean())


def check_mbstd_features(features, real_batch, copies, resolution: int = 4, group_size: int = 4) -> CheckResult:
    """ch12-mbstd: ``features(x)`` must return the critic's input to the minibatch std-dev layer.

    That input is the ``resolution`` x ``resolution`` feature map after all the critic's blocks; on it the
    minibatch standard deviation (computed here in NumPy) is near zero for copies of one image and
    clearly positive for varied images.

    Call: ``checks.check_mbstd_features(critic_features, real_batch, copies)``.
    """
    x_real, x_copy = np.asarray(real_batch), np.asarray(copies)
    try:
        h_real = np.asarray(features(x_real), dtype=np.float64)
        h_copy = np.asarray(features(x_copy), dtype=np.float64)
    except Exception as err:  # noqa: BLE001
        return _error("your feature function on real_batch and copies", err)
    if h_real.ndim != 4:
        return _wrong(f"the features should be feature maps (batch, height, width, channels), got shape "
                      f"{h_real.shape}: stop before the std-dev layer, not after the dense layers.")
    if h_real.shape == x_real.shape:
        return _wrong("these are the images themselves: run from_rgb and the critic's blocks first.")
    if h_real.shape[1:3] != (resolution, resolution):
        return _wrong(f"your features are {h_real.shape[1]}x{h_real.shape[2]} maps; the std-dev layer sees "
                      f"{resolution}x{resolution} maps, after every block down to stage 1 "
                      "(for k in range(critic.stages - 1, 0, -1)).")
    s_real, s_copy = _minibatch_std(h_real, group_size), _minibatch_std(h_copy, group_size)
    if not s_copy < 1e-3:
        return _wrong(f"copies of one image give a std-dev feature of {s_copy:.4f}, not about zero: the features of "
                      "identical images must be identical (call the layers in inference mode).")
    if not s_real > 10 * max(s_copy, 1e-4):
        return _wrong(f"varied images give a std-dev feature of only {s_real:.4f}: are real_batch and copies the "
                      "right batches?")
    return _correct(f"{resolution}x{resolution} feature maps with {h_real.shape[-1]} channels; the minibatch std-dev "
                    f"is {s_real:.4f} for varied images and {s_copy:.4f} for copies of one.")


# --------------------------------------------------------------------------- chapter 13
def check_class_entropy(entropy, shares) -> CheckResult:
    """ch13-truncation-variety: the entropy in bits of the class shares (after the loop: psi = 1).

    Call: ``checks.check_class_entropy(entropy, shares)``.
    """
    p = _numeric(shares)
    if p is None or p.ndim != 1:
        raise ValueError("shares must be the 1-D array that metrics.class_coverage returns.")
    if not _isclose(float(p.sum()), 1.0, rel=1e-6):
        return _wrong(f"the shares sum to {p.sum():.4f}, not 1: use the shares from metrics.class_coverage, not "
                      "counts.")
    nonzero = p[p > 0]
    expected = float(-np.sum(nonzero * np.log2(nonzero)))
    value = _as_float(entropy)
    if value is None:
        return _wrong("`entropy` should be one number.")
    if not np.isfinite(value):
        return _wrong("your entropy is not finite: an empty class gives 0 * log(0); sum over the shares above 0 "
                      "(0 log 0 counts as 0).")
    if _isclose(value, expected, rel=1e-4):
        return _correct(f"{expected:.2f} bits, of at most log2({len(p)}) = {math.log2(len(p)):.2f} for equally used "
                        "classes.")
    if _isclose(value, expected * math.log(2), rel=1e-4):
        return _wrong("that is the entropy in nats (natural log); the exercise asks for bits: use np.log2.")
    if _isclose(value, -expected, rel=1e-4):
        return _wrong("the sign is flipped: the entropy is -sum(p log2 p), which is positive.")
    return _wrong(f"your entropy is {value:.3f}, expected {expected:.3f} = -sum(p * log2(p)) over the shares above 0.")


def check_path_change(ratio, images) -> CheckResult:
    """ch13-z-versus-w: squared pixel change per step relative to the squared change between the endpoints.

    ``images`` is the path batch of shape ``(steps + 1, paths, pixels)`` and ``ratio`` the array of shape
    ``(steps, paths)`` computed from it (after the loop: the path in w).

    Call: ``checks.check_path_change(ratio, images)``.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 3:
        raise ValueError(f"images must have shape (steps + 1, paths, pixels), got {x.shape}.")
    x = x.reshape(x.shape[0], x.shape[1], -1)
    step = ((x[1:] - x[:-1]) ** 2).mean(axis=-1)
    total = ((x[-1] - x[0]) ** 2).mean(axis=-1) + 1e-12
    expected = step / total
    answer = _numeric(ratio)
    if answer is None:
        return _wrong("could not read `ratio` as an array of numbers.")
    if answer.shape != expected.shape:
        return _wrong(f"`ratio` should have one value per step and path, shape {expected.shape}; got {answer.shape}.")
    tol = dict(rtol=1e-3, atol=1e-9)
    n = len(expected)
    if np.allclose(answer, expected, **tol):
        return _correct(f"mean step change {expected.mean():.4f} of the endpoint change (a perfectly even path "
                        f"would give 1 / {n}^2 = {1 / n**2:.4f}), largest step {expected.max(axis=0).mean():.4f} on "
                        "average over the paths.")
    if np.allclose(answer, step, **tol):
        return _wrong("you did not normalise: divide each step's squared change by the squared change between the "
                      "path's two endpoints.")
    if np.allclose(answer, step / step.sum(axis=0), **tol):
        return _wrong("you divided by the sum of the steps; the exercise divides by the squared change between the "
                      "endpoints, ((images[-1] - images[0]) ** 2).mean(axis=-1).")
    absolute = np.abs(x[1:] - x[:-1]).mean(axis=-1) / (np.abs(x[-1] - x[0]).mean(axis=-1) + 1e-12)
    if np.allclose(answer, absolute, **tol):
        return _wrong("you used absolute changes; the exercise compares mean squared pixel changes.")
    return _wrong("`ratio` differs from ((images[1:] - images[:-1]) ** 2).mean(-1) / ((images[-1] - images[0]) ** 2)"
                  ".mean(-1).")


def check_noise_restored(current, saved, with_noise, without_noise) -> CheckResult:
    """ch13-no-noise: the noise scales are back to their saved values, and switching them off changed the images.

    ``current`` are the noise scales now (as arrays), ``saved`` the values saved before zeroing them.

    Call: ``checks.check_noise_restored([n.noise_scale.numpy() for n in gan.synthesis_ema.noises], saved,
    with_noise, without_noise)`` (the moving-average network, which draws the samples).
    """
    now = [np.asarray(c, dtype=np.float64) for c in current]
    before = [np.asarray(s, dtype=np.float64) for s in saved]
    if len(now) != len(before):
        return _wrong(f"you saved {len(before)} noise scales, the synthesis network has {len(now)}.")
    if all(np.all(s == 0) for s in before) and any(np.any(c != 0) for c in now):
        return _wrong("your saved values are all zero but the scales are not: save copies before zeroing, "
                      "n.noise_scale.numpy().copy().")
    if all(np.all(s == 0) for s in before):
        return _wrong("your saved values are all zero: you kept references to the variables, which the zeroing "
                      "changed too. Save copies, n.noise_scale.numpy().copy(), before zeroing.")
    if not all(c.shape == s.shape and np.allclose(c, s) for c, s in zip(now, before, strict=True)):
        if all(np.all(c == 0) for c in now):
            return _wrong("the noise scales are still zero: assign the saved values back, or every later cell "
                          "generates without noise.")
        return _wrong("the noise scales differ from the saved values: restore each one with "
                      "n.noise_scale.assign(values).")
    a, b = np.asarray(with_noise, dtype=np.float64), np.asarray(without_noise, dtype=np.float64)
    if a.shape != b.shape:
        return _wrong(f"the two grids differ in shape, {a.shape} and {b.shape}: generate the same 16 styles twice.")
    diff = float(np.abs(a - b).mean())
    if diff < 1e-7:
        return _wrong("the two grids are identical: zero the scales between the two generate calls, and pass the "
                      "same z and noise maps to both.")
    return _correct(f"the noise scales are restored, and without noise the images change by {diff:.4f} on average "
                    "per pixel.")
