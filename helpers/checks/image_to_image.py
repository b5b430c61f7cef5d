"""Checkers for the exercises of the part *Image-to-image*: chapter 10 (CycleGAN) and chapter 11
(neural style transfer).
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


# --------------------------------------------------------------------------- chapter 10
def check_colour_drift(colour_drift) -> CheckResult:
    """ch10-identity: ``colour_drift(translated, inputs)`` = mean |mean colour of each output - of its input|.

    Tried on small random RGB batches whose drift the check computes itself.

    Call: ``checks.check_colour_drift(colour_drift)``.
    """
    rng = np.random.default_rng(0)
    inputs = rng.random((6, 4, 4, 3))
    translated = np.clip(inputs + rng.normal(0.0, 0.2, (6, 1, 1, 3)) + rng.normal(0.0, 0.05, inputs.shape), 0, 1)
    translated, inputs = translated.astype("float32"), inputs.astype("float32")
    t, x = translated.astype(np.float64), inputs.astype(np.float64)
    colours_t, colours_x = t.mean(axis=(1, 2)), x.mean(axis=(1, 2))
    expected = float(np.mean(np.abs(colours_t - colours_x)))
    try:
        value = _as_float(colour_drift(translated, inputs))
    except Exception as err:  # noqa: BLE001
        return _error("colour_drift on two batches of 6 RGB images", err)
    if value is None:
        return _wrong("colour_drift should return one number.")
    if _isclose(value, expected, rel=1e-4):
        return _correct("one mean colour per image and channel, compared with its own input's, absolute differences "
                        "averaged.")
    slips = [
        (np.mean(np.abs(t.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3)))),
         "you averaged over the colour channels too, which measures brightness: keep one mean per channel, "
         "axis=(1, 2)."),
        (np.mean(np.abs(t.mean(axis=(0, 1, 2)) - x.mean(axis=(0, 1, 2)))),
         "you compared the average colour of the whole batch: compare each translated image with its own input "
         "(means over axis=(1, 2) only)."),
        (np.mean((colours_t - colours_x) ** 2), "you squared the differences: take their absolute values."),
        (np.mean(colours_t - colours_x), "signed differences cancel out: take np.abs of them before averaging."),
        (np.mean(np.abs(t - x)), "that is the mean absolute pixel difference; the exercise compares mean colours, "
                                 "translated.mean(axis=(1, 2)) against inputs.mean(axis=(1, 2))."),
    ]
    for slip, hint in slips:
        if _isclose(value, float(slip), rel=1e-4):
            return _wrong(hint)
    return _wrong(f"your drift is {value:.4f}, expected {expected:.4f}: np.mean(np.abs(translated.mean(axis=(1, 2)) - "
                  "inputs.mean(axis=(1, 2)))).")


def check_pool_share(share, total=None, probability: float = 0.5, expected_total: int = 1000) -> CheckResult:
    """ch10-pool: the share of returned images that came from the pool, against the documented probability.

    Call: ``checks.check_pool_share(from_pool / total, total)``.
    """
    value = _as_float(share)
    if value is None:
        return _wrong("`share` should be one number, from_pool / total.")
    if total is not None and int(total) != expected_total:
        return _wrong(f"you counted {int(total):,} returned images; 200 batches of 5 return {expected_total:,}.")
    standard_error = math.sqrt(probability * (1 - probability) / expected_total)
    if abs(value - probability) <= 4 * standard_error:
        return _correct(f"share {value:.3f}, within sampling error (± {standard_error:.3f}) of the documented "
                        f"{probability:g}.")
    if value == 0.0:
        return _wrong("no returned image came from the pool: after filling it with ten images, count the returned "
                      "values that are not among the current batch's tags.")
    if value >= 1.0:
        return _wrong("every returned image counts as coming from the pool: one that is among the current batch's "
                      "tags is a fresh image, returned unchanged.")
    return _wrong(f"share {value:.3f}, {abs(value - probability) / standard_error:.0f} standard errors from the "
                  f"documented {probability:g}: count, over all 1,000 returned images, those whose tag is not in the "
                  "current batch.")


def check_moment_matching(matched, train_a, train_b, test_a) -> CheckResult:
    """ch10-moments: per-channel moment matching of A's test images to B's training statistics, clipped to [0, 1].

    Call: ``checks.check_moment_matching(matched, emoji.train_a, emoji.train_b, emoji.test_a)``.
    """
    a, b, x = (np.asarray(v, dtype=np.float64) for v in (train_a, train_b, test_a))

    def match(mu_a, sd_a, mu_b, sd_b, images=x, clip=True):
        out = mu_b + sd_b * (images - mu_a) / sd_a
        return np.clip(out, 0, 1) if clip else out

    def stats(v, axis=(0, 1, 2)):
        return v.mean(axis=axis), v.std(axis=axis)

    expected = match(*stats(a), *stats(b))
    answer = _numeric(matched)
    if answer is None:
        return _wrong("could not read `matched` as an array of numbers.")
    if answer.shape != expected.shape:
        return _wrong(f"`matched` should have the shape of the test images, {expected.shape}; got {answer.shape}.")
    tol = dict(rtol=1e-4, atol=1e-4)
    # Statistics summed in the images' own precision (float32 over a million pixels) differ from float64 ones by
    # more than the tolerance, so the same map computed in float32 counts as right too.
    a32, b32, x32 = (np.asarray(v, dtype=np.float32) for v in (train_a, train_b, test_a))
    expected32 = match(*stats(a32), *stats(b32), images=x32)
    if np.allclose(answer, expected, **tol) or np.allclose(answer, expected32, **tol):
        return _correct("each channel of the test images mapped to the Twitter training images' mean and standard "
                        "deviation, with statistics from the training sets only, and clipped to [0, 1].")
    per_image = stats(x, axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):  # a blank test image has no spread of its own
        per_image_slip = match(per_image[0][:, None, None], per_image[1][:, None, None], *stats(b))
    slips = [
        (match(*stats(a), *stats(b), clip=False), "right map, but clip the result to [0, 1], the range of images."),
        (match(*stats(a, None), *stats(b, None)), "you used one mean and standard deviation for all three channels: "
                                                 "compute them per channel, axis=(0, 1, 2)."),
        (match(*stats(b), *stats(a)), "you mapped B's statistics onto A's: the Google images (A) should take on the "
                                      "Twitter images' (B) mean and standard deviation."),
        (match(*stats(x), *stats(b)), "you took A's statistics from the test images; use the training images only, "
                                      "as CycleGAN would."),
        (per_image_slip,
         "you normalised each test image by its own statistics; use the statistics of the whole training set A."),
    ]
    for slip, hint in slips:
        if np.allclose(answer, slip, **tol):
            return _wrong(hint)
    return _wrong("`matched` differs from mu_b + sd_b * (test_a - mu_a) / sd_a, clipped to [0, 1], with per-channel "
                  "statistics over axis=(0, 1, 2) of the training sets.")


# --------------------------------------------------------------------------- chapter 11
def _loss_weights(history) -> np.ndarray | None:
    """The (style, content, tv) weights of a style-transfer run, recovered from its history by least squares.

    ``history["total"]`` is ``style_weight * style + content_weight * content + tv_weight * tv`` at every
    step; None when the history is too short or too regular to tell the three apart.
    """
    try:
        columns = np.stack([np.asarray(history[k], dtype=np.float64) for k in ("style", "content", "tv")], axis=1)
        total = np.asarray(history["total"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None
    if len(total) < 4 or len(total) != len(columns):
        return None
    scaled = columns / (np.abs(columns).max(axis=0) + 1e-30)
    if np.linalg.matrix_rank(scaled, tol=1e-6) < 3 or np.linalg.cond(scaled) > 1e6:
        return None
    weights = np.linalg.lstsq(columns, total, rcond=None)[0]
    if np.abs(columns @ weights - total).max() > 1e-4 * (np.abs(total).max() + 1e-12):
        return None  # not a weighted sum of the three: some other history
    return weights


def _result_history(result) -> dict:
    history = getattr(result, "history", None)
    if not isinstance(history, dict):
        raise TypeError(f"Pass the StyleTransferResult that transfer_style returns, got {type(result).__name__}.")
    return history


def _close_weight(value: float, target: float) -> bool:
    return abs(value - target) <= 0.02 * max(1.0, abs(target))


def check_texture_synthesis(result, content_image) -> CheckResult:
    """ch11-texture: a run that starts from noise and has no content term (``content_weight=0.0``).

    The weights are read back from the run's loss history (``total`` is the weighted sum of the others).

    Call: ``checks.check_texture_synthesis(texture, small_content)``.
    """
    history = _result_history(result)
    start = getattr(result, "snapshots", {}).get(0)
    if start is not None and np.allclose(np.asarray(start), np.asarray(content_image), atol=1e-4):
        return _wrong("the optimisation started from the photograph: pass init='noise' to synthesise a texture "
                      "from scratch.")
    weights = _loss_weights(history)
    if weights is not None and not _close_weight(float(weights[1]), 0.0):
        return _wrong(f"the run still has a content term (content weight {weights[1]:.3g}, read from its loss "
                      "history): pass content_weight=0.0, so that only the Gram matrices are matched.")
    total = np.asarray(history.get("total", []), dtype=np.float64)
    if len(total) >= 10 and not total[-1] < total[0]:
        return _wrong("the loss did not fall during the run: check the number of steps (settings['sweep_steps']) "
                      "and the style weight.")
    if len(total) < 2:
        return _correct("started from noise with no content term.")
    style = np.asarray(history["style"], dtype=np.float64)
    return _correct(f"started from noise with no content term; over {len(total)} steps the loss went from "
                    f"{total[0]:.4f} to {total[-1]:.4f} (style loss {style[0]:.4f} to {style[-1]:.4f}).")


def check_tv_runs(with_tv, without_tv, tv_weight: float = 10.0) -> CheckResult:
    """ch11-tv: the two runs' total-variation weights (read back from their histories) and final TVs.

    Call: ``checks.check_tv_runs(with_tv, without_tv)``.
    """
    h_with, h_without = _result_history(with_tv), _result_history(without_tv)
    w_with, w_without = _loss_weights(h_with), _loss_weights(h_without)
    if w_with is not None and w_without is not None:
        if _close_weight(float(w_with[2]), 0.0) and _close_weight(float(w_without[2]), tv_weight):
            return _wrong("the two runs are swapped: with_tv has no TV penalty and without_tv has it.")
        if not _close_weight(float(w_without[2]), 0.0):
            return _wrong(f"without_tv still has a TV weight of {w_without[2]:.3g} (read from its loss history): "
                          "pass tv_weight=0.0.")
        if not _close_weight(float(w_with[2]), tv_weight):
            return _wrong(f"with_tv has a TV weight of {w_with[2]:.3g}; the chapter's is {tv_weight:g}.")
        if not np.allclose(w_with[:2], w_without[:2], rtol=0.02, atol=0.02):
            return _wrong("the two runs differ in their style or content weight too: change only tv_weight.")
    tv_with, tv_without = float(h_with["tv"][-1]), float(h_without["tv"][-1])
    more = "without" if tv_without > tv_with else "with"
    return _correct(f"TV weights {tv_weight:g} and 0; final total variation {tv_with:.5f} with the penalty and "
                    f"{tv_without:.5f} without it: the run {more} the penalty is the more speckled.")


def check_shallow_extractor(extractor, result=None, layers: tuple[str, ...] = ("block1_conv1", "block2_conv1"),
                            content_layers: tuple[str, ...] = ("block4_conv2",),
                            style_weight: float = 10.0) -> CheckResult:
    """ch11-layers: an extractor with only the two shallowest style layers (and the usual content layer).

    Given the run's ``result``, its style weight is read back from the loss history too.

    Call: ``checks.check_shallow_extractor(shallow, shallow_result)``.
    """
    style = tuple(getattr(extractor, "style_layers", ()) or ())
    content = tuple(getattr(extractor, "content_layers", ()) or ())
    if not style and not content:
        raise TypeError("extractor must come from helpers.models.style_transfer.feature_extractor.")
    if set(layers) <= set(content) and set(style) != set(layers):
        return _wrong(f"{layers} are among the content layers: pass them as the first argument, the style layers, "
                      "and keep st.CONTENT_LAYERS as the second.")
    if set(style) != set(layers):
        return _wrong(f"the extractor's style layers are {style}; the exercise uses only {layers}.")
    if set(content) != set(content_layers):
        return _wrong(f"the content layers are {content}; keep the chapter's {content_layers} so that only the style "
                      "layers change.")
    if result is not None:
        weights = _loss_weights(_result_history(result))
        if weights is not None and not _close_weight(float(weights[0]), style_weight):
            return _wrong(f"the run's style weight is {weights[0]:.3g} (read from its loss history); compare at the "
                          f"sweep's {style_weight:g}.")
    return _correct(f"style layers {layers} and content layers {content_layers}.")
