"""Progressive growing of GANs (Karras et al. 2018): a generator and a critic that grow from 4x4 upwards.

Both networks hold every block from the start; a Python ``stage`` picks how many are used (stage 0 is
4x4, stage ``k`` is ``4 * 2**k``) and a non-trainable ``alpha`` fades the newest block in. One compiled
train step exists per stage, and a checkpoint of any stage holds all weights, so an interrupted run
resumes stage by stage with :func:`fit_progressive`. Networks work in [-1, 1]; data and samples in [0, 1].
Loss: WGAN-GP with ProGAN's drift term.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from helpers.models.common import apply_gradients, fixed_noise


def num_stages(resolution: int) -> int:
    """How many resolutions a network growing from 4x4 to ``resolution`` passes through (4x4 is stage 0)."""
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"The resolution must be a power of two, at least 4, got {resolution}.")
    return int(math.log2(resolution)) - 1


def stage_resolution(stage: int) -> int:
    """The image side length at ``stage`` (4, 8, 16, ...)."""
    return 4 * 2 ** int(stage)


def upsample(x, factor: int = 2):
    """Nearest-neighbour upsampling of ``(N, H, W, C)`` images by an integer ``factor``."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def downsample(x, factor: int = 2):
    """Average pooling of ``(N, H, W, C)`` images over ``factor x factor`` squares."""
    if factor == 1:
        return x
    return ops.average_pool(x, pool_size=factor, strides=factor, padding="valid")


def lerp(a, b, t):
    """``a + (b - a) t``: ``a`` at ``t = 0``, ``b`` at ``t = 1``."""
    return a + (b - a) * t


def _check_channels(channels: Sequence[int], stages: int) -> tuple[int, ...]:
    channels = tuple(int(c) for c in channels)
    if len(channels) != stages or min(channels) < 1:
        raise ValueError(f"Give one positive channel count per resolution ({stages} from 4x4 up), got {channels}.")
    return channels


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
        self.channels = _check_channels(channels, self.stages)
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
        self.channels = _check_channels(channels, self.stages)
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


def wgan_gp_critic_loss(critic: Callable, real, fake, gp_weight: float = 10.0, drift_weight: float = 1e-3,
                        seed=None) -> dict[str, Any]:
    """ProGAN's critic loss: ``E[C(fake)] - E[C(real)] + gp_weight * GP + drift_weight * E[C(real)^2]``.

    Reuses :func:`helpers.losses.wasserstein_critic_loss`, :func:`helpers.losses.gradient_penalty` and
    :func:`helpers.losses.drift_penalty`. Returns the total ``loss`` and its parts.
    """
    real_scores, fake_scores = critic(real), critic(fake)
    wasserstein = losses.wasserstein_critic_loss(real_scores, fake_scores)
    gp = losses.gradient_penalty(critic, real, fake, weight=gp_weight, seed=seed)
    drift = losses.drift_penalty(real_scores, drift_weight)
    return {"loss": wasserstein + gp + drift, "wasserstein": -wasserstein, "gp": gp, "drift": drift}


@keras.saving.register_keras_serializable(package="genbook")
class ProGAN(keras.Model):
    """A progressively grown GAN trained with ``fit``, one stage at a time (:meth:`set_stage`).

    Each ``train_step`` makes ``d_steps`` critic updates with the WGAN-GP loss plus the drift term
    (:func:`wgan_gp_critic_loss`), then one generator update with ``-E[C(G(z))]``. Real images (in [0, 1], at
    full ``resolution``) are average-pooled to the stage's size; during a fade-in they are blended with their
    own 2x blurred (down- then upsampled) version by the same ``alpha``, as in the paper, so that real and
    fake images pass through the same transition. The :class:`FadeIn` callback raises ``alpha`` from 0 to 1.
    Trackers: ``d_loss``, ``g_loss``, ``wasserstein`` (the critic's estimate of the distance), ``gp``.
    """

    def __init__(self, latent_dim: int = 128, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32),
                 image_channels: int = 1, gp_weight: float = 10.0, drift_weight: float = 1e-3, d_steps: int = 1,
                 group_size: int = 4, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}.")
        self.latent_dim = int(latent_dim)
        self.resolution = int(resolution)
        self.stages = num_stages(resolution)
        self.channels = _check_channels(channels, self.stages)
        self.image_channels = int(image_channels)
        self.gp_weight, self.drift_weight = float(gp_weight), float(drift_weight)
        self.d_steps, self.group_size, self.seed = int(d_steps), int(group_size), seed
        self.generator = ProgressiveGenerator(latent_dim, resolution, self.channels, image_channels, name="generator")
        self.discriminator = ProgressiveCritic(resolution, self.channels, image_channels, group_size,
                                               name="critic")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones", trainable=False)
        self.stage = self.stages - 1
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "wasserstein", "gp")}
        self.generator.build()
        self.discriminator.build()
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Each network its own optimizer (the paper's Adam(1e-3, beta_1=0, beta_2=0.99) if left out), built at once."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        self.build_optimizers()  # for every block now: each stage then updates its own subset

    def build_optimizers(self) -> None:
        """Create both optimizers' variables (for every block), so that a checkpoint restores their state."""
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the ProGAN first: progan.compile().")
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

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
    def noise(self, batch_size):
        """A batch of ``z ~ N(0, I)`` from the model's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

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

    def _apply(self, optimizer, tape, loss, variables) -> None:
        apply_gradients(optimizer, tape, loss, variables)

    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the ProGAN first: progan.compile().")
        x = data[0] if isinstance(data, tuple | list) else data
        real = self.real_at_stage(x)
        batch = ops.shape(real)[0]
        for _ in range(self.d_steps):
            fake = ops.stop_gradient(self(self.noise(batch)))
            with tf.GradientTape() as tape:
                d_logs = wgan_gp_critic_loss(self._critic, real, fake, self.gp_weight, self.drift_weight,
                                             seed=self.seed_generator)
            self._apply(self.d_optimizer, tape, d_logs["loss"], self.discriminator.trainable_variables)
        with tf.GradientTape() as tape:
            g_loss = losses.wasserstein_generator_loss(self._critic(self(self.noise(batch))))
        self._apply(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)
        for name, value in (("d_loss", d_logs["loss"]), ("g_loss", g_loss), ("wasserstein", d_logs["wasserstein"]),
                            ("gp", d_logs["gp"])):
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------ sampling
    def latent(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` noise vectors ``z ~ N(0, I)`` from a NumPy generator seeded with ``seed`` (fixed noise)."""
        return fixed_noise(n, self.latent_dim, seed)

    def generate(self, n: int | None = None, seed: int = 0, z: np.ndarray | None = None, stage: int | None = None,
                 alpha: float | None = None, batch_size: int = 256) -> np.ndarray:
        """Samples in [0, 1] at ``stage`` (default: the current one) with ``alpha`` (default: the current one)."""
        if z is None:
            if n is None:
                raise ValueError("Give the number of samples n, or the noise z.")
            z = self.latent(n, seed)
        stage = self.stage if stage is None else stage
        alpha = float(self.alpha.numpy()) if alpha is None else float(alpha)
        out = [ops.convert_to_numpy(self.generator(z[i:i + batch_size], stage=stage, alpha=alpha))
               for i in range(0, len(z), batch_size)]
        return np.clip((np.concatenate(out) + 1.0) / 2.0, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "latent_dim": self.latent_dim, "resolution": self.resolution,
                "channels": list(self.channels), "image_channels": self.image_channels, "gp_weight": self.gp_weight,
                "drift_weight": self.drift_weight, "d_steps": self.d_steps, "group_size": self.group_size,
                "seed": self.seed}


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
                    on_stage_end: Callable[[int], Any] | None = None, verbose: int | str = 2,
                    **fit_kwargs: Any) -> list[dict[str, list[float]]]:
    """Grow ``model`` stage by stage: per stage a fade-in of ``fade_epochs[k]`` epochs, then stabilisation.

    Stage ``k`` trains ``ceil(fade_epochs[k]) + stable_epochs[k]`` epochs through
    :func:`helpers.training.fit_or_load` under the name ``<name>_<side>x<side>``, so every finished stage is
    a checkpoint (of *all* weights) and an interrupted run resumes where it stopped. ``callbacks(stage)``
    gives extra callbacks per stage; ``on_stage_end(stage)`` runs after each stage, trained or loaded (the model
    then is as it was at the end of that stage, e.g. for samples at every resolution). Returns one history
    per stage.
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
