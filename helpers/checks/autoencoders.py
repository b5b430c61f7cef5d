"""Checkers for the exercises of the part *Autoencoders*: chapter 1 (PCA and the linear autoencoder),
chapter 2 (stacked autoencoders), chapter 3 (convolutional and recurrent autoencoders) and chapter 4
(denoising and sparse autoencoders).
"""

from __future__ import annotations

import math

import numpy as np

from .verdict import (
    CheckResult,
    _angle_deg,
    _as_float,
    _correct,
    _data_matrix,
    _err_hint,
    _error,
    _isclose,
    _mean_image_mse,
    _numeric,
    _predict,
    _untrained,
    _versus_mean,
    _weighted_layers,
    _weights_distance,
    _wrong,
)


# --------------------------------------------------------------------------- chapter 1
def _linear_layers(autoencoder):
    """The encoder's and decoder's last Dense layers of a linear autoencoder."""
    try:
        return autoencoder.encoder.layers[-1], autoencoder.decoder.layers[-1]
    except (AttributeError, IndexError) as err:
        raise TypeError("Pass a linear autoencoder from helpers.models.autoencoders.linear_autoencoder "
                        f"(with .encoder and .decoder); got {type(autoencoder).__name__}.") from err


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
    without centring), so the check judges the model against what its architecture allows. A model whose
    optimizer took no step is refused whatever its error: a random plane can by chance lie near the best one.

    Call: ``checks.check_no_bias(no_bias, X, mse_pca)``.
    """
    if not hasattr(model, "predict"):
        raise TypeError(f"model must be the trained Keras model no_bias, got {type(model).__name__}.")
    X = _data_matrix(X)
    enc, dec = _linear_layers(model)
    if getattr(enc, "bias", None) is not None or getattr(dec, "bias", None) is not None:
        return _wrong("your model has biases, so it can shift its plane away from the origin like plane_ae: build "
                      "it with linear_autoencoder(3, 2, use_bias=False).")
    if _untrained(model):
        return _wrong("your model has not been trained (its optimizer has taken no step): compile it and train it on "
                      "X - X.mean(axis=0) with the same optimiser and epochs as plane_ae, as the exercise says.")
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
