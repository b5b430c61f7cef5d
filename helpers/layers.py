"""Custom layers and regularisers the chapters share."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


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
        self.seed_generator = keras.random.SeedGenerator(seed)

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
    ``b`` is ``c_b(i, j) = exp(-||M_i,b - M_j,b||_1)`` and the new features are
    ``o(i)_b = sum_j c_b(i, j)`` over the whole batch (``j = i`` included, so each lies in [1, batch]).
    The output is ``[f_i, o(i)]``, of shape ``(batch, A + B)``; a batch of identical samples gives the
    largest value, ``o = batch``, in every kernel. ``num_kernels`` is ``B`` and ``kernel_dim`` is ``C``.
    """

    def __init__(self, num_kernels: int = 50, kernel_dim: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)

    def build(self, input_shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(f"MinibatchDiscrimination takes (batch, features) inputs (flatten first), "
                             f"got shape {tuple(input_shape)}.")
        self.T = self.add_weight(name="T", shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                 initializer=keras.initializers.RandomNormal(stddev=0.1))

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.T), (-1, self.num_kernels, self.kernel_dim))
        l1 = ops.sum(ops.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)  # (batch, batch, B)
        o = ops.sum(ops.exp(-l1), axis=1)  # (batch, B)
        return ops.concatenate([inputs, ops.cast(o, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        features = None if input_shape[-1] is None else input_shape[-1] + self.num_kernels
        return (input_shape[0], features)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim}


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
