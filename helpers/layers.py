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
