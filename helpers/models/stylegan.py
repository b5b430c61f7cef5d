"""A style-based generator (Karras et al. 2019) at the book's scale: mapping network, learned constant, per-layer
noise, AdaIN or StyleGAN2's modulated convolution, a skip structure of toRGB outputs, style mixing and the
truncation trick.

It grows like ProGAN, as the original StyleGAN did: the critic, the stages and fade-ins, the train step and the
recipe (loss, optimizers, moving average of the generator) are :mod:`helpers.models.growing`'s, shared with chapter
12, so that chapter 13 changes the generator alone. Networks work in [-1, 1]; data and samples in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.distribute import in_scope
from helpers.layers import AdaIN, EqualizedConv2D, EqualizedDense, ModulatedConv2D, NoiseInjection, PixelNorm
from helpers.models.common import fixed_noise
from helpers.models.growing import (
    UPSAMPLING,
    GrowingGAN,
    check_channels,
    fade_skip,
    lerp,
    num_stages,
    recipe_from_budget,
    stage_resolution,
    upsample,
)


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


STYLE_LAYERS = ("adain", "modulated")
"""How a style reaches the synthesis network's features: StyleGAN's AdaIN, or StyleGAN2's modulated convolution."""

CONST_INITS = ("ones", "normal")
"""How the learned 4x4 constant starts: all ones (this book's first StyleGAN), or ``N(0, 1)`` (StyleGAN2)."""


@keras.saving.register_keras_serializable(package="genbook")
class SynthesisNetwork(keras.Model):
    """The style-based synthesis network: a learned 4x4 constant, two styled layers per resolution, grown.

    Layer ``i`` (``2 * stages`` of them; the first of each resolution after 2x upsampling, ``upsampling``
    ``"nearest"`` or the low-pass ``"bilinear"``) is, with ``style_layer="adain"`` (Karras et al. 2019): a 3x3
    equalised convolution (layer 0 starts from the constant instead), :class:`NoiseInjection`, LeakyReLU(0.2) and
    :class:`AdaIN` with per-channel scale ``1 + a_s(w_i)`` and bias ``a_b(w_i)`` from a learned affine map of that
    layer's ``w_i``; with ``style_layer="modulated"`` (StyleGAN2, Karras et al. 2020): a 3x3
    :class:`ModulatedConv2D` whose input channels are scaled by ``a(w_i)`` and whose weights are demodulated (layer
    0 convolves the constant), noise, a bias and LeakyReLU(0.2) times sqrt(2). Skip structure: each resolution's
    features go through a 1x1 ``toRGB`` (modulated by that resolution's last style, without demodulation, in the
    StyleGAN2 layers) and are added to the bilinearly upsampled image of the resolutions before.

    ``call(ws, noise=None, stage=None, alpha=1.0)`` takes ``ws`` of shape ``(N, num_ws, w_dim)``, optionally one
    noise map ``(N, side, side, 1)`` per layer, and returns images of side ``4 * 2**stage``; the newest
    resolution's ``toRGB`` is faded in with ``alpha`` (:func:`~helpers.models.growing.fade_skip`).
    """

    def __init__(self, w_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, seed: int | None = None, style_layer: str = "modulated",
                 const_init: str = "normal", upsampling: str = "bilinear", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if style_layer not in STYLE_LAYERS:
            raise ValueError(f"style_layer is one of {STYLE_LAYERS}, got {style_layer!r}.")
        if const_init not in CONST_INITS:
            raise ValueError(f"const_init is one of {CONST_INITS}, got {const_init!r}.")
        if upsampling not in UPSAMPLING:
            raise ValueError(f"upsampling is one of {UPSAMPLING}, got {upsampling!r}.")
        self.w_dim, self.resolution, self.image_channels = int(w_dim), int(resolution), int(image_channels)
        self.seed, self.style_layer, self.const_init, self.upsampling = seed, style_layer, const_init, upsampling
        self.stages = num_stages(resolution)
        self.channels = check_channels(channels, self.stages)
        self.num_ws = 2 * self.stages
        modulated = style_layer == "modulated"
        self.convs, self.noises, self.affines, self.adains, self.biases = [], [], [], [], []
        for i in range(self.num_ws):
            c, c_in = self.channels[i // 2], self.channels[max(i - 1, 0) // 2]
            tag = f"{self.layer_side(i)}x{self.layer_side(i)}_{'ab'[i % 2]}"
            self.noises.append(NoiseInjection(seed=None if seed is None else seed + i, name=f"noise_{tag}"))
            if modulated:
                self.convs.append(ModulatedConv2D(c, 3, name=f"conv_{tag}"))
                self.affines.append(EqualizedDense(c_in, gain=1.0, bias_init=1.0, name=f"affine_{tag}"))
            else:
                if i > 0:  # layer 0 of the AdaIN network is the constant itself
                    self.convs.append(EqualizedConv2D(c, 3, name=f"conv_{tag}"))
                self.affines.append(EqualizedDense(2 * c, gain=1.0, name=f"affine_{tag}"))
                self.adains.append(AdaIN(name=f"adain_{tag}"))
        self.to_rgb, self.rgb_affines = [], []
        for k in range(self.stages):
            side = stage_resolution(k)
            if modulated:
                self.to_rgb.append(ModulatedConv2D(self.image_channels, 1, demodulate=False,
                                                   name=f"to_rgb_{side}x{side}"))
                self.rgb_affines.append(EqualizedDense(self.channels[k], gain=1.0, bias_init=1.0,
                                                       name=f"rgb_affine_{side}x{side}"))
            else:
                self.to_rgb.append(EqualizedConv2D(self.image_channels, 1, gain=1.0, name=f"to_rgb_{side}x{side}"))

    def build(self, input_shape=None) -> None:
        init = "ones" if self.const_init == "ones" else keras.initializers.RandomNormal(0.0, 1.0)
        self.const = self.add_weight(name="const", shape=(1, 4, 4, self.channels[0]), initializer=init)
        if self.style_layer == "modulated":
            self.biases = [self.add_weight(name=f"bias_{i}", shape=(self.channels[i // 2],), initializer="zeros")
                           for i in range(self.num_ws)]
            self.rgb_biases = [self.add_weight(name=f"rgb_bias_{k}", shape=(self.image_channels,), initializer="zeros")
                               for k in range(self.stages)]
        self.built = True
        for stage in range(self.stages):
            self.call(ops.zeros((1, self.num_ws, self.w_dim)), stage=stage, alpha=0.5)

    def layer_side(self, i: int) -> int:
        """The side length of synthesis layer ``i``'s feature maps."""
        return stage_resolution(i // 2)

    def upsample_image(self, image):
        """The skip path's 2x upsampling: bilinear, so that the coarse toRGB outputs add no blocky edges."""
        return upsample(image, interpolation="bilinear")

    def layer(self, i: int, h, w, noise=None):
        """Synthesis layer ``i`` on features ``h`` (``None`` for layer 0, which starts from the constant)."""
        if i == 0:
            h = ops.tile(self.const, (ops.shape(w)[0], 1, 1, 1))
        elif i % 2 == 0:
            h = upsample(h, interpolation=self.upsampling)
        if self.style_layer == "modulated":
            h = self.noises[i](self.convs[i]([h, self.affines[i](w)]), noise=noise)
            return ops.leaky_relu(h + self.biases[i], 0.2) * 2.0 ** 0.5
        if i > 0:
            h = self.convs[i - 1](h)
        h = ops.leaky_relu(self.noises[i](h, noise=noise), 0.2)
        scale, bias = ops.split(self.affines[i](w), 2, axis=-1)
        return self.adains[i]([h, 1.0 + scale, bias])

    def rgb(self, k: int, h, w):
        """Resolution ``k``'s ``toRGB`` output of features ``h`` (``w``: the resolution's last style)."""
        if self.style_layer == "modulated":
            return self.to_rgb[k]([h, self.rgb_affines[k](w)]) + self.rgb_biases[k]
        return self.to_rgb[k](h)

    def call(self, ws, noise: Sequence[Any] | None = None, stage: int | None = None, alpha=1.0):
        stage = self.stages - 1 if stage is None else int(stage)
        if not 0 <= stage < self.stages:
            raise ValueError(f"stage is in 0..{self.stages - 1}, got {stage}.")
        ws = ops.convert_to_tensor(ws, "float32")
        if len(ws.shape) != 3 or tuple(ws.shape[1:]) != (self.num_ws, self.w_dim):
            raise ValueError(f"The synthesis network takes ws of shape (batch, {self.num_ws}, {self.w_dim}), got "
                             f"{tuple(ws.shape)}.")
        if noise is not None and len(noise) != self.num_ws:
            raise ValueError(f"Give one noise map per layer ({self.num_ws}), or None; got {len(noise)}.")
        h, image = None, None
        for i in range(2 * (stage + 1)):
            h = self.layer(i, h, ws[:, i], None if noise is None else noise[i])
            if i % 2 == 1:
                k = i // 2
                rgb = self.rgb(k, h, ws[:, i])
                if image is None:
                    image = rgb
                elif k == stage:
                    image = fade_skip(self.upsample_image(image), rgb, alpha)
                else:
                    image = self.upsample_image(image) + rgb
        return image

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "w_dim": self.w_dim, "resolution": self.resolution,
                "channels": list(self.channels), "image_channels": self.image_channels, "seed": self.seed,
                "style_layer": self.style_layer, "const_init": self.const_init, "upsampling": self.upsampling}


ARCHITECTURE_KEYS = ("style_layer", "const_init", "upsampling")
"""The synthesis network's design choices, which :class:`StyleGAN` and the chapter's budget rows pass through."""


@keras.saving.register_keras_serializable(package="genbook")
class StyleGAN(GrowingGAN):
    """A style-based GAN trained with ``fit``, grown like ProGAN: mapping + synthesis against ProGAN's critic.

    The growing mechanism (stages, fade-ins, the critic, the train step and :func:`fit_progressive`) and the
    recipe (loss, optimizers, moving average) are :class:`~helpers.models.growing.GrowingGAN`'s, shared with
    chapter 12's ProGAN; this class changes the generator alone. Fakes use **style mixing regularisation**: with
    probability ``mixing_prob`` a sample's layers from a random crossover point on (among the layers the stage
    uses) take the ``w`` of a second noise vector (``mixing_prob=0`` skips the second mapping pass). The generator
    step also tracks the running mean of ``w`` (``w_avg``, decay ``w_avg_beta``) for the truncation trick.
    Sampling (:meth:`map`, :meth:`mixed_ws`, :meth:`synthesize`, :meth:`generate`) uses ``mapping_ema`` and
    ``synthesis_ema``, the moving averages of the two networks, unless given ``ema=False``. ``style_layer``,
    ``const_init`` and ``upsampling`` choose the synthesis network's design (:class:`SynthesisNetwork`). Other
    keyword arguments go to ``KarrasGAN``.
    """

    image_upsampling = "bilinear"

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, mapping_layers: int = 8, resolution: int = 32,
                 channels: Sequence[int] = (128, 128, 64, 32), image_channels: int = 1, mapping_lr: float = 0.01,
                 mixing_prob: float = 0.9, w_avg_beta: float = 0.995, group_size: int = 4,
                 style_layer: str = "modulated", const_init: str = "normal", upsampling: str = "bilinear",
                 **kwargs: Any) -> None:
        super().__init__(resolution=resolution, channels=channels, image_channels=image_channels,
                         group_size=group_size, **kwargs)
        if not 0.0 <= mixing_prob <= 1.0:
            raise ValueError(f"mixing_prob is a probability, got {mixing_prob}.")
        self.latent_dim, self.w_dim, self.mapping_layers = int(latent_dim), int(w_dim), int(mapping_layers)
        self.mapping_lr = float(mapping_lr)
        self.mixing_prob, self.w_avg_beta = float(mixing_prob), float(w_avg_beta)
        design = {"style_layer": style_layer, "const_init": const_init, "upsampling": upsampling}
        seed = self.seed
        self.mapping = MappingNetwork(latent_dim, w_dim, mapping_layers, mapping_lr, name="mapping")
        self.synthesis = SynthesisNetwork(w_dim, resolution, self.channels, image_channels, seed=seed,
                                          name="synthesis", **design)
        self.mapping_ema = MappingNetwork(latent_dim, w_dim, mapping_layers, mapping_lr, name="mapping_ema")
        self.synthesis_ema = SynthesisNetwork(w_dim, resolution, self.channels, image_channels,
                                              seed=None if seed is None else seed + 1000, name="synthesis_ema",
                                              **design)
        self.num_ws = self.synthesis.num_ws
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros", trainable=False)
        for net in (self.mapping, self.synthesis, self.mapping_ema, self.synthesis_ema, self.discriminator):
            net.build()
        self.copy_to_ema()
        self.built = True

    @property
    def design(self) -> dict[str, str]:
        """The synthesis network's design choices (``style_layer``, ``const_init``, ``upsampling``)."""
        return {key: getattr(self.synthesis, key) for key in ARCHITECTURE_KEYS}

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
        """Training styles with mixing regularisation: with ``mixing_prob``, a crossover uniform among the layers
        the current stage uses (otherwise one ``w`` throughout). Returns the styles and the first ``w``."""
        w1 = self.mapping(self.noise(batch))
        used = 2 * (self.stage + 1)
        if self.mixing_prob == 0.0:
            return self.broadcast(w1), w1
        w2 = self.mapping(self.noise(batch))
        cross = keras.random.randint((batch,), 1, used, seed=self.seed_generator)
        use = keras.random.uniform((batch,), seed=self.seed_generator) < self.mixing_prob
        cross = ops.where(use, cross, self.num_ws)
        first = ops.arange(self.num_ws)[None, :] < cross[:, None]
        return ops.where(first[:, :, None], self.broadcast(w1), self.broadcast(w2)), w1

    def call(self, z, training: bool = False):
        """Images in [-1, 1] at the current stage for noise ``z`` from the trained networks (one ``w``, fresh noise)."""
        return self.synthesis(self.broadcast(self.mapping(z)), stage=self.stage, alpha=self.alpha)

    # ------------------------------------------------------------------ training
    def fakes(self, batch, generator_step: bool = False):
        """Mixed-style fakes at the current stage; in the generator's step, also move ``w_avg`` towards the batch."""
        ws, w = self._mixing_ws(batch)
        if generator_step:
            self.w_avg.assign(lerp(ops.mean(ops.stop_gradient(w), axis=0), self.w_avg, self.w_avg_beta))
        return self.synthesis(ws, stage=self.stage, alpha=self.alpha)

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
        """Images in [0, 1] at the current stage from styles ``ws`` ``(N, num_ws, w_dim)`` (or ``(N, w_dim)``) and
        optional noise maps."""
        ws = ops.convert_to_numpy(ws).astype("float32")
        if ws.ndim == 2:
            ws = np.repeat(ws[:, None], self.num_ws, axis=1)
        synthesis = self.synthesis_ema if ema else self.synthesis
        alpha = float(ops.convert_to_numpy(self.alpha))
        out = []
        for i in range(0, len(ws), batch_size):
            part = None if noise is None else [m[i:i + batch_size] for m in noise]
            out.append(ops.convert_to_numpy(synthesis(ws[i:i + batch_size], noise=part, stage=self.stage,
                                                      alpha=alpha)))
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
        return {**super().get_config(), **self.recipe_config(), **self.growing_config(), **self.design,
                "latent_dim": self.latent_dim, "w_dim": self.w_dim, "mapping_layers": self.mapping_layers,
                "mapping_lr": self.mapping_lr, "mixing_prob": self.mixing_prob, "w_avg_beta": self.w_avg_beta}


@in_scope
def stylegan_from_budget(budget: Any, resolution: int | None = None, image_channels: int = 1,
                         seed: int | None = None, jit_compile: bool | str = "auto", **design: Any) -> StyleGAN:
    """Chapter 13's StyleGAN from its budget row (sizes, mapping depth, mixing, design and the recipe), compiled.

    ``resolution`` defaults to the budget's; the channel list is cut to that resolution's stages. Keyword
    arguments override the row's design (``style_layer``, ``const_init``, ``upsampling``) and recipe (``r1_gamma``,
    ...), for the chapter's comparison of designs.
    """
    resolution = int(resolution or budget["resolution"])
    row = {**dict(budget), **design}
    model = StyleGAN(latent_dim=row["latent_dim"], w_dim=row.get("w_dim", row["latent_dim"]),
                     mapping_layers=row.get("mapping_layers", 8), resolution=resolution,
                     channels=list(row["channels"])[:num_stages(resolution)], image_channels=image_channels,
                     mixing_prob=row.get("mixing_prob", 0.9), seed=seed,
                     **{key: row[key] for key in ARCHITECTURE_KEYS if key in row}, **recipe_from_budget(row))
    model.compile(jit_compile=jit_compile)
    return model
