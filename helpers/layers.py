"""Custom layers and regularisers the chapters share."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from helpers.distribute import ReplicaSeedGenerator


@keras.saving.register_keras_serializable(package="genbook")
class DenseTranspose(keras.layers.Layer):
    """A dense layer that reuses the transposed kernel of another ``Dense`` layer (tied weights).

    ``DenseTranspose(dense)`` maps ``dense``'s outputs back to its inputs with ``x @ dense.kernel.T + b``;
    only the bias is its own, so a tied autoencoder's decoder adds almost no parameters. The tie is a
    Python reference: build both layers in the same model. A ``get_config`` round trip rebuilds an
    equivalent, untied layer from the stored ``Dense`` config.
    """

    def __init__(self, dense: keras.layers.Dense, activation: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(dense, keras.layers.Dense):
            raise TypeError(f"DenseTranspose ties to a keras.layers.Dense layer, got {type(dense).__name__}.")
        self.dense = dense
        self.activation = keras.activations.get(activation)

    def build(self, input_shape) -> None:
        if not self.dense.built:
            raise ValueError("Build the tied Dense layer first (call it, or start its model with keras.Input), "
                             "so that DenseTranspose knows the size of its kernel.")
        units = self.dense.kernel.shape[0]
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.dense.kernel.shape[0])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(dense=keras.saving.serialize_keras_object(self.dense),
                      activation=keras.activations.serialize(self.activation))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DenseTranspose:
        config = dict(config)
        dense = keras.saving.deserialize_keras_object(config.pop("dense"))
        build_config = dense.get_build_config() if hasattr(dense, "get_build_config") else None
        if not dense.built and build_config:
            dense.build_from_config(build_config)
        return cls(dense, **config)


@keras.saving.register_keras_serializable(package="genbook")
class KLDivergenceRegularizer(keras.regularizers.Regularizer):
    """Sparsity penalty: ``weight * sum_j KL(target || mean activation of unit j over the batch)``.

    For sigmoid codings in (0, 1); pushes each unit's average activation towards ``target``. Used as a
    layer's ``activity_regularizer``, note that recent Keras 3 releases divide activity penalties by the
    batch size, so the effective weight is ``weight / batch_size`` there; tune ``weight`` with the batch
    size you train with.
    """

    def __init__(self, weight: float = 0.05, target: float = 0.1) -> None:
        if not 0.0 < target < 1.0:
            raise ValueError(f"target is an activation rate in (0, 1), got {target}.")
        self.weight = float(weight)
        self.target = float(target)

    def __call__(self, inputs):
        eps = 1e-7
        rho = self.target
        rho_hat = ops.clip(ops.mean(inputs, axis=0), eps, 1.0 - eps)
        kl = rho * ops.log(rho / rho_hat) + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - rho_hat))
        return self.weight * ops.sum(kl)

    def get_config(self) -> dict[str, float]:
        return {"weight": self.weight, "target": self.target}


@keras.saving.register_keras_serializable(package="genbook")
class Sampling(keras.layers.Layer):
    """The reparameterisation trick: ``Sampling()([mean, log_var])`` returns ``mean + exp(log_var / 2) * eps``.

    ``eps`` is standard normal noise drawn fresh on every call, so the sample is a differentiable
    function of ``mean`` and ``log_var``.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(log_var / 2.0) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="genbook")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016): features that tell the discriminator how alike the
    samples of a batch are, so that a collapsed generator (many near-identical fakes) is easy to spot.

    For input features ``f_i`` (shape ``(batch, A)``) a learned tensor ``T`` (``A x B x C``) gives each
    sample ``B`` rows ``M_i,b = f_i T_b`` of length ``C``. Closeness of samples ``i`` and ``j`` under kernel
    ``b`` is ``c_b(i, j) = exp(-s_b ||M_i,b - M_j,b||_1)`` and the new features are
    ``o(i)_b = sum_{j != i} c_b(i, j) + bias_b``: each sample's closeness to the *other* samples of its
    batch. The output is ``[f_i, o(i)]``, of shape ``(batch, A + B)``.

    As in the reference code (openai/improved-gan), the scale ``s_b = exp(log_scale_b)`` and the bias are
    set from the first batch seen in training (``data_init=True``): the scale so that the mean distance of
    a sample to its nearest neighbour is 2 under every kernel (``c`` neither 0 nor 1, so the features are
    not saturated), the bias so that the features start at mean 0. Both are trained afterwards.
    ``num_kernels`` is ``B`` and ``kernel_dim`` is ``C``.

    The cost grows with the square of the batch. With ``group_size=g`` each sample is compared with the
    other samples of its own group of ``g`` consecutive samples only (the batch must be a multiple of
    ``g``), which keeps large batches affordable; ``None`` compares across the whole batch.
    """

    def __init__(self, num_kernels: int = 50, kernel_dim: int = 5, data_init: bool = True,
                 group_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if group_size is not None and int(group_size) < 2:
            raise ValueError(f"group_size is the number of samples compared together (>= 2) or None, got {group_size}.")
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
        self.data_init = bool(data_init)
        self.group_size = None if group_size is None else int(group_size)

    def build(self, input_shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(f"MinibatchDiscrimination takes (batch, features) inputs (flatten first), "
                             f"got shape {tuple(input_shape)}.")
        self.T = self.add_weight(name="T", shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                 initializer=keras.initializers.RandomNormal(stddev=0.05))
        self.log_scale = self.add_weight(name="log_scale", shape=(self.num_kernels,), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.num_kernels,), initializer="zeros")
        self.initialized = self.add_weight(name="initialized", shape=(), initializer="zeros", trainable=False)

    def distances(self, inputs):
        """The L1 distances ``||M_i,b - M_j,b||_1`` before scaling: ``(batch, batch, B)``, or with
        ``group_size=g`` ``(batch, g, B)`` (each sample against the members of its group)."""
        m = ops.reshape(ops.matmul(inputs, self.T), (-1, self.num_kernels, self.kernel_dim))
        if self.group_size is None:
            return ops.sum(ops.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)
        g = self.group_size
        grouped = ops.reshape(m, (-1, g, self.num_kernels, self.kernel_dim))  # (groups, g, B, C)
        l1 = ops.sum(ops.abs(grouped[:, :, None] - grouped[:, None, :]), axis=-1)  # (groups, g, g, B)
        return ops.reshape(l1, (-1, g, self.num_kernels))

    def call(self, inputs, training: bool = False):
        l1 = self.distances(inputs)
        if self.group_size is None:
            others = 1.0 - ops.eye(ops.shape(inputs)[0], dtype=l1.dtype)[:, :, None]  # j != i
        else:
            groups = ops.shape(inputs)[0] // self.group_size
            others = (1.0 - ops.tile(ops.eye(self.group_size, dtype=l1.dtype), (groups, 1)))[:, :, None]
        init = training and self.data_init
        log_scale, bias = self.log_scale, self.bias
        if init:
            first = self.initialized < 0.5
            nearest = ops.min(l1 + 1e6 * (1.0 - others), axis=1)  # (batch, B)
            init_scale = -ops.log(0.5 * ops.mean(nearest, axis=0) + 1e-8)
            log_scale = ops.where(first, ops.stop_gradient(init_scale), log_scale)
        closeness = ops.sum(ops.exp(-l1 * ops.exp(log_scale)) * others, axis=1)  # (batch, B), before the bias
        if init:
            bias = ops.where(first, -ops.stop_gradient(ops.mean(closeness, axis=0)), bias)
            self.log_scale.assign(log_scale)
            self.bias.assign(bias)
            self.initialized.assign(1.0)
        return ops.concatenate([inputs, ops.cast(closeness + bias, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        features = None if input_shape[-1] is None else input_shape[-1] + self.num_kernels
        return (input_shape[0], features)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim,
                "data_init": self.data_init, "group_size": self.group_size}


@keras.saving.register_keras_serializable(package="genbook")
class MinibatchStdDev(keras.layers.Layer):
    """ProGAN's minibatch standard deviation (Karras et al. 2018) as one extra feature map (or feature).

    The batch is split into groups of ``group_size`` samples (sample ``i`` joins group ``i mod (N / G)``);
    within each group the standard deviation of every feature over the group's samples is computed,
    ``sqrt(Var + 1e-8)``, and averaged over all features and positions into one number per group. That
    number is appended to each of the group's samples as a constant extra channel: ``(N, H, W, C)``
    becomes ``(N, H, W, C + 1)`` and ``(N, F)`` becomes ``(N, F + 1)``. Identical samples give the
    smallest value (``1e-4``), varied ones larger. When the batch size ``N`` is not a multiple of
    ``group_size`` (a last, short batch) the whole batch forms one group.
    """

    def __init__(self, group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if group_size < 2:
            raise ValueError(f"group_size must be at least 2, got {group_size}.")
        self.group_size = int(group_size)

    def call(self, inputs):
        shape = ops.shape(inputs)
        n = shape[0]
        g = ops.minimum(self.group_size, n)
        g = ops.where(ops.equal(n % g, 0), g, n)
        rest = tuple(inputs.shape[1:])
        grouped = ops.reshape(inputs, (g, -1, *rest))  # (G, N/G, ...)
        variance = ops.mean(ops.square(grouped - ops.mean(grouped, axis=0, keepdims=True)), axis=0)
        std = ops.sqrt(variance + 1e-8)  # (N/G, ...)
        per_group = ops.mean(ops.reshape(std, (ops.shape(std)[0], -1)), axis=-1)  # (N/G,)
        per_sample = ops.reshape(ops.tile(per_group[None, :], (g, 1)), (-1,))  # sample i -> group i mod N/G
        extra = ops.reshape(per_sample, (-1,) + (1,) * len(rest))
        extra = ops.broadcast_to(extra, (n, *rest[:-1], 1))
        return ops.concatenate([inputs, ops.cast(extra, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        last = None if input_shape[-1] is None else input_shape[-1] + 1
        return (*input_shape[:-1], last)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "group_size": self.group_size}


# ---------------------------------------------------------------------------------------------- ProGAN / StyleGAN
@keras.saving.register_keras_serializable(package="genbook")
class PixelNorm(keras.layers.Layer):
    """ProGAN's pixelwise feature normalisation: each pixel's feature vector scaled to unit mean square.

    ``y = x / sqrt(mean_c(x_c^2) + eps)`` over the last (channel) axis, separately at every position (and
    for every sample). It has no weights; it keeps the generator's activations from escalating when the
    generator and discriminator compete.
    """

    def __init__(self, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}


def he_scale(fan_in: int, gain: float = 2.0 ** 0.5) -> float:
    """The He constant ``gain / sqrt(fan_in)`` (``sqrt(2 / fan_in)`` for the default gain)."""
    if fan_in < 1:
        raise ValueError(f"fan_in must be positive, got {fan_in}.")
    return float(gain) / float(fan_in) ** 0.5


@keras.saving.register_keras_serializable(package="genbook")
class EqualizedDense(keras.layers.Layer):
    """A dense layer with ProGAN's equalised learning rate.

    The stored kernel is drawn from ``N(0, 1 / lr_multiplier^2)`` and multiplied at run time by
    ``c = gain / sqrt(fan_in) * lr_multiplier`` (``sqrt(2 / fan_in)`` by default), so every weight has the
    same dynamic range and Adam's step moves all layers equally fast. The bias is scaled by
    ``lr_multiplier`` too (StyleGAN's mapping network uses ``lr_multiplier=0.01``).
    """

    def __init__(self, units: int, gain: float = 2.0 ** 0.5, lr_multiplier: float = 1.0, use_bias: bool = True,
                 bias_init: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"units must be positive, got {units}.")
        self.units = int(units)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.bias_init = float(bias_init)

    def build(self, input_shape) -> None:
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError("EqualizedDense needs a known number of input features.")
        self.scale = he_scale(fan_in, self.gain) * self.lr_multiplier
        self.kernel = self.add_weight(name="kernel", shape=(fan_in, self.units),
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier)
                                    ) if self.use_bias else None

    def call(self, inputs):
        out = ops.matmul(inputs, self.kernel * self.scale)
        return out + self.bias * self.lr_multiplier if self.use_bias else out

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias, "bias_init": self.bias_init}


@keras.saving.register_keras_serializable(package="genbook")
class EqualizedConv2D(keras.layers.Layer):
    """A 2-D convolution (stride 1, ``same`` padding) with ProGAN's equalised learning rate.

    The stored kernel is ``N(0, 1)`` and scaled at run time by ``gain / sqrt(fan_in)`` with
    ``fan_in = kernel_size^2 * input channels`` (``sqrt(2 / fan_in)`` by default).
    """

    def __init__(self, filters: int, kernel_size: int = 3, gain: float = 2.0 ** 0.5, use_bias: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if filters < 1 or kernel_size < 1:
            raise ValueError(f"filters and kernel_size must be positive, got {filters} and {kernel_size}.")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)

    def build(self, input_shape) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"EqualizedConv2D takes (batch, height, width, channels) inputs with known channels, "
                             f"got {tuple(input_shape)}.")
        channels = input_shape[-1]
        self.scale = he_scale(self.kernel_size ** 2 * channels, self.gain)
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, channels,
                                                            self.filters),
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") if self.use_bias else None

    def call(self, inputs):
        out = ops.conv(inputs, self.kernel * self.scale, strides=1, padding="same")
        return out + self.bias if self.use_bias else out

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size, "gain": self.gain,
                "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="genbook")
class AdaIN(keras.layers.Layer):
    """Adaptive instance normalisation (Huang and Belongie 2017), as StyleGAN uses it.

    Each sample's feature maps are normalised per channel over the spatial axes, then given a new mean and
    standard deviation: ``AdaIN(x, s, b) = s * (x - mu(x)) / sigma(x) + b``. Call it either as
    ``AdaIN()([x, style])`` with a style feature map ``(N, h, w, C)``, whose per-channel mean and std are
    used (``s = sigma(style)``, ``b = mu(style)``, style transfer), or as ``AdaIN()([x, scale, bias])`` with
    per-channel ``(N, C)`` scales and biases (StyleGAN, where a learned affine map of ``w`` makes them).
    """

    def __init__(self, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    @staticmethod
    def _moments(x, epsilon: float):
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True) + epsilon)
        return mean, std

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) not in (2, 3):
            raise ValueError("AdaIN takes [content, style] or [content, scale, bias].")
        x = inputs[0]
        if len(x.shape) != 4:
            raise ValueError(f"AdaIN's content is (batch, height, width, channels), got shape {tuple(x.shape)}.")
        mean, std = self._moments(x, self.epsilon)
        if len(inputs) == 2:
            bias, scale = self._moments(inputs[1], self.epsilon)
        else:
            scale = ops.reshape(inputs[1], (-1, 1, 1, x.shape[-1]))
            bias = ops.reshape(inputs[2], (-1, 1, 1, x.shape[-1]))
        return scale * (x - mean) / std + bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="genbook")
class ModulatedConv2D(keras.layers.Layer):
    """StyleGAN2's modulated convolution (Karras et al. 2020), with optional weight demodulation.

    Called as ``layer([x, style])`` with features ``(N, H, W, C_in)`` and one style per input channel
    ``(N, C_in)``. Modulation scales the equalised kernel's input channels by the style, per sample:
    ``w'[n, ..., i, o] = w[..., i, o] s[n, i]``. Demodulation then divides each output channel by the norm of
    its modulated weights, ``sqrt(sum w'^2 + eps)``, so that inputs of unit variance give outputs of unit
    *expected* variance: the scale is fixed by the weights and the style, not measured on each image as
    instance normalisation (AdaIN) does. Computed without grouped convolutions: modulate the input, convolve
    with the shared kernel, demodulate the output (the same numbers).
    """

    def __init__(self, filters: int, kernel_size: int = 3, demodulate: bool = True, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if filters < 1 or kernel_size < 1:
            raise ValueError(f"filters and kernel_size must be positive, got {filters} and {kernel_size}.")
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.demodulate, self.epsilon = bool(demodulate), float(epsilon)

    def build(self, input_shape) -> None:
        x_shape, style_shape = input_shape
        if len(x_shape) != 4 or x_shape[-1] is None or style_shape[-1] != x_shape[-1]:
            raise ValueError(f"ModulatedConv2D takes [features (N, H, W, C), style (N, C)], got shapes "
                             f"{tuple(x_shape)} and {tuple(style_shape)}.")
        channels = x_shape[-1]
        self.scale = he_scale(self.kernel_size ** 2 * channels, 1.0)
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, channels,
                                                            self.filters),
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def call(self, inputs):
        x, style = inputs
        kernel = self.kernel * self.scale
        out = ops.conv(x * style[:, None, None, :], kernel, strides=1, padding="same")
        if self.demodulate:
            # sum over the kernel window and input channels of (w s)^2, for each sample and output channel
            power = ops.matmul(ops.square(style), ops.sum(ops.square(kernel), axis=(0, 1)))
            out = out * ops.rsqrt(power + self.epsilon)[:, None, None, :]
        return out

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "demodulate": self.demodulate, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="genbook")
class NoiseInjection(keras.layers.Layer):
    """StyleGAN's per-layer noise: ``x + scale_c * noise`` with one learned scale per channel, starting at zero.

    ``noise`` is one single-channel map ``(N, H, W, 1)`` per sample, broadcast over the channels; it is
    drawn fresh from ``N(0, 1)`` on every call unless given, ``layer(x, noise=...)``, which fixes it (for
    stochastic-variation figures). With zero scales the layer is the identity, so training decides how
    much randomness each layer uses.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def build(self, input_shape) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"NoiseInjection takes (batch, height, width, channels) inputs, got {tuple(input_shape)}.")
        self.noise_scale = self.add_weight(name="noise_scale", shape=(input_shape[-1],), initializer="zeros")

    def call(self, inputs, noise=None):
        if noise is None:
            shape = ops.shape(inputs)
            noise = keras.random.normal((shape[0], shape[1], shape[2], 1), seed=self.seed_generator,
                                        dtype=inputs.dtype)
        return inputs + self.noise_scale * ops.cast(noise, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


# ------------------------------------------------------------------------------------ CycleGAN / style transfer
def instance_normalization(name: str | None = None, epsilon: float = 1e-5) -> keras.layers.GroupNormalization:
    """Instance normalisation (Ulyanov et al. 2016) as Keras ``GroupNormalization`` with one group per channel.

    Each channel of each image is normalised by its own mean and standard deviation over the image's
    positions, then scaled and shifted by a learned ``gamma`` and ``beta`` per channel. Unlike batch
    normalisation nothing depends on the other images of the batch, so training and inference agree
    even with batches of one.
    """
    return keras.layers.GroupNormalization(groups=-1, epsilon=epsilon, name=name)
