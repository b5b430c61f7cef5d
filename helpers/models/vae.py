"""Variational autoencoders: dense, convolutional and conditional, with the ELBO and an importance-weighted NLL."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers.distribute import Distributed, in_scope
from helpers.layers import Sampling
from helpers.losses import bernoulli_log_likelihood, gaussian_kl, log_normal_pdf
from helpers.models.common import apply_gradients, unpack_batch


@keras.saving.register_keras_serializable(package="genbook")
class VAE(Distributed, keras.Model):
    """A variational autoencoder with a Gaussian encoder and a Bernoulli decoder.

    ``encoder(x)`` returns ``[mean, log_var]`` of q(z|x); ``decoder(z)`` returns pixel **logits**. For a
    conditional VAE (``num_classes`` set) the data are ``(x, label)`` pairs and both networks also take
    the one-hot label: ``encoder([x, y])``, ``decoder([z, y])``.

    The training loss is the negative ELBO divided by the number of pixels (so its size matches a
    per-pixel binary cross-entropy): ``(-log p(x|z) + KL) / n_pixels``. ``kl_estimator="analytic"`` uses
    the closed-form KL; ``"monte_carlo"`` uses ``log q(z|x) - log p(z)`` at the sampled ``z``.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, num_classes: int | None = None,
                 kl_estimator: str = "analytic", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kl_estimator not in ("analytic", "monte_carlo"):
            raise ValueError(f"kl_estimator is 'analytic' or 'monte_carlo', got {kl_estimator!r}.")
        self.encoder = encoder
        self.decoder = decoder
        self.num_classes = num_classes
        self.kl_estimator = kl_estimator
        self.seed = seed
        self.sampling = Sampling(seed=seed)
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        if encoder.built and decoder.built:
            self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker, self.elbo_tracker]

    # ------------------------------------------------------------------ pieces
    def _unpack(self, data):
        return unpack_batch(data, self.num_classes, "VAE")

    def _encode(self, x, onehot, training: bool = False):
        return self.encoder(x if onehot is None else [x, onehot], training=training)

    def decode_logits(self, z, onehot=None, training: bool = False):
        """Pixel logits of p(x|z) (and the label, for a conditional VAE)."""
        return self.decoder(z if onehot is None else [z, onehot], training=training)

    def call(self, inputs, training: bool = False):
        x, onehot = self._unpack(inputs)
        mean, log_var = self._encode(x, onehot, training)
        z = self.sampling([mean, log_var])
        return ops.sigmoid(self.decode_logits(z, onehot, training))

    def terms(self, data, training: bool = False) -> dict[str, Any]:
        """Per-example reconstruction term ``-log p(x|z)``, KL estimate and ELBO, in nats."""
        x, onehot = self._unpack(data)
        mean, log_var = self._encode(x, onehot, training)
        z = self.sampling([mean, log_var])
        logits = self.decode_logits(z, onehot, training)
        reconstruction = -bernoulli_log_likelihood(x, logits)
        if self.kl_estimator == "analytic":
            kl = gaussian_kl(mean, log_var)
        else:
            kl = log_normal_pdf(z, mean, log_var) - log_normal_pdf(z, ops.zeros_like(z), ops.zeros_like(z))
        return {"reconstruction": reconstruction, "kl": kl, "elbo": -(reconstruction + kl)}

    def _n_pixels(self, x) -> int:
        return int(np.prod(x.shape[1:]))

    def _update(self, loss, terms) -> dict[str, Any]:
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(ops.mean(terms["reconstruction"]))
        self.kl_tracker.update_state(ops.mean(terms["kl"]))
        self.elbo_tracker.update_state(ops.mean(terms["elbo"]))
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------ training
    def train_step(self, data):
        x, _ = self._unpack(data)
        with tf.GradientTape() as tape:
            terms = self.terms(data, training=True)
            loss = -ops.mean(terms["elbo"]) / self._n_pixels(x)
        apply_gradients(self.optimizer, tape, loss, self.trainable_weights)
        return self._update(loss, terms)

    def test_step(self, data):
        x, _ = self._unpack(data)
        terms = self.terms(data, training=False)
        return self._update(-ops.mean(terms["elbo"]) / self._n_pixels(x), terms)

    # ------------------------------------------------------------------ generation and evaluation
    def sample(self, n: int, labels: np.ndarray | None = None, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
        """``n`` images decoded from z ~ N(0, temperature^2 I) (for the given labels if conditional)."""
        z = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32") * temperature
        return self.decode(z, labels)

    def decode(self, z: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 512) -> np.ndarray:
        """Pixel probabilities decoded from codings ``z``."""
        onehot = None
        if self.num_classes is not None:
            if labels is None:
                raise ValueError("A conditional VAE needs the labels to decode.")
            onehot = np.eye(self.num_classes, dtype="float32")[np.asarray(labels).astype(int)]
        out = []
        for i in range(0, len(z), batch_size):
            oh = None if onehot is None else onehot[i:i + batch_size]
            out.append(ops.convert_to_numpy(ops.sigmoid(self.decode_logits(z[i:i + batch_size], oh))))
        return np.concatenate(out)

    def encode(self, x: np.ndarray, labels: np.ndarray | None = None,
               batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """Mean and log-variance of q(z|x), as NumPy arrays."""
        means, log_vars = [], []
        for i in range(0, len(x), batch_size):
            batch = x[i:i + batch_size] if labels is None else (x[i:i + batch_size], labels[i:i + batch_size])
            xb, oh = self._unpack(batch)
            mean, log_var = self._encode(xb, oh)
            means.append(ops.convert_to_numpy(mean))
            log_vars.append(ops.convert_to_numpy(log_var))
        return np.concatenate(means), np.concatenate(log_vars)

    def elbo(self, x: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 500) -> float:
        """The mean ELBO in nats per image (one posterior sample per image, analytic or MC KL as trained)."""
        values = []
        for i in range(0, len(x), batch_size):
            batch = x[i:i + batch_size] if labels is None else (x[i:i + batch_size], labels[i:i + batch_size])
            values.append(ops.convert_to_numpy(self.terms(batch)["elbo"]))
        return float(np.mean(np.concatenate(values)))

    def importance_weighted_nll(self, x: np.ndarray, k: int = 100, labels: np.ndarray | None = None,
                                batch_size: int = 100) -> float:
        """Estimate ``-log p(x)`` in nats per image with ``k`` importance samples from q(z|x).

        ``log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k``; it is an upper bound
        on the NLL that tightens as ``k`` grows and is never looser than the negative ELBO in expectation.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}.")
        results = []
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            lb = None if labels is None else labels[i:i + batch_size]
            _, onehot = self._unpack(xb if lb is None else (xb, lb))
            mean, log_var = self._encode(xb, onehot)
            log_w = []
            for _ in range(k):
                z = self.sampling([mean, log_var])
                log_px_z = bernoulli_log_likelihood(xb, self.decode_logits(z, onehot))
                log_pz = log_normal_pdf(z, ops.zeros_like(z), ops.zeros_like(z))
                log_qz = log_normal_pdf(z, mean, log_var)
                log_w.append(ops.convert_to_numpy(log_px_z + log_pz - log_qz))
            log_w = np.stack(log_w, axis=0)
            m = log_w.max(axis=0)
            results.append(-(m + np.log(np.mean(np.exp(log_w - m), axis=0))))
        return float(np.mean(np.concatenate(results)))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(encoder=keras.saving.serialize_keras_object(self.encoder),
                      decoder=keras.saving.serialize_keras_object(self.decoder),
                      num_classes=self.num_classes, kl_estimator=self.kl_estimator, seed=self.seed)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> VAE:
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def _gaussian_head(h, latent_dim: int):
    mean = keras.layers.Dense(latent_dim, name="mean")(h)
    log_var = keras.layers.Dense(latent_dim, name="log_var")(h)
    return [mean, log_var]


def _decoder_inputs(latent_dim: int, num_classes: int | None) -> tuple[list, Any]:
    """The decoder's inputs (z, and the one-hot label of a conditional VAE) and their concatenation."""
    z_in = keras.Input((latent_dim,), name="z")
    if not num_classes:
        return [z_in], z_in
    y_in = keras.Input((num_classes,), name="label")
    return [z_in, y_in], keras.layers.Concatenate()([z_in, y_in])


@in_scope
def dense_vae(input_shape: tuple[int, ...] = (28, 28), latent_dim: int = 10, hidden: tuple[int, ...] = (150, 100),
              num_classes: int | None = None, kl_estimator: str = "analytic", seed: int | None = None,
              name: str = "vae") -> VAE:
    """A dense VAE: SELU hidden layers, a Gaussian code of ``latent_dim`` and a Bernoulli decoder."""
    x_in = keras.Input(input_shape, name="image")
    inputs = [x_in]
    h = keras.layers.Flatten()(x_in)
    if num_classes:
        y_in = keras.Input((num_classes,), name="label")
        inputs.append(y_in)
        h = keras.layers.Concatenate()([h, y_in])
    for units in hidden:
        h = keras.layers.Dense(units, activation="selu", kernel_initializer="lecun_normal")(h)
    encoder = keras.Model(inputs if num_classes else x_in, _gaussian_head(h, latent_dim), name=f"{name}_encoder")

    dec_inputs, h = _decoder_inputs(latent_dim, num_classes)
    for units in reversed(hidden):
        h = keras.layers.Dense(units, activation="selu", kernel_initializer="lecun_normal")(h)
    logits = keras.layers.Reshape(input_shape)(keras.layers.Dense(math.prod(input_shape), name="logits")(h))
    decoder = keras.Model(dec_inputs if num_classes else dec_inputs[0], logits, name=f"{name}_decoder")
    return VAE(encoder, decoder, num_classes=num_classes, kl_estimator=kl_estimator, seed=seed, name=name)


@in_scope
def conv_vae(input_shape: tuple[int, int, int] = (28, 28, 1), latent_dim: int = 16, filters: tuple[int, int] = (32, 64),
             num_classes: int | None = None, kl_estimator: str = "analytic", seed: int | None = None,
             name: str = "conv_vae") -> VAE:
    """A convolutional VAE for 28x28x1 images: two stride-2 convolutions down, two transposed ones up."""
    if tuple(input_shape) != (28, 28, 1):
        raise ValueError(f"conv_vae is laid out for 28x28x1 images, got {input_shape}.")
    f1, f2 = filters
    x_in = keras.Input(input_shape, name="image")
    h = x_in
    inputs = [x_in]
    if num_classes:
        y_in = keras.Input((num_classes,), name="label")
        inputs.append(y_in)
        planes = keras.layers.Reshape((1, 1, num_classes))(y_in)
        planes = keras.layers.UpSampling2D(size=(28, 28))(planes)
        h = keras.layers.Concatenate()([h, planes])
    h = keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    encoder = keras.Model(inputs if num_classes else x_in, _gaussian_head(h, latent_dim), name=f"{name}_encoder")

    dec_inputs, h = _decoder_inputs(latent_dim, num_classes)
    h = keras.layers.Dense(7 * 7 * f2, activation="relu")(h)
    h = keras.layers.Reshape((7, 7, f2))(h)
    h = keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu")(h)
    logits = keras.layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    decoder = keras.Model(dec_inputs if num_classes else dec_inputs[0], logits, name=f"{name}_decoder")
    return VAE(encoder, decoder, num_classes=num_classes, kl_estimator=kl_estimator, seed=seed, name=name)
