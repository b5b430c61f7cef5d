"""Autoencoders: an encoder and a decoder trained to reproduce their input."""

from __future__ import annotations

from typing import Any

import keras

from helpers.distribute import Distributed, in_scope
from helpers.models.common import Network


@keras.saving.register_keras_serializable(package="genbook")
class Autoencoder(Distributed, keras.Model):
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


@in_scope
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


def _image_size(input_shape: tuple[int, ...]) -> int:
    size = 1
    for dim in input_shape:
        size *= dim
    return size


@in_scope
def dense_autoencoder(
    input_shape: tuple[int, ...] = (28, 28),
    code_size: int = 30,
    hidden: tuple[int, ...] = (100,),
    *,
    activation: str = "selu",
    code_activation: str | None = "selu",
    output_activation: str | None = "sigmoid",
    tied: bool = False,
    input_noise: keras.layers.Layer | None = None,
    code_regularizer: keras.regularizers.Regularizer | None = None,
    name: str | None = None,
) -> Autoencoder:
    """A stacked (multi-layer) dense autoencoder, the workhorse of chapters 2 to 4.

    The encoder flattens the input, applies ``hidden`` Dense layers and a ``code_size`` coding layer;
    the decoder mirrors it and reshapes to ``input_shape``. Options:

    - ``tied``: the decoder's Dense layers are :class:`~helpers.layers.DenseTranspose` layers tied to the
      encoder's kernels (half the weights);
    - ``input_noise``: a layer applied to the inputs during training only (``GaussianNoise``, ``Dropout``)
      for a denoising autoencoder;
    - ``code_regularizer``: an activity regulariser on the codings (sparse autoencoders).

    SELU layers use LeCun-normal initialisation, as self-normalising networks require.
    """
    from helpers.layers import DenseTranspose

    if code_size < 1 or any(units < 1 for units in hidden):
        raise ValueError(f"Layer sizes must be positive, got hidden={hidden}, code_size={code_size}.")
    init = "lecun_normal" if activation == "selu" else "glorot_uniform"
    code_init = "lecun_normal" if code_activation == "selu" else "glorot_uniform"
    n_inputs = _image_size(input_shape)
    name = name or f"{'tied_' if tied else ''}dense_ae_{code_size}"

    encoder_dense = [keras.layers.Dense(units, activation=activation, kernel_initializer=init) for units in hidden]
    code_layer = keras.layers.Dense(code_size, activation=code_activation, kernel_initializer=code_init,
                                    activity_regularizer=code_regularizer, name="codings")
    enc_layers: list[keras.layers.Layer] = [keras.Input(input_shape)]
    if input_noise is not None:
        enc_layers.append(input_noise)
    if len(input_shape) > 1:
        enc_layers.append(keras.layers.Flatten())
    encoder = keras.Sequential(enc_layers + encoder_dense + [code_layer], name=f"{name}_encoder")

    dec_layers: list[keras.layers.Layer] = [keras.Input((code_size,))]
    if tied:
        tied_to = [code_layer, *reversed(encoder_dense)]
        activations = [activation] * len(hidden) + [output_activation]
        dec_layers += [DenseTranspose(dense, activation=act) for dense, act in zip(tied_to, activations, strict=True)]
    else:
        dec_layers += [keras.layers.Dense(units, activation=activation, kernel_initializer=init)
                       for units in reversed(hidden)]
        dec_layers.append(keras.layers.Dense(n_inputs, activation=output_activation))
    if len(input_shape) > 1:
        dec_layers.append(keras.layers.Reshape(input_shape))
    decoder = keras.Sequential(dec_layers, name=f"{name}_decoder")
    return Autoencoder(encoder, decoder, name=name)


@in_scope
def stack_autoencoders(outer: Autoencoder, inner: Autoencoder, name: str = "stacked_ae") -> Autoencoder:
    """Greedy layer-wise stacking: ``inner`` was trained on ``outer``'s codings; nest it inside ``outer``.

    The result encodes with ``outer.encoder`` then ``inner.encoder`` and decodes in the reverse order,
    sharing (not copying) the trained layers.
    """
    inner_in = inner.encoder.inputs[0].shape[1:]
    outer_out = outer.encoder.outputs[0].shape[1:]
    if tuple(inner_in) != tuple(outer_out):
        raise ValueError(f"The inner autoencoder takes inputs of shape {tuple(inner_in)} but the outer one's "
                         f"codings have shape {tuple(outer_out)}.")
    encoder = keras.Sequential([outer.encoder, inner.encoder], name="stacked_encoder")
    decoder = keras.Sequential([inner.decoder, outer.decoder], name="stacked_decoder")
    return Autoencoder(encoder, decoder, name=name)


@in_scope
def conv_autoencoder(input_shape: tuple[int, int] = (28, 28), code_size: int = 30,
                     filters: tuple[int, int, int] = (16, 32, 64), name: str = "conv_ae") -> Autoencoder:
    """A convolutional autoencoder for 28x28 images.

    Encoder: three Conv2D + max-pooling stages (28 -> 14 -> 7 -> 3) and a Dense coding layer, so its
    code size can match a dense autoencoder's. Decoder: a Dense layer back to 3x3 feature maps, then
    three stride-2 Conv2DTranspose layers (3 -> 7 -> 14 -> 28), the last with a sigmoid.
    """
    if tuple(input_shape) != (28, 28):
        raise ValueError(f"conv_autoencoder is laid out for 28x28 images, got {input_shape}.")
    f1, f2, f3 = filters
    encoder = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Reshape((*input_shape, 1)),
        keras.layers.Conv2D(f1, 3, padding="same", activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(f2, 3, padding="same", activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(f3, 3, padding="same", activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(code_size, activation="selu", kernel_initializer="lecun_normal", name="codings"),
    ], name="conv_encoder")
    decoder = keras.Sequential([
        keras.Input((code_size,)),
        keras.layers.Dense(3 * 3 * f3, activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.Reshape((3, 3, f3)),
        keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="valid", activation="selu",
                                     kernel_initializer="lecun_normal"),
        keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="selu",
                                     kernel_initializer="lecun_normal"),
        keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
        keras.layers.Reshape(input_shape),
    ], name="conv_decoder")
    return Autoencoder(encoder, decoder, name=name)


@in_scope
def recurrent_autoencoder(input_shape: tuple[int, int] = (28, 28), code_size: int = 30, units: int = 100,
                          name: str = "rnn_ae") -> Autoencoder:
    """A recurrent autoencoder that reads an image row by row.

    Encoder: LSTM(units) over the rows, then LSTM(code_size) whose last state is the code. Decoder:
    RepeatVector(rows), LSTM(units) and a TimeDistributed Dense with a sigmoid that writes each row.
    """
    rows, cols = input_shape
    encoder = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.LSTM(units, return_sequences=True),
        keras.layers.LSTM(code_size, name="codings"),
    ], name="rnn_encoder")
    decoder = keras.Sequential([
        keras.Input((code_size,)),
        keras.layers.RepeatVector(rows),
        keras.layers.LSTM(units, return_sequences=True),
        keras.layers.TimeDistributed(keras.layers.Dense(cols, activation="sigmoid")),
    ], name="rnn_decoder")
    return Autoencoder(encoder, decoder, name=name)


@in_scope
def encoder_classifier(encoder: keras.Model, num_classes: int = 10, trainable: bool = True,
                       name: str = "classifier") -> keras.Model:
    """A classifier that puts a softmax layer on top of ``encoder`` (pretrained or fresh).

    With ``trainable=False`` the encoder is frozen and only the softmax layer learns. The encoder is used
    as it is, not copied: its ``trainable`` flag is changed, and fine-tuning changes its weights, so pass a
    copy when the trained autoencoder must stay as it was.
    """
    encoder.trainable = trainable
    inputs = keras.Input(encoder.inputs[0].shape[1:])
    outputs = keras.layers.Dense(num_classes, activation="softmax")(encoder(inputs, training=False))
    return Network(inputs, outputs, name=name)
