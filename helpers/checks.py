"""Automatic feedback on the exercises.

Every ``check_*`` function takes the student's answer and the reference objects it needs, and returns a
:class:`CheckResult`. Its ``repr`` is the message, so a notebook cell that ends with the call shows it:

    checks.check_sampling_layer(MySampling)      # correct: ... / not yet: ...

A wrong answer never raises; the message says what is wrong and, where a typical mistake explains it,
how to fix it. Only a misuse of the checker itself (a reference argument of the wrong kind) raises a
``TypeError`` or ``ValueError`` saying how to call it.

=============================  ==============================================================
exercise                       checker
=============================  ==============================================================
ch00-ink                       :func:`check_class_ink`
ch01-axes                      :func:`check_pca_axes`
ch01-bias                      :func:`check_no_bias`
ch01-symmetry                  :func:`check_symmetry`
ch02-depth                     :func:`check_deeper_autoencoder`
ch02-tsne-pca                  :func:`check_pca_projection`
ch02-fewer-labels              :func:`check_fewer_labels`
ch03-params                    :func:`check_param_counts`
ch03-code-size                 :func:`check_code_sweep`
ch03-columns                   :func:`check_column_reader`
ch03-shift                     :func:`check_shifted_images`
ch04-pretrain                  :func:`check_pretrained_copy`
ch04-retrieval                 :func:`check_neighbour_agreement`
ch04-noise-sweep               :func:`check_noise_sweep`
ch04-kl-weight                 :func:`check_kl_sweep`
ch04-cross-noise               :func:`check_cross_noise_inputs`
chapter 5, ``MySampling``      :func:`check_sampling_layer`
ch05-beta                      :func:`check_beta_vae`
ch05-kl-check                  :func:`check_kl_estimate`
ch06-warmup                    :func:`check_warmup_vae`
ch06-analytic                  :func:`check_analytic_run`
ch06-temperature               :func:`check_class_diversity`
ch06-swap                      :func:`check_label_swap`
ch07-dstar                     :func:`check_optimal_discriminator`
ch07-saturating                :func:`check_saturating_gan`
ch07-kid                       :func:`check_kid`
ch08-class-morph               :func:`check_label_blend`
ch08-memorise                  :func:`check_nearest`
ch08-arithmetic                :func:`check_darkness_direction`
ch09-one-sided                 :func:`check_one_sided_penalty`
ch09-critic-1d                 :func:`check_critic_estimate`
ch09-dcgan-critic              :func:`check_conv_wgan`
ch10-identity                  :func:`check_colour_drift`
ch10-pool                      :func:`check_pool_share`
ch10-moments                   :func:`check_moment_matching`
ch11-texture                   :func:`check_texture_synthesis`
ch11-tv                        :func:`check_tv_runs`
ch11-layers                    :func:`check_shallow_extractor`
ch12-he                        :func:`check_he_scale`
ch12-pixelnorm-z               :func:`check_scale_invariance`
ch12-mbstd                     :func:`check_mbstd_features`
ch13-truncation-variety        :func:`check_class_entropy`
ch13-z-versus-w                :func:`check_path_change`
ch13-no-noise                  :func:`check_noise_restored`
=============================  ==============================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: ``passed`` and a message for the student (also its ``repr``)."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.passed


def _correct(message: str) -> CheckResult:
    return CheckResult(True, f"correct: {message}")


def _wrong(message: str) -> CheckResult:
    return CheckResult(False, f"not yet: {message}")


def _error(what: str, err: Exception) -> CheckResult:
    return _wrong(f"{what} raised {type(err).__name__}: {err}")


def require(*results: CheckResult | None) -> None:
    """Print each verdict and raise ``AssertionError`` unless all are correct (nbgrader's test cells).

    ``None`` stands for a check that does not apply to this run (chapter 13's Fashion-MNIST-only one) and
    passes. A cell of the nbgrader edition (``make assignments``) calls it, so a wrong answer fails the cell.
    """
    failed = []
    for result in results:
        if result is None:
            print("skipped: this check does not apply to the data of this run.")
            continue
        if not isinstance(result, CheckResult):
            raise TypeError(f"require() takes the results of checks.check_* calls, not {type(result).__name__}.")
        print(result.message)
        if not result.passed:
            failed.append(result.message)
    if failed:
        raise AssertionError(" / ".join(failed))


def _numeric(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numeric."""
    try:
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _to_numpy(tensor) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(tensor), dtype=np.float64)


def _predict(model, x, batch_size: int = 1024) -> np.ndarray:
    """``model.predict(x)`` as a float64 array."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)


def _history_dict(history) -> dict:
    """A Keras ``History`` (or its ``.history`` dict) as a dict of lists."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict):
        raise TypeError(f"Pass the History that fit returns (or its .history dict), got {type(history).__name__}.")
    return history


def _as_float(value) -> float | None:
    """A single number as a float, or None when ``value`` is not one number."""
    array = _numeric(value)
    if array is None or array.size != 1:
        return None
    return float(array.reshape(()))


def _versus_mean(mse: float, baseline: float) -> str:
    """Words comparing a reconstruction error with the mean image's: 'hardly better than' or 'worse than'."""
    return "worse than" if mse > baseline else "hardly better than"


def _mean_image_mse(x) -> float:
    """The MSE of answering the mean image every time: a trained model must do much better."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.mean((x - x.mean(axis=0)) ** 2))


def _isclose(a: float, b: float, rel: float = 1e-3, abs_tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)

# --------------------------------------------------------------------------- chapter 0
def check_class_ink(ink, x_train, y_train, class_names=None) -> CheckResult:
    """ch00-ink: ``ink[c]`` must be the mean pixel value of the training images of class ``c``.

    Call: ``checks.check_class_ink(ink, fashion.x_train, fashion.y_train)``.
    """
    x_train, y_train = np.asarray(x_train), np.asarray(y_train)
    if len(x_train) != len(y_train):
        raise ValueError(f"x_train and y_train differ in length ({len(x_train)} and {len(y_train)}).")
    classes = np.unique(y_train)
    expected = np.array([x_train[y_train == c].mean() for c in classes], dtype=np.float64)
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    answer = _numeric(ink)
    if answer is None:
        return _wrong("could not read `ink` as an array of numbers.")
    answer = answer.reshape(-1) if answer.size == len(classes) else answer
    if answer.shape != expected.shape:
        return _wrong(f"`ink` should hold one number per class ({len(classes)} numbers, in class order); "
                      f"yours has shape {answer.shape}.")
    if _close(answer, expected, rtol=1e-4, atol=1e-5):
        order = ", ".join(names[c] for c in np.argsort(expected)[::-1][:3])
        return _correct(f"the mean pixel value of every class matches (most ink: {order}, ...).")
    if _close(np.sort(answer), np.sort(expected), rtol=1e-4, atol=1e-5):
        return _wrong("the values are right but not in class order: keep ink[c] for class c and sort only "
                      "when you print (np.argsort(ink)[::-1] gives the order).")
    pixels = int(np.prod(x_train.shape[1:]))
    if _close(answer, expected * pixels, rtol=1e-3, atol=1e-3):
        return _wrong(f"your values are {pixels} times too large: you summed over the pixels of each image; "
                      "take the mean over the pixels too.")
    if _close(answer, expected, rtol=0.05, atol=0.0):
        return _wrong("close, but not exact: did you use every training image of each class "
                      "(x_train[y_train == c]) and not a subset?")
    worst = int(np.argmax(np.abs(answer - expected)))
    return _wrong(f"class {names[worst]}: you have {answer[worst]:.4f}, expected {expected[worst]:.4f}. Average "
                  "all pixels of all training images of a class: x_train[y_train == c].mean().")


# --------------------------------------------------------------------------- chapter 1
def _linear_layers(autoencoder):
    """The encoder's and decoder's last Dense layers of a linear autoencoder."""
    try:
        return autoencoder.encoder.layers[-1], autoencoder.decoder.layers[-1]
    except (AttributeError, IndexError) as err:
        raise TypeError("Pass a linear autoencoder from helpers.models.autoencoders.linear_autoencoder "
                        f"(with .encoder and .decoder); got {type(autoencoder).__name__}.") from err


def _data_matrix(X) -> np.ndarray:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"X must be the (points, features) data matrix, got shape {array.shape}.")
    return array


def _angle_deg(cos: float) -> float:
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def check_pca_axes(axes, autoencoder, X, pca=None) -> CheckResult:
    """ch01-axes: orthonormal, variance-ordered axes of the trained autoencoder's plane, one per row.

    The reference is computed from ``autoencoder`` itself (the principal directions of its centred
    reconstructions of ``X``), so the check judges the method, not how long the model trained. Given
    the fitted ``pca``, the message also reports ``|cos|`` between your axes and ``pca.components_``.

    Call: ``checks.check_pca_axes(axes_from_ae, plane_ae, X, pca)``.
    """
    if not hasattr(autoencoder, "predict"):
        raise TypeError("autoencoder must be a trained Keras model such as plane_ae, "
                        f"got {type(autoencoder).__name__}.")
    X = _data_matrix(X)
    if pca is not None and not hasattr(pca, "components_"):
        raise TypeError("pca must be a fitted sklearn.decomposition.PCA (with components_).")
    recon = np.asarray(autoencoder.predict(X, verbose=0), dtype=np.float64)
    _, singular, vt = np.linalg.svd(recon - recon.mean(axis=0), full_matrices=False)
    k = int(np.sum(singular > 1e-4 * singular[0]))
    reference = vt[:k]
    d = X.shape[1]

    answer = _numeric(axes)
    if answer is None:
        return _wrong("could not read your axes as an array of numbers.")
    if answer.shape == (d, k) and (d, k) != (k, d):
        return _wrong(f"your array has shape {answer.shape}, one axis per column; put one axis per row, shape "
                      f"{(k, d)} like pca.components_ (transpose it).")
    if answer.shape != (k, d):
        return _wrong(f"expected {k} axes of length {d} as an array of shape {(k, d)} (like pca.components_), "
                      f"got shape {answer.shape}.")
    if not np.all(np.isfinite(answer)):
        return _wrong("your axes contain NaN or infinite values.")
    lengths = np.linalg.norm(answer, axis=1)
    if not np.allclose(lengths, 1.0, atol=1e-3):
        return _wrong(f"your axes are not unit length: normalise them (lengths {np.round(lengths, 3).tolist()}). "
                      "The decoder's columns have arbitrary lengths; the right singular vectors of the centred "
                      "reconstructions are unit vectors.")
    gram = answer @ answer.T
    off = np.abs(gram - np.diag(np.diag(gram)))
    if off.max() > 1e-3:
        i, j = np.unravel_index(np.argmax(off), off.shape)
        return _wrong(f"your axes are not orthogonal (axes {i} and {j} meet at {_angle_deg(gram[i, j]):.1f} "
                      "degrees): the decoder's columns are not, which is the point of the exercise. Take the "
                      "principal directions of the centred reconstructions instead.")
    # Distance of each axis from the autoencoder's plane.
    residual = np.linalg.norm(answer - (answer @ reference.T) @ reference, axis=1)
    if residual.max() > 0.02:
        centred_x = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[2][:k]
        if np.all(np.abs(np.sum(answer * centred_x, axis=1)) > 0.999):
            return _wrong("these are the principal axes of the data X itself; the exercise asks for the axes of "
                          "the autoencoder's plane, from its reconstructions plane_ae.predict(X).")
        tilt = float(np.degrees(np.arcsin(min(1.0, residual.max()))))
        return _wrong(f"your axes are orthonormal but do not lie in the autoencoder's plane (one leaves it at "
                      f"{tilt:.1f} degrees): did you centre the reconstructions (subtract their mean) before "
                      "the SVD?")
    cos = np.abs(answer @ reference.T)
    if not np.all(np.diag(cos) > 0.999):
        if k > 1 and np.all(cos.max(axis=1) > 0.999):
            return _wrong("right axes, wrong order: the first axis must be the direction along which the "
                          "reconstructions vary most (SVD returns them sorted by singular value).")
        return _wrong("your axes are an orthonormal basis of the right plane, but not its principal axes: the "
                      "first should point where the reconstructions vary most, the second where they vary "
                      "most among the directions perpendicular to it. Take the SVD of the centred "
                      "reconstructions.")
    message = "your axes are orthonormal, lie in the autoencoder's plane and are ordered by variance."
    if pca is not None:
        components = np.asarray(pca.components_, dtype=np.float64)
        if components.shape == answer.shape:
            pca_cos = np.abs(np.sum(answer * components, axis=1))
            message += f" |cos| with pca.components_: {', '.join(f'{c:.4f}' for c in pca_cos)}."
            if pca_cos.min() < 0.99:
                message += (" (They are not yet PCA's axes because the autoencoder itself has not converged: "
                            "train it longer, as in the book run, and they will be.)")
    return _correct(message)


def check_symmetry(twin, original, X) -> CheckResult:
    """ch01-symmetry: the twin reconstructs exactly like the original, but its codes differ.

    Call: ``checks.check_symmetry(twin, plane_ae, X)``.
    """
    X = _data_matrix(X).astype("float32")
    enc, dec = _linear_layers(original)
    if twin is original:
        return _wrong("`twin` is plane_ae itself: build a second model with linear_autoencoder(3, 2) and give it "
                      "the transformed weights.")
    try:
        recon_o = np.asarray(original.predict(X, verbose=0), dtype=np.float64)
        codes_o = np.asarray(original.encode(X), dtype=np.float64)
    except Exception as err:  # noqa: BLE001 - the reference model itself must work
        raise TypeError(f"original must be the trained linear autoencoder plane_ae: {err}") from err
    try:
        recon_t = np.asarray(twin.predict(X, verbose=0), dtype=np.float64)
        codes_t = np.asarray(twin.encode(X), dtype=np.float64)
    except Exception as err:  # noqa: BLE001 - any failure of the student's model becomes feedback
        return _error("running your twin (twin.predict(X), twin.encode(X))", err)
    if recon_t.shape != recon_o.shape or codes_t.shape != codes_o.shape:
        return _wrong(f"your twin's outputs have shapes {recon_t.shape} and {codes_t.shape}, plane_ae's "
                      f"{recon_o.shape} and {codes_o.shape}: build it with linear_autoencoder(3, 2).")
    recon_change = float(np.abs(recon_t - recon_o).max() / (np.abs(recon_o).max() + 1e-12))
    code_change = float(np.abs(codes_t - codes_o).max() / (np.abs(codes_o).max() + 1e-12))
    if recon_change < 1e-3:
        if code_change < 1e-3:
            return _wrong("the reconstructions are the same, but the codes did not change: did you apply A to the "
                          "encoder? (With A = I, or with the original weights copied, nothing changes.)")
        return _correct(f"the reconstructions agree to {recon_change:.1e} (relative), while the codes change by "
                        f"up to {code_change:.0%} of their size. The loss cannot tell the two models apart.")
    return _wrong(_diagnose_symmetry(twin, enc, dec, recon_change))


def _diagnose_symmetry(twin, enc, dec, recon_change: float) -> str:
    """Say which weight of the twin breaks the symmetry."""
    lead = f"the reconstructions changed (by up to {recon_change:.1%} relative), so the twin is not equivalent. "
    try:
        enc_t, dec_t = _linear_layers(twin)
        we, be = (np.asarray(w, dtype=np.float64) for w in enc.get_weights())
        wd, bd = (np.asarray(w, dtype=np.float64) for w in dec.get_weights())
        we_t, be_t = (np.asarray(w, dtype=np.float64) for w in enc_t.get_weights())
        wd_t, bd_t = (np.asarray(w, dtype=np.float64) for w in dec_t.get_weights())
    except (TypeError, ValueError):
        return lead + "Build the twin with linear_autoencoder(3, 2) so that its weights can be compared."
    if we_t.shape != we.shape or wd_t.shape != wd.shape:
        return lead + "Its layers have different shapes from plane_ae's: build it with linear_autoencoder(3, 2)."
    m = np.linalg.lstsq(we, we_t, rcond=None)[0]  # we @ m = we_t: m plays the role of A^T
    if not np.allclose(we @ m, we_t, rtol=1e-3, atol=1e-4 * np.abs(we).max()):
        return lead + ("The encoder's kernel is not the original kernel times a 2x2 matrix on the right. Keras "
                       "computes x @ kernel, so the new kernel is enc_kernel @ A.T.")
    if abs(np.linalg.det(m)) < 1e-6:
        return lead + "The matrix you applied to the encoder is not invertible: pick an A with a non-zero determinant."
    tol = dict(rtol=1e-3, atol=1e-4 * max(1.0, np.abs(wd).max()))
    if not np.allclose(be_t, be @ m, **tol):
        if np.allclose(be_t, be, **tol):
            return lead + "You left the encoder's bias unchanged: it must be mixed too, enc_bias @ A.T."
        return lead + "The encoder's bias should be transformed like its kernel: enc_bias @ A.T."
    expected_wd = np.linalg.inv(m) @ wd
    if not np.allclose(wd_t, expected_wd, **tol):
        if np.allclose(wd_t, wd, **tol):
            return lead + "You did not change the decoder's kernel: it must undo A, np.linalg.inv(A.T) @ dec_kernel."
        if np.allclose(wd_t, m @ wd, **tol):
            return lead + "You multiplied the decoder's kernel by A.T, not by its inverse: use np.linalg.inv(A.T)."
        if np.allclose(wd_t, np.linalg.inv(m.T) @ wd, **tol):
            return lead + ("You used inv(A) where inv(A.T) is needed: Keras stores kernels transposed, "
                           "(inputs, outputs).")
        return lead + "The decoder's kernel must become np.linalg.inv(A.T) @ dec_kernel, undoing the encoder's A."
    if not np.allclose(bd_t, bd, **tol):
        return lead + "The decoder's bias must stay exactly as it was."
    return lead + "The weights look right; check that the twin's layers are the ones you set."


def _bias_free_plane_mse(X: np.ndarray, k: int) -> float:
    """The smallest mean squared error of a rank-``k`` linear reconstruction through the origin (no bias)."""
    singular = np.linalg.svd(X, compute_uv=False)
    return float(np.sum(singular[k:] ** 2) / X.size)


def check_no_bias(model, X, mse_pca: float | None = None) -> CheckResult:
    """ch01-bias: a bias-free linear autoencoder trained on the centred cloud reaches PCA's error.

    ``model`` is the loop's last model (trained on ``X - X.mean(axis=0)``). The reference errors are the
    best that any plane through the origin can do, on the centred and on the uncentred cloud (an SVD
    without centring), so the check judges the model against what its architecture allows.

    Call: ``checks.check_no_bias(no_bias, X, mse_pca)``.
    """
    if not hasattr(model, "predict"):
        raise TypeError(f"model must be the trained Keras model no_bias, got {type(model).__name__}.")
    X = _data_matrix(X)
    enc, dec = _linear_layers(model)
    if getattr(enc, "bias", None) is not None or getattr(dec, "bias", None) is not None:
        return _wrong("your model has biases, so it can shift its plane away from the origin like plane_ae: build "
                      "it with linear_autoencoder(3, 2, use_bias=False).")
    k = int(enc.units)
    centred = X - X.mean(axis=0)
    best_c, best_u = _bias_free_plane_mse(centred, k), _bias_free_plane_mse(X, k)
    pca = float(mse_pca) if mse_pca is not None else best_c
    try:
        mse_c = float(np.mean((_predict(model, centred.astype("float32")) - centred) ** 2))
        mse_u = float(np.mean((_predict(model, X.astype("float32")) - X) ** 2))
    except Exception as err:  # noqa: BLE001
        return _error("running your model on X", err)
    if mse_c <= 1.1 * best_c + 1e-9:
        return _correct(f"on the centred cloud your model's error is {mse_c / pca:.2f} x PCA's, as good as a plane "
                        f"through the origin gets. On the uncentred X even the best bias-free plane has "
                        f"{best_u / pca:.2f} x PCA's error: it must pass through the origin, far from the cloud.")
    if mse_u <= 1.1 * best_u + 1e-9:
        return _wrong(f"this model fits the uncentred X (error {mse_u / pca:.2f} x PCA's there, {mse_c / pca:.2f} x on "
                      "the centred cloud): the loop's last model should be the one trained on X - X.mean(axis=0).")
    if mse_c < mse_u and mse_c < 0.5 * float(np.mean(centred**2)):
        return _correct(f"bias-free and trained on the centred cloud, where its error is {mse_c / pca:.2f} x PCA's. It "
                        f"has not converged yet (a bias-free plane can reach {best_c / pca:.2f} x): with the book's "
                        "epochs it gets there. On the uncentred X even the best bias-free plane has "
                        f"{best_u / pca:.2f} x PCA's error.")
    return _wrong(f"on the centred cloud your model's error is {mse_c / pca:.2f} x PCA's, where a bias-free plane can "
                  f"reach {best_c / pca:.2f} x: train it on X - X.mean(axis=0) with the same optimiser and epochs as "
                  "plane_ae.")


# --------------------------------------------------------------------------- chapter 2
def check_deeper_autoencoder(deeper, x_test, reference_mse: float | None = None, hidden: tuple[int, ...] = (300, 100),
                             code_size: int = 30) -> CheckResult:
    """ch02-depth: a trained ``dense_autoencoder(code_size=30, hidden=(300, 100))``.

    Checks the layer sizes and reports the parameter count and the MSE on the first 1,000 test images
    beside ``reference_mse``, the one-hidden-layer model's, with a note when the model reconstructs hardly
    better than the mean image (little training, as in smoke mode).

    Call: ``checks.check_deeper_autoencoder(deeper, fashion.x_test, report.RECORDED["ch02_ae_mse"])``.
    """
    import keras

    if not hasattr(deeper, "layers") or not hasattr(deeper, "predict"):
        raise TypeError(f"deeper must be a Keras autoencoder, got {type(deeper).__name__}.")
    x = np.asarray(x_test[:1000], dtype="float32")
    n_pixels = int(np.prod(x.shape[1:]))
    units = [layer.units for layer in _weighted_layers(deeper) if isinstance(layer, keras.layers.Dense)]
    expected = [*hidden, code_size, *reversed(hidden), n_pixels]
    if units != expected:
        if units == [*reversed(hidden), code_size, *hidden, n_pixels]:
            return _wrong(f"your hidden layers are {tuple(reversed(hidden))}, narrowing towards the input: list them "
                          f"from the input to the code, hidden={hidden}.")
        if len(units) == len(expected) and units[len(hidden)] != code_size:
            return _wrong(f"your code has {units[len(hidden)]} units; the comparison needs the same code size, "
                          f"code_size={code_size}.")
        return _wrong(f"your model's dense layers have {units} units, expected {expected}: build "
                      f"dense_autoencoder(code_size={code_size}, hidden={hidden}).")
    try:
        mse = float(np.mean((_predict(deeper, x) - x) ** 2))
    except Exception as err:  # noqa: BLE001
        return _error("reconstructing test images with your model", err)
    baseline = _mean_image_mse(x)
    message = (f"hidden layers {hidden} around a {code_size}-unit code, {deeper.count_params():,} parameters, "
               f"test MSE {mse:.5f} on the first {len(x):,} test images")
    if reference_mse is not None:
        message += f" (the one-hidden-layer model: {float(reference_mse):.5f})"
    if mse > 0.5 * baseline:
        message += (f". That is {_versus_mean(mse, baseline)} always drawing the mean image ({baseline:.4f}): "
                    "the model has had little or no training (in book mode it trains for settings['epochs'] epochs)")
    return _correct(message + ".")


def check_pca_projection(projected, codings) -> CheckResult:
    """ch02-tsne-pca: ``projected`` must be the 2-D PCA projection of ``codings`` (each axis up to its sign).

    Call: ``checks.check_pca_projection(projected, codings)``.
    """
    codes = np.asarray(codings, dtype=np.float64)
    codes = codes.reshape(len(codes), -1)
    centred = codes - codes.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    reference = centred @ vt[:2].T
    answer = _numeric(projected)
    if answer is None:
        return _wrong("could not read `projected` as an array of numbers.")
    n = len(codes)
    if answer.shape == (2, n) and n != 2:
        return _wrong(f"your array has shape {answer.shape}, one row per axis: PCA's fit_transform gives one row per "
                      f"coding, shape {(n, 2)} (transpose it).")
    if answer.ndim != 2 or answer.shape[0] != n:
        return _wrong(f"expected one row per coding, shape {(n, 2)}, got {answer.shape}: project the same {n} "
                      "codings that t-SNE embedded.")
    if answer.shape[1] != 2:
        return _wrong(f"your projection has {answer.shape[1]} columns: use PCA(n_components=2) for a 2-D plot.")
    scale = float(np.abs(reference).max()) + 1e-12
    tol = dict(rtol=1e-3, atol=1e-3 * scale)

    def aligned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        signs = np.where(np.sum(a * b, axis=0) < 0, -1.0, 1.0)
        return a * signs

    share = float(np.sum(singular[:2] ** 2) / np.sum(singular**2))
    if np.allclose(aligned(answer, reference), reference, **tol):
        return _correct(f"this is PCA's 2-D projection of the codings (up to the sign of each axis, which PCA leaves "
                        f"free); the two axes keep {share:.0%} of the codings' variance.")
    shifted = answer - answer.mean(axis=0)
    if np.allclose(aligned(shifted, reference), reference, **tol):
        return _wrong("your projection is PCA's up to a constant offset: you projected the codings without "
                      "subtracting their mean. PCA centres the data (fit_transform does it for you).")
    if np.allclose(aligned(answer[:, ::-1], reference), reference, **tol):
        return _wrong("the two columns are swapped: the first should be the axis of largest variance.")
    std = reference.std(axis=0) + 1e-12
    if np.allclose(aligned(shifted / (shifted.std(axis=0) + 1e-12), reference / std), reference / std, rtol=1e-3,
                   atol=1e-3 * float(np.abs(reference / std).max())):
        return _correct("this is PCA's projection of the codings with each axis scaled to unit variance "
                        "(whitened); without whiten=True the plot keeps the true proportions of the two axes.")
    return _wrong("this is not the PCA projection of `codings`: fit PCA(n_components=2) on the codings themselves "
                  "(not on the images or on the t-SNE embedding) and use fit_transform(codings).")


def check_fewer_labels(idx, tuned, tuned_acc, x_test, y_test, n_labels: int = 100,
                       scratch_acc: float | None = None) -> CheckResult:
    """ch02-fewer-labels: 100 distinct labelled images, an unfrozen encoder, and the fine-tuned accuracy.

    ``tuned_acc`` is compared with ``tuned``'s accuracy on ``(x_test, y_test)``, recomputed here.

    Call: ``checks.check_fewer_labels(idx, tuned, tuned_acc, fashion.x_test, fashion.y_test, scratch_acc=scratch_acc)``.
    """
    import keras

    if not isinstance(tuned, keras.Model):
        raise TypeError(f"tuned must be the fine-tuned Keras classifier, got {type(tuned).__name__}.")
    chosen = _numeric(idx)
    if chosen is None or chosen.ndim != 1:
        return _wrong("`idx` should be a 1-D array of training-image indices.")
    if len(chosen) != n_labels:
        return _wrong(f"you chose {len(chosen)} labelled images; the exercise uses {n_labels}.")
    if len(np.unique(chosen)) < len(chosen):
        return _wrong(f"`idx` repeats some images ({len(chosen) - len(np.unique(chosen))} duplicates): draw them "
                      "with replace=False.")
    encoders = [layer for layer in tuned.layers if isinstance(layer, keras.Model)]
    if encoders and not encoders[0].trainable:
        return _wrong("the encoder inside `tuned` is still frozen: set encoder_100.trainable = True before the "
                      "fine-tuning call (train_classifier compiles again, which makes the change take effect).")
    answer = _as_float(tuned_acc)
    if answer is None:
        return _wrong("`tuned_acc` should be one number, the accuracy that train_classifier returns.")
    try:
        predicted = np.argmax(_predict(tuned, np.asarray(x_test)), axis=-1)
    except Exception as err:  # noqa: BLE001
        return _error("classifying the test images with `tuned`", err)
    accuracy = float(np.mean(predicted == np.asarray(y_test).reshape(-1)))
    if not abs(answer - accuracy) <= 2e-3:
        if _isclose(answer, 100 * accuracy, rel=1e-2):
            return _wrong("tuned_acc looks like a percentage; keep the fraction that evaluate returns.")
        return _wrong(f"tuned_acc is {answer:.3f}, but the fine-tuned model scores {accuracy:.3f} on the test set: "
                      "report the accuracy that the last train_classifier call (the fine-tuning) returns.")
    message = f"{n_labels} distinct images, the encoder unfrozen for fine-tuning, test accuracy {accuracy:.3f}"
    if scratch_acc is not None:
        gap = accuracy - float(scratch_acc)
        message += f", {abs(gap) * 100:.1f} points {'above' if gap >= 0 else 'below'} the scratch classifier"
    if accuracy < 0.2:
        message += " (barely above chance, 0.1: the classifiers have hardly trained in this run)"
    return _correct(message + ".")


# --------------------------------------------------------------------------- chapter 3
def _weighted_layers(model) -> list:
    """Layers with parameters, in order, looking inside nested models (an autoencoder's encoder and decoder)."""
    import keras

    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_weighted_layers(layer))
        elif layer.count_params() > 0:
            layers.append(layer)
    return layers


def _layer_hint(layer, counted: int) -> str:
    """Why ``counted`` could differ from the parameter count of ``layer``, for the usual slips."""
    import keras

    actual = layer.count_params()
    if isinstance(layer, keras.layers.TimeDistributed):
        layer = layer.layer
    bias_count = int(np.prod(layer.bias.shape)) if getattr(layer, "bias", None) is not None else 0
    if isinstance(layer, keras.layers.LSTM):
        h = layer.units
        d = (actual // (4 * h)) - h - 1
        if counted * 4 == actual:
            return "an LSTM has four blocks (forget, input, output, candidate): multiply by 4"
        if counted == 4 * h * (d + h):
            return "you forgot the biases (4h of them)"
        if counted == 4 * h * (d + 1):
            return "you forgot the recurrent weights U (h x h per block)"
        return f"use 4h(d + h + 1) with h = {h} units and d = {d} inputs"
    if isinstance(layer, keras.layers.Dense | keras.layers.Conv2D | keras.layers.Conv2DTranspose):
        if counted == actual - bias_count:
            return "you forgot the biases (one per output unit or channel)"
    if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose):
        k = layer.kernel_size[0]
        if counted == (actual - bias_count) // k + bias_count:
            return f"a {k}x{k} kernel has k^2 = {k * k} weights per pair of channels, not k"
        return "use (k^2 C_in + 1) C_out"
    if isinstance(layer, keras.layers.Dense):
        return "use (d + 1) n for d inputs and n units"
    return ""


def check_param_counts(counts, model) -> CheckResult:
    """ch03-params: your hand counts, one per layer with weights (in order), against Keras's.

    ``counts`` is a list with one number per layer that has weights, encoder first; a single number is
    compared with the total.

    Call: ``checks.check_param_counts(conv_layers, conv_ae)`` (and ``(rnn_layers, rnn_ae)``).
    """
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        raise TypeError(f"model must be a built Keras model such as conv_ae, got {type(model).__name__}.")
    layers = _weighted_layers(model)
    actual = [layer.count_params() for layer in layers]
    total = model.count_params()
    answer = _numeric(counts)
    if answer is None or answer.ndim > 1:
        return _wrong("`counts` should be a list of numbers, one per layer with weights.")
    if answer.ndim == 0:
        if int(answer) == total:
            return _correct(f"the total, {total:,}, matches count_params(). (Listing the layers one by one shows "
                            "which is the largest.)")
        return _wrong(f"your total is {int(answer):,}, count_params() says {total:,}. Count layer by layer and pass "
                      "the list to see which layer is off.")
    answer = answer.astype(np.int64)
    names = [f"{type(layer).__name__} {layer.name!r}" for layer in layers]
    if len(answer) != len(actual):
        return _wrong(f"you listed {len(answer)} layers, but {len(actual)} layers of the model have weights: "
                      + ", ".join(names) + ". (Pooling, Flatten, Reshape and RepeatVector have none.)")
    wrong = [i for i, (a, b) in enumerate(zip(answer, actual, strict=True)) if a != b]
    if not wrong:
        return _correct(f"all {len(actual)} layers match, {total:,} parameters in total, as count_params() says.")
    lines = []
    for i in wrong:
        hint = _layer_hint(layers[i], int(answer[i]))
        lines.append(f"layer {i + 1} ({names[i]}): you counted {int(answer[i]):,}, Keras has {actual[i]:,}"
                     + (f"; {hint}" if hint else ""))
    return _wrong(f"{len(wrong)} of {len(actual)} layers are off:\n  " + "\n  ".join(lines))


def _bce(x: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(x * np.log(p) + (1 - x) * np.log(1 - p))))


def _err_hint(err: float, x: np.ndarray, recon: np.ndarray, what: str) -> str:
    """Why ``err`` could differ from the pixel MSE of ``recon`` against ``x``."""
    mse = float(np.mean((recon - x) ** 2))
    if _isclose(err, _bce(x, recon), rel=2e-2):
        return (f"{what} is the binary cross-entropy (the training loss, as model.evaluate reports it), not the MSE: "
                "use metrics.pixel_mse(x_eval, reconstructions)")
    if _isclose(err, math.sqrt(mse), rel=1e-3):
        return f"{what} is the root of the MSE: report metrics.pixel_mse itself"
    return f"{what} is {err:.4f}, but this model's pixel MSE on x_eval is {mse:.4f}: measure it on the first 1,000 " \
           "test images with metrics.pixel_mse"


def check_code_sweep(model, err, x_eval, code_size: int = 120) -> CheckResult:
    """ch03-code-size: the sweep's last model (code size 120) and its test MSE ``err`` on ``x_eval``.

    Recomputes the MSE (noting when the model is hardly better than the mean image, i.e. little trained)
    and reports which layers grow with the code size. ``code_size`` is the sweep's last size.

    Call: ``checks.check_code_sweep(model, err, x_eval, settings["sweep_code_sizes"][-1])``.
    """
    import keras

    if not hasattr(model, "encoder") or not hasattr(model, "predict"):
        raise TypeError(f"model must be the sweep's last conv_autoencoder, got {type(model).__name__}.")
    code = int(model.encoder.outputs[0].shape[-1])
    if code != code_size:
        return _wrong(f"`model` has a code of {code} units; after the loop it should be the sweep's last model, code "
                      f"size {code_size}. Loop over settings['sweep_code_sizes'] and build conv_autoencoder("
                      "code_size=size) inside the loop.")
    x = np.asarray(x_eval, dtype=np.float64)
    answer = _as_float(err)
    if answer is None:
        return _wrong("`err` should be one number, the MSE on x_eval.")
    try:
        recon = _predict(model, x.astype("float32"))
    except Exception as err_:  # noqa: BLE001
        return _error("reconstructing x_eval with your model", err_)
    mse = float(np.mean((recon - x) ** 2))
    if not _isclose(answer, mse, rel=1e-3):
        return _wrong(_err_hint(answer, x, recon, "err") + ".")
    baseline = _mean_image_mse(x)
    dense = [layer for layer in _weighted_layers(model) if isinstance(layer, keras.layers.Dense)]
    message = f"code size {code}, test MSE {mse:.4f}."
    if mse > 0.5 * baseline:
        versus = _versus_mean(mse, baseline).capitalize()
        message += (f" ({versus} always drawing the mean image, {baseline:.4f}: this model has had little "
                    "or no training.)")
    if len(dense) >= 2:
        d = int(dense[0].kernel.shape[0])
        message += (f" Only the two dense layers beside the code grow with it, by {d + 1} (encoder) and {d} "
                    "(decoder) parameters per code unit; the convolutions stay the same.")
    return _correct(message)


def check_column_reader(transform, model, err, x_eval) -> CheckResult:
    """ch03-columns: ``transform`` must transpose each image, and ``err`` be the column reader's MSE.

    ``transform`` is the loop's last one (the columns'), ``model`` the column reader trained on
    transposed images, ``err`` its MSE on the transposed ``x_eval``.

    Call: ``checks.check_column_reader(transform, model, err, x_eval)``.
    """
    if not callable(transform):
        return _wrong("`transform` should be the function that turns a batch of images into their transposes.")
    probe = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    try:
        out = np.asarray(transform(probe), dtype=np.float64)
    except Exception as err_:  # noqa: BLE001
        return _error("transform on a batch of two 3x4 images", err_)
    expected = np.transpose(probe, (0, 2, 1))
    if out.shape == (4, 3, 2):
        return _wrong("np.transpose(x) without axes reverses all the axes, the batch axis too: use "
                      "np.transpose(x, (0, 2, 1)), which swaps rows and columns of every image.")
    if out.shape == probe.shape and np.allclose(out, probe):
        return _wrong("`transform` leaves the images as they are (that is the row reader's); the column reader "
                      "needs np.transpose(x, (0, 2, 1)).")
    if out.shape != expected.shape or not np.allclose(out, expected):
        if out.shape == expected.shape and any(np.allclose(out, alt) for alt in (
                np.rot90(probe, 1, axes=(1, 2)), np.rot90(probe, -1, axes=(1, 2)))):
            return _wrong("`transform` rotates the images; reading columns from left to right needs a transpose, "
                          "np.transpose(x, (0, 2, 1)), so that row i of the new image is column i of the old one.")
        return _wrong(f"`transform` turns images of shape (3, 4) into {out.shape[1:]}, not into their transposes: use "
                      "np.transpose(x, (0, 2, 1)).")
    answer = _as_float(err)
    if answer is None:
        return _wrong("`err` should be one number, the column reader's MSE.")
    x = np.asarray(x_eval, dtype=np.float64)
    flipped = np.transpose(x, (0, 2, 1))
    try:
        recon = _predict(model, flipped.astype("float32"))
    except Exception as err_:  # noqa: BLE001
        return _error("running your column reader on the transposed x_eval", err_)
    mse = float(np.mean((recon - flipped) ** 2))
    if _isclose(answer, mse, rel=1e-3):
        return _correct(f"`transform` swaps rows and columns, and {mse:.4f} is the column reader's MSE on the "
                        "transposed test images (equal to the error of its reconstructions transposed back).")
    plain = _predict(model, x.astype("float32"))
    if _isclose(answer, float(np.mean((plain - x) ** 2)), rel=1e-3):
        return _wrong("you measured the column reader on untransposed test images: apply transform to x_eval too.")
    return _wrong(_err_hint(answer, flipped, recon, "err") + " (of the transposed images).")


def check_shifted_images(shifted, images, shifts=range(6)) -> CheckResult:
    """ch03-shift: ``shifted[s]`` must be ``images`` moved ``s`` pixels to the right, ``np.roll(x, s, axis=2)``.

    Call: ``checks.check_shifted_images(shifted, x_test[:500])``.
    """
    x = np.asarray(images)
    shifts = list(shifts)
    answer = _numeric(shifted)
    if answer is None:
        return _wrong("could not read `shifted` as an array of numbers.")
    expected = np.stack([np.roll(x, s, axis=2) for s in shifts])
    if answer.shape != expected.shape:
        if answer.shape == (len(x), len(shifts), *x.shape[1:]):
            return _wrong(f"your array has shape {answer.shape}: put the shift first, (shift, image, row, column), "
                          "by stacking the shifted batches with np.stack.")
        return _wrong(f"expected shape {expected.shape} (shift, image, row, column), got {answer.shape}.")
    if np.allclose(answer, expected):
        return _correct(f"{len(shifts)} shifts of {len(x)} images, each moved right by 0 to {max(shifts)} pixels.")
    if np.allclose(answer, np.stack([np.roll(x, s, axis=1) for s in shifts])):
        return _wrong("you moved the garments down: axis=1 is the rows; shift along the columns, axis=2.")
    if np.allclose(answer, np.stack([np.roll(x, -s, axis=2) for s in shifts])):
        return _wrong("you moved the garments to the left: np.roll(x, s, axis=2) with s > 0 moves them right.")
    wrong = [s for i, s in enumerate(shifts) if not np.allclose(answer[i], expected[i])]
    return _wrong(f"the shifts {wrong} do not match np.roll(x, s, axis=2).")


# --------------------------------------------------------------------------- chapter 4
def _weights_distance(a: list, b: list) -> float:
    """The relative distance between two lists of weight arrays."""
    a = [np.asarray(u, np.float64) for u in a]
    b = [np.asarray(v, np.float64) for v in b]
    num = sum(float(np.sum((u - v) ** 2)) for u, v in zip(a, b, strict=True))
    den = sum(float(np.sum(v**2)) for v in b)
    return math.sqrt(num / max(den, 1e-12))


def check_pretrained_copy(copy, original) -> CheckResult:
    """ch04-pretrain: the fine-tuned encoder must be a copy of ``dae_gauss.encoder``, started from its weights.

    Checks that ``copy`` is a separate model with its own variables, that it started from the trained
    weights (after a little fine-tuning it is still close to them, where a fresh ``clone_model`` is not),
    and that it was unfrozen for fine-tuning.

    Call: ``checks.check_pretrained_copy(pretrained_encoder, dae_gauss.encoder)``.
    """
    for name, model in (("copy", copy), ("original", original)):
        if not hasattr(model, "get_weights"):
            raise TypeError(f"{name} must be a Keras model (an encoder), got {type(model).__name__}.")
    if copy is original:
        return _wrong("pretrained_encoder is dae_gauss.encoder itself, so fine-tuning changes the denoising "
                      "autoencoder too: copy it with keras.models.clone_model and set_weights.")
    ids = {id(v) for v in original.weights}
    if any(id(v) in ids for v in copy.weights):
        return _wrong("pretrained_encoder shares its weights with dae_gauss.encoder (the same variables), so "
                      "fine-tuning changes both: clone the model, then copy the values with set_weights.")
    mine, theirs = copy.get_weights(), original.get_weights()
    if len(mine) != len(theirs) or any(np.shape(a) != np.shape(b) for a, b in zip(mine, theirs, strict=False)):
        return _wrong("pretrained_encoder does not have dae_gauss.encoder's layers: build it with "
                      "keras.models.clone_model(dae_gauss.encoder).")
    distance = _weights_distance(mine, theirs)
    flat_mine = np.concatenate([np.ravel(w) for w in mine]).astype(np.float64)
    flat_theirs = np.concatenate([np.ravel(w) for w in theirs]).astype(np.float64)
    cosine = float(flat_mine @ flat_theirs / (np.linalg.norm(flat_mine) * np.linalg.norm(flat_theirs) + 1e-12))
    if cosine < 0.3:
        return _wrong(f"its weights are unrelated to the trained encoder's (cosine similarity {cosine:.2f}): "
                      "clone_model copies the architecture with fresh random weights. Copy the trained ones with "
                      "pretrained_encoder.set_weights(dae_gauss.encoder.get_weights()).")
    if not copy.trainable:
        return _wrong("the copy is still frozen: set pretrained_encoder.trainable = True, then compile and train "
                      "again with the smaller learning rate.")
    if distance == 0.0:
        return _wrong("the copy's weights are exactly the trained encoder's: the fine-tuning did not change them. "
                      "Unfreeze it (trainable = True) before the second train_classifier call, which compiles again.")
    return _correct(f"a separate copy that started from the trained weights (fine-tuning moved them by "
                    f"{distance:.1%}) and was unfrozen for fine-tuning; dae_gauss itself is untouched.")


def check_neighbour_agreement(neighbour_agreement, y_train, y_test, k: int = 5) -> CheckResult:
    """ch04-retrieval: ``neighbour_agreement(train_features, query_features)`` against scikit-learn.

    The function is called on made-up features (one per training image, the first queries aligned with
    ``y_test``) whose nearest neighbours and class agreement the check computes itself. It must return
    ``(neighbours, agreement)``: the indices of the ``k`` nearest training points of each query, and the
    share of them with the query's class.

    Call: ``checks.check_neighbour_agreement(neighbour_agreement, fashion.y_train, fashion.y_test)``.
    """
    from sklearn.neighbors import NearestNeighbors

    y_train, y_test = np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)
    classes = int(max(y_train.max(), y_test.max())) + 1
    n_q = min(100, len(y_test))
    truth = y_test[:n_q, None]
    for seed in range(20):  # made-up features on which the usual slips give values different from the right one
        rng = np.random.default_rng(seed)
        centres = rng.normal(size=(classes, 3)) * 1.5
        train_f = (centres[y_train] + rng.normal(size=(len(y_train), 3))).astype("float32")
        query_f = (centres[y_test[:n_q]] + rng.normal(size=(n_q, 3))).astype("float32")
        distances, reference = NearestNeighbors(n_neighbors=k).fit(train_f).kneighbors(query_f)
        expected = float(np.mean(y_train[reference] == truth))
        slips = (np.mean(y_train[reference[:, 0]] == truth[:, 0]), np.mean(y_train[reference] == y_train[:n_q, None]))
        if all(abs(float(s) - expected) > 1e-9 for s in slips):
            break
    try:
        out = neighbour_agreement(train_f, query_f)
    except Exception as err:  # noqa: BLE001
        return _error(f"neighbour_agreement on {len(train_f):,} training and {n_q} query features", err)
    if not isinstance(out, tuple | list) or len(out) != 2:
        return _wrong("neighbour_agreement should return two things, (neighbours, agreement).")
    found, agreement = np.asarray(out[0]), _as_float(out[1])
    if found.shape != (n_q, k):
        return _wrong(f"the neighbours should have one row of {k} indices per query, shape {(n_q, k)}; got "
                      f"{found.shape}.")
    if np.issubdtype(found.dtype, np.floating) and np.allclose(found, distances, atol=1e-4):
        return _wrong("those are the distances: kneighbors returns (distances, indices); keep the indices.")
    if not np.array_equal(np.sort(found, axis=1), np.sort(reference, axis=1)):
        return _wrong(f"the neighbours are not the {k} nearest training points of each query: fit NearestNeighbors("
                      f"n_neighbors={k}) on train_features and call kneighbors(query_features).")
    if agreement is None:
        return _wrong("the agreement should be one number, the share of neighbours with the query's class.")
    if _isclose(agreement, expected, rel=1e-6):
        return _correct(f"the {k} nearest neighbours match scikit-learn's and the agreement ({expected:.1%} on the "
                        "check's made-up features) counts the neighbours that share the query's class.")
    if _isclose(agreement, 100 * expected, rel=1e-6):
        return _wrong("your agreement is a percentage: return the fraction (np.mean of the matches).")
    if _isclose(agreement, float(np.mean(y_train[found[:, 0]] == truth[:, 0])), rel=1e-6):
        return _wrong(f"you counted only the first neighbour of each query; average over all {k}.")
    if _isclose(agreement, float(np.mean(y_train[found] == y_train[:n_q, None])), rel=1e-6):
        return _wrong("you compared the neighbours' classes with y_train[:n] instead of the queries' own labels, "
                      "y_test[:n].")
    return _wrong(f"your agreement is {agreement:.4f}, expected {expected:.4f}: the mean of "
                  "y_train[neighbours] == y_test[:n, None].")


def check_noise_sweep(noisy_sets, clean, model=None, scores=None) -> CheckResult:
    """ch04-noise-sweep: noisy test sets with the right noise levels, and (optionally) one model's PSNRs.

    ``noisy_sets`` maps each test noise level to the noisy version of ``clean``; ``model`` and ``scores``
    are the loop's last model and its list of output PSNRs (one per level, in the dict's order).

    Call: ``checks.check_noise_sweep(noisy_sets, x_sweep, dae, scores)``.
    """
    from helpers import metrics

    if not isinstance(noisy_sets, dict) or not noisy_sets:
        return _wrong("`noisy_sets` should be a dict from each test noise level to its noisy images.")
    x = np.asarray(clean, dtype=np.float64)
    for level, noisy in noisy_sets.items():
        if _as_float(level) is None:
            return _wrong(f"the keys of `noisy_sets` should be the noise levels (numbers), got {level!r}.")
        noisy = np.asarray(noisy, dtype=np.float64)
        if noisy.shape != x.shape:
            return _wrong(f"the noisy images at {level} have shape {noisy.shape}, the clean ones {x.shape}.")
        noise = noisy - x
        std = float(noise.std())
        if float(level) > 0 and noisy.min() >= 0.0 and noisy.max() <= 1.0:
            return _wrong(f"the noisy images at {level} lie in [0, 1]: clipping removes much of the noise on the "
                          "black background. Add the noise without clipping, as the chapter's x_noisy does.")
        if not _isclose(std, float(level), rel=0.05):
            if _isclose(std, float(level) ** 2, rel=0.05):
                hint = "you used the level as the variance; it is the standard deviation, normal(0.0, s, ...)"
            elif _isclose(std, math.sqrt(float(level)), rel=0.05):
                hint = "you used the square root of the level; it is the standard deviation itself"
            else:
                hint = "draw normal(0.0, s, size=x.shape) and add it to the clean images"
            return _wrong(f"the noise at level {level} has standard deviation {std:.3f}: {hint}.")
        if abs(float(noise.mean())) > 0.1 * float(level):
            return _wrong(f"the noise at level {level} has mean {noise.mean():.3f}; it should have mean zero.")
    message = "every test set carries Gaussian noise of the stated standard deviation"
    if model is not None and scores is not None:
        answer = _numeric(scores)
        levels = list(noisy_sets)
        if answer is None or answer.size != len(levels):
            return _wrong(f"`scores` should hold one PSNR per test level ({len(levels)}).")
        answer = answer.reshape(-1)
        try:
            outputs = [_predict(model, np.asarray(noisy_sets[s], dtype="float32")) for s in levels]
        except Exception as err:  # noqa: BLE001
            return _error("denoising the test sets with your model", err)
        expected = np.array([metrics.psnr(x, out) for out in outputs])
        if not np.allclose(answer, expected, atol=0.01):
            against_noisy = np.array([metrics.psnr(np.asarray(noisy_sets[s]), out) for s, out in zip(levels, outputs,
                                                                                                    strict=True)])
            if np.allclose(answer, against_noisy, atol=0.01):
                return _wrong("your PSNRs compare the outputs with the noisy inputs; compare them with the clean "
                              "images, metrics.psnr(x_sweep, output).")
            return _wrong(f"the last model's PSNRs should be {np.round(expected, 2).tolist()} dB, yours are "
                          f"{np.round(answer, 2).tolist()}: metrics.psnr(x_sweep, dae.predict(noisy_sets[s])).")
        message += f", and the last model's output PSNRs ({' '.join(f'{v:.1f}' for v in expected)} dB) match"
    return _correct(message + ".")


def check_kl_sweep(model, codes, x, weight: float = 1.0, target: float = 0.1) -> CheckResult:
    """ch04-kl-weight: the sweep's last model has the KL penalty of ``weight`` and ``codes`` are its codings.

    Also checks the mean activation: a penalty this strong holds it near ``target`` once trained.

    Call: ``checks.check_kl_sweep(model, c, x_few_test)``.
    """
    if not hasattr(model, "encoder"):
        raise TypeError(f"model must be the sweep's last autoencoder, got {type(model).__name__}.")
    try:
        penalty = model.encoder.get_layer("codings").activity_regularizer
    except ValueError:
        penalty = None
    if penalty is None:
        return _wrong("the model's codings have no activity penalty: pass code_regularizer="
                      "KLDivergenceRegularizer(weight, target=KL_TARGET) to dense_autoencoder.")
    if not hasattr(penalty, "target"):
        return _wrong(f"the codings' penalty is a {type(penalty).__name__}, not the KLDivergenceRegularizer.")
    if not _isclose(float(penalty.weight), weight, rel=1e-6):
        return _wrong(f"the last model's KL weight is {penalty.weight:g}; the loop ends with weight {weight:g}: build "
                      "each model with KLDivergenceRegularizer(weight, ...) from the loop variable.")
    if not _isclose(float(penalty.target), target, rel=1e-6):
        return _wrong(f"the penalty's target is {penalty.target:g}, the chapter's is {target:g} (KL_TARGET).")
    reference = np.asarray(model.encode(np.asarray(x)), dtype=np.float64)
    answer = _numeric(codes)
    if answer is None or answer.shape != reference.shape or not np.allclose(answer, reference, atol=1e-4):
        return _wrong("`c` is not this model's codings of x_few_test: c = model.encode(x_few_test).")
    mean = float(reference.mean())
    message = (f"KL weight {weight:g} with target {target:g}; mean activation {mean:.4f}, activations below 0.05: "
               f"{np.mean(reference < 0.05):.1%}")
    if abs(mean - target) > 0.05:
        message += (f". The mean is still far from the target, which a weight of {weight:g} holds closely once "
                    "trained: this model has had little training")
    return _correct(message + ".")


def check_cross_noise_inputs(inputs, clean, noise_std: float = 0.2, rate: float = 0.5) -> CheckResult:
    """ch04-cross-noise: one Gaussian-noisy and one masked test set, the masked one scaled as ``Dropout`` does.

    Call: ``checks.check_cross_noise_inputs(inputs, x_test)``.
    """
    if not isinstance(inputs, dict) or len(inputs) != 2:
        return _wrong("`inputs` should be a dict with two entries, the Gaussian-noisy and the masked test images.")
    x = np.asarray(clean, dtype=np.float64)
    inked = x > 0.05
    gaussian, masked = [], []
    for name, images in inputs.items():
        images = np.asarray(images, dtype=np.float64)
        if images.shape != x.shape:
            return _wrong(f"{name!r} has shape {images.shape}, the test images {x.shape}.")
        dropped = float(np.mean(images[inked] == 0.0))
        (masked if dropped > 0.2 else gaussian).append((name, images, dropped))
    if len(masked) != 1 or len(gaussian) != 1:
        return _wrong("expected one Gaussian-noisy set (x_noisy) and one masked set (x_masked / 0.5); found "
                      f"{len(gaussian)} and {len(masked)}.")
    g_name, g_images, _ = gaussian[0]
    std = float((g_images - x).std())
    if not _isclose(std, noise_std, rel=0.05):
        return _wrong(f"{g_name!r} has noise of standard deviation {std:.3f}; the Gaussian model was trained on "
                      f"{noise_std}: use x_noisy.")
    m_name, m_images, dropped = masked[0]
    if not abs(dropped - rate) < 0.05:
        return _wrong(f"{m_name!r} drops {dropped:.0%} of the inked pixels; the dropout model was trained with a rate "
                      f"of {rate:.0%}: use x_masked.")
    kept = inked & (m_images != 0.0)
    scale = float(np.median(m_images[kept] / x[kept]))
    if _isclose(scale, 1.0, rel=1e-3):
        return _wrong(f"{m_name!r} is not scaled: in training Dropout({rate:g}) multiplies the pixels it keeps by "
                      f"1 / (1 - {rate:g}) = {1 / (1 - rate):g}, so feed the dropout model x_masked / {1 - rate:g}.")
    if not _isclose(scale, 1.0 / (1.0 - rate), rel=1e-3):
        return _wrong(f"{m_name!r} scales the kept pixels by {scale:.3g}; Dropout({rate:g}) scales them by "
                      f"{1 / (1 - rate):g}.")
    return _correct(f"{g_name!r} carries Gaussian noise of standard deviation {std:.3f} and {m_name!r} drops "
                    f"{dropped:.0%} of the pixels and scales the rest by {scale:g}, as Dropout({rate:g}) does.")


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
