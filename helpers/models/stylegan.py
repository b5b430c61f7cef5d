"""A style-based generator (Karras et al. 2019) at the book's scale: mapping network, learned constant, per-layer
noise, AdaIN, a skip structure of toRGB outputs, style mixing and the truncation trick.

The critic is ProGAN's (:class:`helpers.models.progan.ProgressiveCritic`, used at full resolution only), and
loss, optimizers and the moving average of the generator come from the recipe both chapters share
(:class:`helpers.models.growing.KarrasGAN`), so that chapter 13 changes the generator alone. Networks work in
[-1, 1]; data and samples in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.layers import AdaIN, EqualizedConv2D, EqualizedDense, NoiseInjection, PixelNorm
from helpers.models.common import fixed_noise
from helpers.models.growing import (
    KarrasGAN,
    check_channels,
    lerp,
    num_stages,
    recipe_from_budget,
    stage_resolution,
    upsample,
)
from helpers.models.progan import ProgressiveCritic


@keras.saving.register_keras_serializable(package="genbook")
class MappingNetwork(keras.Model):
    """``z -> w``: PixelNorm, then ``num_layers`` equalised dense layers of ``w_dim`` units with LeakyReLU(0.2).

    Input ``(N, latent_dim)``, output ``(N, w_dim)``. The layers learn 100 times more slowly than the rest
    (``lr_multiplier=0.01``, as in the paper), which keeps the intermediate latent space stable.
    """

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, num_layers: int = 8, lr_multiplier: float = 0.01,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}.")
        self.latent_dim, self.w_dim = int(latent_dim), int(w_dim)
        self.num_layers, self.lr_multiplier = int(num_layers), float(lr_multiplier)
        self.normalize = PixelNorm(name="pixel_norm")
        self.dense = [EqualizedDense(self.w_dim, lr_multiplier=self.lr_multiplier, name=f"dense_{i}")
                      for i in range(self.num_layers)]

    def call(self, z):
        z = ops.convert_to_tensor(z, "float32")
        if len(z.shape) != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"The mapping network takes (batch, {self.latent_dim}) noise, got {tuple(z.shape)}.")
        h = self.normalize(z)
        for layer in self.dense:
            h = ops.leaky_relu(layer(h), 0.2)
        return h

    def build(self, input_shape=None) -> None:
        self.call(ops.zeros((1, self.latent_dim)))
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "num_layers": self.num_layers, "lr_multiplier": self.lr_multiplier}


@keras.saving.register_keras_serializable(package="genbook")
class SynthesisNetwork(keras.Model):
    """The style-based synthesis network: a learned 4x4 constant, two styled layers per resolution.

    Layer ``i`` (``2 * stages`` of them) is: 3x3 equalised convolution (after 2x nearest upsampling for the
    first layer of each resolution; layer 0 starts from the constant instead), :class:`NoiseInjection`,
    LeakyReLU(0.2), then :class:`AdaIN` with per-channel scale ``1 + a_s(w_i)`` and bias ``a_b(w_i)`` from a
    learned affine map of that layer's ``w_i``. Skip structure: each resolution's features go through a
    1x1 ``toRGB`` and are added to the (bilinearly) upsampled image of the resolutions before (no growing).
    ``call(ws, noise=None)`` takes ``ws`` of shape ``(N, num_ws, w_dim)`` and optionally one noise map
    ``(N, side, side, 1)`` per layer.
    """

    def __init__(self, w_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.w_dim, self.resolution, self.image_channels = int(w_dim), int(resolution), int(image_channels)
        self.seed = seed
        self.stages = num_stages(resolution)
        self.channels = check_channels(channels, self.stages)
        self.num_ws = 2 * self.stages
        self.convs, self.noises, self.affines, self.adains = [], [], [], []
        for i in range(self.num_ws):
            stage, c = i // 2, self.channels[i // 2]
            side = stage_resolution(stage)
            tag = f"{side}x{side}_{'ab'[i % 2]}"
            self.convs.append(None if i == 0 else EqualizedConv2D(c, 3, name=f"conv_{tag}"))
            self.noises.append(NoiseInjection(seed=None if seed is None else seed + i, name=f"noise_{tag}"))
            self.affines.append(EqualizedDense(2 * c, gain=1.0, name=f"affine_{tag}"))
            self.adains.append(AdaIN(name=f"adain_{tag}"))
        self.convs = [c for c in self.convs if c is not None]  # layer i > 0 uses convs[i - 1]
        self.to_rgb = [EqualizedConv2D(self.image_channels, 1, gain=1.0,
                                       name=f"to_rgb_{stage_resolution(k)}x{stage_resolution(k)}")
                       for k in range(self.stages)]

    def build(self, input_shape=None) -> None:
        self.const = self.add_weight(name="const", shape=(1, 4, 4, self.channels[0]), initializer="ones")
        self.built = True
        self.call(ops.zeros((1, self.num_ws, self.w_dim)))

    @staticmethod
    def upsample_image(image):
        """The skip path's 2x upsampling: bilinear, so that the coarse toRGB outputs add no blocky edges."""
        side = image.shape[1]
        return ops.image.resize(image, (2 * side, 2 * side), interpolation="bilinear")

    def layer_side(self, i: int) -> int:
        """The side length of synthesis layer ``i``'s feature maps."""
        return stage_resolution(i // 2)

    def call(self, ws, noise: Sequence[Any] | None = None):
        ws = ops.convert_to_tensor(ws, "float32")
        if len(ws.shape) != 3 or tuple(ws.shape[1:]) != (self.num_ws, self.w_dim):
            raise ValueError(f"The synthesis network takes ws of shape (batch, {self.num_ws}, {self.w_dim}), got "
                             f"{tuple(ws.shape)}.")
        if noise is not None and len(noise) != self.num_ws:
            raise ValueError(f"Give one noise map per layer ({self.num_ws}), or None; got {len(noise)}.")
        batch = ops.shape(ws)[0]
        h = ops.tile(self.const, (batch, 1, 1, 1))
        image = None
        for i in range(self.num_ws):
            if i > 0:
                h = self.convs[i - 1](upsample(h) if i % 2 == 0 else h)
            h = self.noises[i](h, noise=None if noise is None else noise[i])
            h = ops.leaky_relu(h, 0.2)
            style = self.affines[i](ws[:, i])
            scale, bias = ops.split(style, 2, axis=-1)
            h = self.adains[i]([h, 1.0 + scale, bias])
            if i % 2 == 1:
                rgb = self.to_rgb[i // 2](h)
                image = rgb if image is None else self.upsample_image(image) + rgb
        return image

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "w_dim": self.w_dim, "resolution": self.resolution,
                "channels": list(self.channels), "image_channels": self.image_channels, "seed": self.seed}


@keras.saving.register_keras_serializable(package="genbook")
class StyleGAN(KarrasGAN):
    """A style-based GAN trained with ``fit``: mapping + synthesis against ProGAN's critic.

    Each ``train_step`` makes ``d_steps`` critic updates and one generator update with the loss of
    :class:`~helpers.models.growing.KarrasGAN` (``"logistic"`` with lazy R1 by default, or ``"wgan_gp"``).
    Fakes use **style mixing regularisation**: with probability ``mixing_prob`` a sample's layers from a
    random crossover point on take the ``w`` of a second noise vector (``mixing_prob=0`` skips the second
    mapping pass). The generator step also tracks the running mean of ``w`` (``w_avg``, decay
    ``w_avg_beta``) for the truncation trick. Sampling (:meth:`map`, :meth:`mixed_ws`, :meth:`synthesize`,
    :meth:`generate`) uses ``mapping_ema`` and ``synthesis_ema``, the moving averages of the two networks,
    unless given ``ema=False``. Other keyword arguments go to ``KarrasGAN``.
    """

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, mapping_layers: int = 8, resolution: int = 32,
                 channels: Sequence[int] = (128, 128, 64, 32), image_channels: int = 1, mapping_lr: float = 0.01,
                 mixing_prob: float = 0.9, w_avg_beta: float = 0.995, group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= mixing_prob <= 1.0:
            raise ValueError(f"mixing_prob is a probability, got {mixing_prob}.")
        self.latent_dim, self.w_dim, self.mapping_layers = int(latent_dim), int(w_dim), int(mapping_layers)
        self.resolution, self.image_channels, self.mapping_lr = int(resolution), int(image_channels), float(mapping_lr)
        self.channels = check_channels(channels, num_stages(resolution))
        self.mixing_prob, self.w_avg_beta = float(mixing_prob), float(w_avg_beta)
        self.group_size = int(group_size)
        seed = self.seed
        self.mapping = MappingNetwork(latent_dim, w_dim, mapping_layers, mapping_lr, name="mapping")
        self.synthesis = SynthesisNetwork(w_dim, resolution, self.channels, image_channels, seed=seed, name="synthesis")
        self.mapping_ema = MappingNetwork(latent_dim, w_dim, mapping_layers, mapping_lr, name="mapping_ema")
        self.synthesis_ema = SynthesisNetwork(w_dim, resolution, self.channels, image_channels,
                                              seed=None if seed is None else seed + 1000, name="synthesis_ema")
        self.discriminator = ProgressiveCritic(resolution, self.channels, image_channels, group_size, name="critic")
        self.num_ws = self.synthesis.num_ws
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros", trainable=False)
        for net in (self.mapping, self.synthesis, self.mapping_ema, self.synthesis_ema, self.discriminator):
            net.build()
        self.copy_to_ema()
        self.built = True

    def generator_networks(self) -> list[keras.Model]:
        return [self.mapping, self.synthesis]

    def ema_networks(self) -> list[keras.Model]:
        return [self.mapping_ema, self.synthesis_ema]

    # ------------------------------------------------------------------ styles
    def broadcast(self, w):
        """``(N, w_dim)`` -> ``(N, num_ws, w_dim)``: the same ``w`` for every synthesis layer."""
        return ops.repeat(ops.expand_dims(w, 1), self.num_ws, axis=1)

    def truncate(self, w, psi: float = 1.0):
        """The truncation trick: ``w_avg + psi (w - w_avg)``; ``psi = 0`` gives the average image's style."""
        return lerp(self.w_avg, w, psi)

    def map(self, z, psi: float = 1.0, ema: bool = True):
        """``w = f(z)`` from the averaged (``ema``) or the trained mapping network, truncated with ``psi``."""
        return self.truncate((self.mapping_ema if ema else self.mapping)(z), psi)

    def mixed_ws(self, z_a, z_b, start: int, stop: int | None = None, psi: float = 1.0, ema: bool = True):
        """Styles of ``z_a`` with layers ``start:stop`` taken from ``z_b`` (both truncated with ``psi``)."""
        stop = self.num_ws if stop is None else stop
        if not 0 <= start <= stop <= self.num_ws:
            raise ValueError(f"Need 0 <= start <= stop <= {self.num_ws}, got {start} and {stop}.")
        ws_a = self.broadcast(self.map(z_a, psi, ema))
        ws_b = self.broadcast(self.map(z_b, psi, ema))
        take_b = ops.reshape((ops.arange(self.num_ws) >= start) & (ops.arange(self.num_ws) < stop), (1, -1, 1))
        return ops.where(take_b, ws_b, ws_a)

    def _mixing_ws(self, batch):
        """Training styles with mixing regularisation (crossover uniform in 1..num_ws - 1 with ``mixing_prob``)."""
        w1 = self.mapping(self.noise(batch))
        if self.mixing_prob == 0.0 or self.num_ws < 2:
            return self.broadcast(w1), w1
        w2 = self.mapping(self.noise(batch))
        cross = keras.random.randint((batch,), 1, self.num_ws, seed=self.seed_generator)
        use = keras.random.uniform((batch,), seed=self.seed_generator) < self.mixing_prob
        cross = ops.where(use, cross, self.num_ws)
        first = ops.arange(self.num_ws)[None, :] < cross[:, None]
        return ops.where(first[:, :, None], self.broadcast(w1), self.broadcast(w2)), w1

    def call(self, z, training: bool = False):
        """Images in [-1, 1] for noise ``z`` from the trained networks (one ``w`` per sample, fresh noise)."""
        return self.synthesis(self.broadcast(self.mapping(z)))

    # ------------------------------------------------------------------ training
    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the StyleGAN first: stylegan.compile().")
        x = data[0] if isinstance(data, tuple | list) else data
        x = ops.cast(x, "float32")
        expected = (self.resolution, self.resolution, self.image_channels)
        if tuple(x.shape[1:]) != expected:
            raise ValueError(f"StyleGAN trains on {expected} images in [0, 1], got shape {tuple(x.shape[1:])}.")
        real = x * 2.0 - 1.0
        batch = ops.shape(real)[0]
        for _ in range(self.d_steps):
            fake = ops.stop_gradient(self.synthesis(self._mixing_ws(batch)[0]))
            d_logs = self.critic_step(self.discriminator, real, fake)
        styles = []

        def scores():
            ws, w = self._mixing_ws(batch)
            styles.append(w)
            return self.discriminator(self.synthesis(ws))

        g_loss = self.generator_step(scores)
        self.w_avg.assign(lerp(ops.mean(ops.stop_gradient(styles[0]), axis=0), self.w_avg, self.w_avg_beta))
        return self.finish_step(batch, d_logs, g_loss)

    # ------------------------------------------------------------------ sampling
    def latent(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` noise vectors ``z ~ N(0, I)`` from a NumPy generator seeded with ``seed``."""
        return fixed_noise(n, self.latent_dim, seed)

    def noise_maps(self, n: int, seed: int = 0) -> list[np.ndarray]:
        """One fixed per-layer noise map ``(n, side, side, 1)`` for each synthesis layer, seeded."""
        rng = np.random.default_rng(seed)
        return [rng.normal(size=(n, s, s, 1)).astype("float32") for s in map(self.synthesis.layer_side,
                                                                             range(self.num_ws))]

    def synthesize(self, ws, noise: Sequence[np.ndarray] | None = None, batch_size: int = 256,
                   ema: bool = True) -> np.ndarray:
        """Images in [0, 1] from styles ``ws`` ``(N, num_ws, w_dim)`` (or ``(N, w_dim)``) and optional noise maps."""
        ws = ops.convert_to_numpy(ws).astype("float32")
        if ws.ndim == 2:
            ws = np.repeat(ws[:, None], self.num_ws, axis=1)
        synthesis = self.synthesis_ema if ema else self.synthesis
        out = []
        for i in range(0, len(ws), batch_size):
            part = None if noise is None else [m[i:i + batch_size] for m in noise]
            out.append(ops.convert_to_numpy(synthesis(ws[i:i + batch_size], noise=part)))
        return np.clip((np.concatenate(out) + 1.0) / 2.0, 0.0, 1.0)

    def generate(self, n: int | None = None, seed: int = 0, z: np.ndarray | None = None, psi: float = 1.0,
                 noise: Sequence[np.ndarray] | None = None, batch_size: int = 256, ema: bool = True) -> np.ndarray:
        """Samples in [0, 1] for ``z`` (or ``n`` seeded vectors), truncated with ``psi``, optionally fixed noise."""
        if z is None:
            if n is None:
                raise ValueError("Give the number of samples n, or the noise z.")
            z = self.latent(n, seed)
        w = np.concatenate([ops.convert_to_numpy(self.map(z[i:i + batch_size], psi, ema))
                            for i in range(0, len(z), batch_size)])
        return self.synthesize(w, noise, batch_size, ema)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.recipe_config(), "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers, "resolution": self.resolution, "channels": list(self.channels),
                "image_channels": self.image_channels, "mapping_lr": self.mapping_lr, "mixing_prob": self.mixing_prob,
                "w_avg_beta": self.w_avg_beta, "group_size": self.group_size}


def stylegan_from_budget(budget: Any, resolution: int | None = None, image_channels: int = 1,
                         seed: int | None = None, jit_compile: bool | str = "auto") -> StyleGAN:
    """Chapter 13's StyleGAN from its budget row (sizes, mapping depth, mixing and the recipe), compiled.

    ``resolution`` defaults to the budget's; the channel list is cut to that resolution's stages.
    """
    resolution = int(resolution or budget["resolution"])
    model = StyleGAN(latent_dim=budget["latent_dim"], w_dim=budget.get("w_dim", budget["latent_dim"]),
                     mapping_layers=budget.get("mapping_layers", 8), resolution=resolution,
                     channels=list(budget["channels"])[:num_stages(resolution)], image_channels=image_channels,
                     mixing_prob=budget.get("mixing_prob", 0.9), seed=seed, **recipe_from_budget(budget))
    model.compile(jit_compile=jit_compile)
    return model
