"""Autoencoders: an encoder and a decoder trained to reproduce their input."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="genbook")
class Autoencoder(keras.Model):
    """``decoder(encoder(x))``, trained with whatever loss it is compiled with.

    ``encode`` and ``decode`` give the two halves on their own, batched and without gradients.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        if encoder.built and decoder.built:  # e.g. Sequential models that start with keras.Input
            self.built = True

    def build(self, input_shape) -> None:
        if not self.encoder.built:
            self.encoder.build(input_shape)
        if not self.decoder.built:
            self.decoder.build(self.encoder.compute_output_shape(input_shape))
        self.built = True

    def call(self, inputs, training: bool = False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def encode(self, x, batch_size: int = 1024):
        """Codings of ``x`` as a NumPy array."""
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    def decode(self, codings, batch_size: int = 1024):
        """Reconstructions from ``codings`` as a NumPy array."""
        return self.decoder.predict(codings, batch_size=batch_size, verbose=0)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(encoder=keras.saving.serialize_keras_object(self.encoder),
                      decoder=keras.saving.serialize_keras_object(self.decoder))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Autoencoder:
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def linear_autoencoder(input_dim: int, code_dim: int, use_bias: bool = True) -> Autoencoder:
    """A linear autoencoder ``input_dim -> code_dim -> input_dim``: one Dense layer each way, no activations.

    Trained with MSE it spans the same subspace as the top ``code_dim`` principal components.
    """
    if not 0 < code_dim <= input_dim:
        raise ValueError(f"code_dim must be between 1 and input_dim={input_dim}, got {code_dim}.")
    encoder = keras.Sequential([keras.Input((input_dim,)), keras.layers.Dense(code_dim, use_bias=use_bias)],
                               name="encoder")
    decoder = keras.Sequential([keras.Input((code_dim,)), keras.layers.Dense(input_dim, use_bias=use_bias)],
                               name="decoder")
    return Autoencoder(encoder, decoder, name=f"linear_ae_{code_dim}")
