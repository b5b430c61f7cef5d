"""Progressive growing of GANs (Karras et al. 2018): a generator and a critic that grow from 4x4 upwards.

The generator is ProGAN's own; the growing mechanism (the critic, stages and fade-ins, :func:`fit_progressive`)
and the training recipe (loss, optimizers, moving average) live in :mod:`helpers.models.growing`, which
chapter 13's StyleGAN shares, and are re-exported here. Networks work in [-1, 1]; data and samples in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.distribute import in_scope
from helpers.layers import EqualizedConv2D, EqualizedDense, PixelNorm
from helpers.models.common import fixed_noise
from helpers.models.growing import (
    FadeIn,
    GrowingGAN,
    ProgressiveCritic,
    check_channels,
    downsample,
    fade_replace,
    fit_progressive,
    lerp,
    num_stages,
    recipe_from_budget,
    stage_resolution,
    upsample,
    wgan_gp_critic_loss,
)

__all__ = ["FadeIn", "ProGAN", "ProgressiveCritic", "ProgressiveGenerator", "downsample", "fit_progressive", "lerp",
           "num_stages", "progan_from_budget", "stage_resolution", "upsample", "wgan_gp_critic_loss"]


@keras.saving.register_keras_serializable(package="genbook")
class ProgressiveGenerator(keras.Model):
    """ProGAN's generator: ``z`` -> 4x4 features -> one upsampling block per stage -> ``toRGB``.

    4x4: PixelNorm(z), an equalised dense layer to ``4 x 4 x channels[0]``, then a 3x3 convolution. Every
    later block doubles the size (nearest neighbour) and applies two 3x3 convolutions. All convolutions are
    equalised, followed by LeakyReLU(0.2) and :class:`~helpers.layers.PixelNorm`; ``toRGB`` is a linear 1x1
    convolution per resolution. ``call(z, stage, alpha)`` returns images of side ``4 * 2**stage``.
    """

    def __init__(self, latent_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.resolution = int(resolution)
        self.stages = num_stages(resolution)
        self.channels = check_channels(channels, self.stages)
        self.image_channels = int(image_channels)
        c0 = self.channels[0]
        self.normalize = PixelNorm(name="pixel_norm")
        self.dense = EqualizedDense(4 * 4 * c0, gain=2.0 ** 0.5 / 4, name="dense_4x4")
        self.conv0 = EqualizedConv2D(c0, 3, name="conv_4x4")
        self.blocks = [(EqualizedConv2D(c, 3, name=f"conv_{stage_resolution(k)}x{stage_resolution(k)}_a"),
                        EqualizedConv2D(c, 3, name=f"conv_{stage_resolution(k)}x{stage_resolution(k)}_b"))
                       for k, c in enumerate(self.channels) if k > 0]
        self.to_rgb = [EqualizedConv2D(self.image_channels, 1, gain=1.0,
                                       name=f"to_rgb_{stage_resolution(k)}x{stage_resolution(k)}")
                       for k in range(self.stages)]

    def _act(self, x):
        return self.normalize(ops.leaky_relu(x, 0.2))

    def features(self, z, stage: int):
        """The feature maps at ``stage`` (before ``toRGB``), through every block up to it at full strength."""
        h = self.normalize(ops.convert_to_tensor(z, "float32"))
        h = self._act(ops.reshape(self.dense(h), (-1, 4, 4, self.channels[0])))
        h = self._act(self.conv0(h))
        for conv_a, conv_b in self.blocks[:stage]:
            h = self._act(conv_b(self._act(conv_a(upsample(h)))))
        return h

    def branches(self, z, stage: int):
        """The two images a fade-in blends at ``stage`` > 0: ``(old, new)``.

        ``old`` is the previous resolution's output, upsampled; ``new`` is the new block's ``toRGB`` output.
        """
        self._check_stage(stage)
        if stage == 0:
            raise ValueError("Stage 0 (4x4) has no older resolution to fade from.")
        h = self.features(z, stage - 1)
        old = upsample(self.to_rgb[stage - 1](h))
        conv_a, conv_b = self.blocks[stage - 1]
        new = self.to_rgb[stage](self._act(conv_b(self._act(conv_a(upsample(h))))))
        return old, new

    def call(self, z, stage: int | None = None, alpha=1.0):
        stage = self.stages - 1 if stage is None else stage
        self._check_stage(stage)
        if stage == 0:
            return self.to_rgb[0](self.features(z, 0))
        old, new = self.branches(z, stage)
        return fade_replace(old, new, alpha)

    def _check_stage(self, stage: int) -> None:
        if not 0 <= stage < self.stages:
            raise ValueError(f"stage is in 0..{self.stages - 1} (4x4 to {self.resolution}x{self.resolution}), "
                             f"got {stage}.")

    def build(self, input_shape=None) -> None:
        z = ops.zeros((1, self.latent_dim))
        for stage in range(self.stages):
            self.call(z, stage=stage, alpha=0.5)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "latent_dim": self.latent_dim, "resolution": self.resolution,
                "channels": list(self.channels), "image_channels": self.image_channels}


@keras.saving.register_keras_serializable(package="genbook")
class ProGAN(GrowingGAN):
    """A progressively grown GAN trained with ``fit``, one stage at a time (:meth:`set_stage`).

    Each ``train_step`` (:class:`~helpers.models.growing.GrowingGAN`'s) makes ``d_steps`` critic updates, then
    one generator update, with the loss of :class:`~helpers.models.growing.KarrasGAN` (``"logistic"`` with lazy
    R1 by default, or the paper's ``"wgan_gp"`` with drift). Real images (in [0, 1], at full ``resolution``) are
    average-pooled to the stage's size; during a fade-in they are blended with their own 2x blurred (down- then
    upsampled) version by the same ``alpha``, as in the paper, so that real and fake images pass through the same
    transition. The :class:`FadeIn` callback raises ``alpha`` from 0 to 1. Samples come from ``generator_ema``,
    the moving average of the generator's weights. Other keyword arguments go to ``KarrasGAN``.
    """

    def __init__(self, latent_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(resolution=resolution, channels=channels, image_channels=image_channels,
                         group_size=group_size, **kwargs)
        self.latent_dim = int(latent_dim)
        self.generator = ProgressiveGenerator(latent_dim, resolution, self.channels, image_channels, name="generator")
        self.generator_ema = ProgressiveGenerator(latent_dim, resolution, self.channels, image_channels,
                                                  name="generator_ema")
        self.generator.build()
        self.generator_ema.build()
        self.discriminator.build()
        self.copy_to_ema()
        self.built = True

    def generator_networks(self) -> list[keras.Model]:
        return [self.generator]

    def ema_networks(self) -> list[keras.Model]:
        return [self.generator_ema]

    def call(self, z, training: bool = False):
        """Images at the current stage (and alpha) for noise ``z``, in the networks' range [-1, 1]."""
        return self.generator(z, stage=self.stage, alpha=self.alpha)

    def fakes(self, batch, generator_step: bool = False):
        """A batch of fakes from fresh noise, at the current stage and alpha."""
        return self(self.noise(batch))

    # ------------------------------------------------------------------ sampling
    def latent(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` noise vectors ``z ~ N(0, I)`` from a NumPy generator seeded with ``seed`` (fixed noise)."""
        return fixed_noise(n, self.latent_dim, seed)

    def generate(self, n: int | None = None, seed: int = 0, z: np.ndarray | None = None, stage: int | None = None,
                 alpha: float | None = None, batch_size: int = 256, ema: bool = True) -> np.ndarray:
        """Samples in [0, 1] at ``stage`` (default: the current one) with ``alpha`` (default: the current one).

        ``ema=False`` samples from the trained generator instead of its moving average.
        """
        if z is None:
            if n is None:
                raise ValueError("Give the number of samples n, or the noise z.")
            z = self.latent(n, seed)
        stage = self.stage if stage is None else stage
        alpha = float(self.alpha.numpy()) if alpha is None else float(alpha)
        generator = self.generator_ema if ema else self.generator
        out = [ops.convert_to_numpy(generator(z[i:i + batch_size], stage=stage, alpha=alpha))
               for i in range(0, len(z), batch_size)]
        return np.clip((np.concatenate(out) + 1.0) / 2.0, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.recipe_config(), **self.growing_config(), "latent_dim": self.latent_dim}


@in_scope
def progan_from_budget(budget: Any, resolution: int | None = None, image_channels: int = 1,
                       seed: int | None = None, jit_compile: bool | str = "auto") -> ProGAN:
    """Chapter 12's ProGAN from its budget row (``latent_dim``, ``channels`` and the recipe), compiled.

    ``resolution`` defaults to the budget's; the channel list is cut to that resolution's stages, so one row
    serves the 32x32 Fashion-MNIST fallback and the 64x64 faces.
    """
    resolution = int(resolution or budget["resolution"])
    model = ProGAN(latent_dim=budget["latent_dim"], resolution=resolution,
                   channels=list(budget["channels"])[:num_stages(resolution)], image_channels=image_channels,
                   seed=seed, **recipe_from_budget(budget))
    model.compile(jit_compile=jit_compile)
    return model
