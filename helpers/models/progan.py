"""Progressive growing of GANs (Karras et al. 2018): a generator and a critic that grow from 4x4 upwards.

Both networks hold every block from the start; a Python ``stage`` picks how many are used (stage 0 is
4x4, stage ``k`` is ``4 * 2**k``) and a non-trainable ``alpha`` fades the newest block in. One compiled
train step exists per stage, and a checkpoint of any stage holds all weights, so an interrupted run
resumes stage by stage with :func:`fit_progressive`. Networks work in [-1, 1]; data and samples in [0, 1].
Loss, optimizers and the moving average of the generator: :class:`helpers.models.growing.KarrasGAN`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from helpers.models.common import fixed_noise
from helpers.models.growing import (
    KarrasGAN,
    check_channels,
    downsample,
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
        return lerp(old, new, ops.cast(alpha, new.dtype))

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
class ProgressiveCritic(keras.Model):
    """ProGAN's discriminator (a Wasserstein critic: one unbounded score per image), mirroring the generator.

    ``fromRGB`` (an equalised 1x1 convolution with LeakyReLU) per resolution, then per stage two 3x3
    convolutions and 2x2 average pooling down to 4x4, where a :class:`~helpers.layers.MinibatchStdDev`
    channel is appended before a 3x3 convolution, a dense layer and the linear score. During a fade-in the
    input also takes the old path, ``fromRGB`` of the 2x downsampled image, blended in with ``1 - alpha``.
    """

    def __init__(self, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32), image_channels: int = 1,
                 group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.stages = num_stages(resolution)
        self.channels = check_channels(channels, self.stages)
        self.image_channels = int(image_channels)
        self.group_size = int(group_size)
        self.from_rgb = [EqualizedConv2D(c, 1, name=f"from_rgb_{stage_resolution(k)}x{stage_resolution(k)}")
                         for k, c in enumerate(self.channels)]
        tags = [f"{stage_resolution(k)}x{stage_resolution(k)}" for k in range(self.stages)]
        self.blocks = [(EqualizedConv2D(self.channels[k], 3, name=f"conv_{tags[k]}_a"),
                        EqualizedConv2D(self.channels[k - 1], 3, name=f"conv_{tags[k]}_b"))
                       for k in range(1, self.stages)]
        self.mbstd = MinibatchStdDev(group_size, name="minibatch_stddev")
        self.conv_final = EqualizedConv2D(self.channels[0], 3, name="conv_4x4")
        self.dense_final = EqualizedDense(self.channels[0], name="dense_4x4")
        self.score = EqualizedDense(1, gain=1.0, name="score")

    def block(self, k: int, h):
        """Critic block ``k`` (k >= 1): two 3x3 convolutions with LeakyReLU, then 2x2 average pooling."""
        conv_a, conv_b = self.blocks[k - 1]
        h = ops.leaky_relu(conv_a(h), 0.2)
        return downsample(ops.leaky_relu(conv_b(h), 0.2))

    def call(self, x, stage: int | None = None, alpha=1.0):
        stage = self.stages - 1 if stage is None else stage
        if not 0 <= stage < self.stages:
            raise ValueError(f"stage is in 0..{self.stages - 1}, got {stage}.")
        x = ops.convert_to_tensor(x, "float32")
        side = stage_resolution(stage)
        if tuple(x.shape[1:]) != (side, side, self.image_channels):
            raise ValueError(f"At stage {stage} the critic takes ({side}, {side}, {self.image_channels}) images, "
                             f"got {tuple(x.shape[1:])}.")
        h = ops.leaky_relu(self.from_rgb[stage](x), 0.2)
        if stage > 0:
            h = self.block(stage, h)
            old = ops.leaky_relu(self.from_rgb[stage - 1](downsample(x)), 0.2)
            h = lerp(old, h, ops.cast(alpha, h.dtype))
            for k in range(stage - 1, 0, -1):
                h = self.block(k, h)
        h = ops.leaky_relu(self.conv_final(self.mbstd(h)), 0.2)
        h = ops.leaky_relu(self.dense_final(ops.reshape(h, (-1, 4 * 4 * self.channels[0]))), 0.2)
        return self.score(h)

    def build(self, input_shape=None) -> None:
        for stage in range(self.stages):
            side = stage_resolution(stage)
            self.call(ops.zeros((self.group_size, side, side, self.image_channels)), stage=stage, alpha=0.5)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "resolution": self.resolution, "channels": list(self.channels),
                "image_channels": self.image_channels, "group_size": self.group_size}


@keras.saving.register_keras_serializable(package="genbook")
class ProGAN(KarrasGAN):
    """A progressively grown GAN trained with ``fit``, one stage at a time (:meth:`set_stage`).

    Each ``train_step`` makes ``d_steps`` critic updates, then one generator update, with the loss of
    :class:`~helpers.models.growing.KarrasGAN` (``"logistic"`` with lazy R1 by default, or the paper's
    ``"wgan_gp"`` with drift). Real images (in [0, 1], at full ``resolution``) are average-pooled to the
    stage's size; during a fade-in they are blended with their own 2x blurred (down- then upsampled) version
    by the same ``alpha``, as in the paper, so that real and fake images pass through the same transition.
    The :class:`FadeIn` callback raises ``alpha`` from 0 to 1. Samples come from ``generator_ema``, the
    moving average of the generator's weights. Other keyword arguments go to ``KarrasGAN``.
    """

    def __init__(self, latent_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.resolution = int(resolution)
        self.stages = num_stages(resolution)
        self.channels = check_channels(channels, self.stages)
        self.image_channels = int(image_channels)
        self.group_size = int(group_size)
        self.generator = ProgressiveGenerator(latent_dim, resolution, self.channels, image_channels, name="generator")
        self.generator_ema = ProgressiveGenerator(latent_dim, resolution, self.channels, image_channels,
                                                  name="generator_ema")
        self.discriminator = ProgressiveCritic(resolution, self.channels, image_channels, group_size,
                                               name="critic")
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones", trainable=False)
        self.stage = self.stages - 1
        self.generator.build()
        self.generator_ema.build()
        self.discriminator.build()
        self.copy_to_ema()
        self.built = True

    def generator_networks(self) -> list[keras.Model]:
        return [self.generator]

    def ema_networks(self) -> list[keras.Model]:
        return [self.generator_ema]

    def set_stage(self, stage: int, alpha: float = 1.0) -> None:
        """Train (and sample) at ``stage`` from now on, with fade-in weight ``alpha``; a new train step is traced."""
        self.generator._check_stage(stage)
        self.stage = int(stage)
        self.alpha.assign(float(alpha))
        self.train_function = None  # the next fit traces a step for this stage's networks

    @property
    def stage_resolution(self) -> int:
        """The image side length at the current stage."""
        return stage_resolution(self.stage)

    # ------------------------------------------------------------------ pieces
    def real_at_stage(self, x):
        """Real images in [0, 1] at full resolution -> the networks' range at the current stage's size (faded)."""
        x = ops.cast(x, "float32")
        expected = (self.resolution, self.resolution, self.image_channels)
        if tuple(x.shape[1:]) != expected:
            raise ValueError(f"ProGAN trains on {expected} images in [0, 1], got shape {tuple(x.shape[1:])}.")
        x = downsample(x * 2.0 - 1.0, self.resolution // self.stage_resolution)
        if self.stage > 0:
            x = lerp(upsample(downsample(x)), x, self.alpha)
        return x

    def call(self, z, training: bool = False):
        """Images at the current stage (and alpha) for noise ``z``, in the networks' range [-1, 1]."""
        return self.generator(z, stage=self.stage, alpha=self.alpha)

    def _critic(self, x):
        return self.discriminator(x, stage=self.stage, alpha=self.alpha)

    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the ProGAN first: progan.compile().")
        x = data[0] if isinstance(data, tuple | list) else data
        real = self.real_at_stage(x)
        batch = ops.shape(real)[0]
        for _ in range(self.d_steps):
            fake = ops.stop_gradient(self(self.noise(batch)))
            d_logs = self.critic_step(self._critic, real, fake)
        g_loss = self.generator_step(lambda: self._critic(self(self.noise(batch))))
        return self.finish_step(batch, d_logs, g_loss)

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
        return {**super().get_config(), **self.recipe_config(), "latent_dim": self.latent_dim,
                "resolution": self.resolution, "channels": list(self.channels), "image_channels": self.image_channels,
                "group_size": self.group_size}


class FadeIn(keras.callbacks.Callback):
    """Raise a ProGAN's ``alpha`` linearly from 0 to 1 over the first ``fade_epochs`` epochs of a stage.

    ``alpha`` after batch ``b`` of epoch ``e`` (``s`` steps per epoch) is ``min(1, (e s + b + 1) / (fade_epochs s))``:
    a function of the position only, so a resumed run continues the same ramp. ``fade_epochs = 0`` keeps
    ``alpha = 1`` (stage 0, which has nothing to fade from).
    """

    def __init__(self, model: ProGAN, fade_epochs: float) -> None:
        super().__init__()
        self.progan, self.fade_epochs, self._epoch = model, float(fade_epochs), 0
        self.alphas: list[float] = []

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        steps = self.params.get("steps") or 1
        done = (self._epoch * steps + batch + 1) / max(self.fade_epochs * steps, 1e-9)
        alpha = 1.0 if self.fade_epochs <= 0 else min(1.0, done)
        self.progan.alpha.assign(alpha)
        if batch == 0 or alpha == 1.0 and (not self.alphas or self.alphas[-1] < 1.0):
            self.alphas.append(alpha)


def fit_progressive(model: ProGAN, x: np.ndarray, *, fade_epochs: Sequence[float], stable_epochs: Sequence[int],
                    batch_size: int | Sequence[int] = 64, name: str = "progan",
                    callbacks: Callable[[int], Sequence[keras.callbacks.Callback]] | None = None,
                    on_stage_end: Callable[[int], Any] | None = None, verbose: int | str | None = None,
                    **fit_kwargs: Any) -> list[dict[str, list[float]]]:
    """Grow ``model`` stage by stage: per stage a fade-in of ``fade_epochs[k]`` epochs, then stabilisation.

    Stage ``k`` trains ``ceil(fade_epochs[k]) + stable_epochs[k]`` epochs through
    :func:`helpers.training.fit_or_load` under the name ``<name>_<side>x<side>``, so every finished stage is
    a checkpoint (of *all* weights) and an interrupted run resumes where it stopped. ``callbacks(stage)``
    gives extra callbacks per stage; ``on_stage_end(stage)`` runs after each stage, trained or loaded (the model
    then is as it was at the end of that stage, e.g. for samples at every resolution). ``verbose=None`` is
    ``fit_or_load``'s default: a live progress bar in Jupyter and Colab, one line per epoch headless. Returns
    one history per stage.
    """
    from helpers import training

    if len(fade_epochs) != model.stages or len(stable_epochs) != model.stages:
        raise ValueError(f"Give fade_epochs and stable_epochs for each of the {model.stages} stages.")
    sizes = [batch_size] * model.stages if isinstance(batch_size, int) else list(batch_size)
    histories = []
    for stage in range(model.stages):
        side = stage_resolution(stage)
        fade = 0.0 if stage == 0 else float(fade_epochs[stage])
        epochs = math.ceil(fade) + int(stable_epochs[stage])
        model.set_stage(stage, alpha=0.0 if fade > 0 else 1.0)
        extra = list(callbacks(stage)) if callbacks else []
        history = training.fit_or_load(model, x, name=f"{name}_{side}x{side}", epochs=epochs, batch_size=sizes[stage],
                                       callbacks=[FadeIn(model, fade), *extra], verbose=verbose, **fit_kwargs)
        model.alpha.assign(1.0)
        histories.append(history)
        if on_stage_end is not None:
            on_stage_end(stage)
    return histories


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
