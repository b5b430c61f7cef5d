"""What ProGAN (chapter 12) and StyleGAN (chapter 13) share: resolutions and resampling, the growing mechanism and
the training recipe.

The growing mechanism (:class:`GrowingGAN`, :class:`ProgressiveCritic`, :class:`FadeIn`, :func:`fit_progressive`):
both networks hold every resolution's layers from the start; a Python ``stage`` picks how many are used (stage 0
is 4x4, stage ``k`` is ``4 * 2**k``) and a non-trainable ``alpha`` fades the newest resolution in. The critic fades
in a new ``fromRGB`` (:func:`fade_replace`: the old path on the downsampled image, blended out); a generator either
replaces its old output the same way (ProGAN) or, with a *skip* structure of summed ``toRGB`` outputs, adds the
new resolution's ``toRGB`` scaled by ``alpha`` (:func:`fade_skip`, StyleGAN). Real images pass through the same
transition. One compiled train step exists per stage, and a checkpoint of any stage holds all weights, so an
interrupted run resumes stage by stage.

The recipe (:class:`KarrasGAN`) is a base ``keras.Model`` holding a generator, a critic, their optimizers and:

* the **loss**: ``"logistic"``, the non-saturating logistic loss with an R1 penalty on real images applied
  lazily (every ``r1_interval`` critic steps, scaled by the interval, with Adam's learning rate and betas
  adjusted for the extra steps; Karras et al. 2019 and 2020), or ``"wgan_gp"``, the WGAN-GP loss with
  ProGAN's drift term (Karras et al. 2018);
* an **exponential moving average** of the generator's weights for sampling, with a half-life counted in
  training images and ramped up over the first images (``ema_half_life`` and ``ema_ramp``, as in
  StyleGAN2-ADA: half-life ``min(ema_half_life, ema_ramp * images_seen)``);
* a count of the images seen, so that a resumed run continues the same EMA and R1 schedule.

Networks work in [-1, 1]; data and samples in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.distribute import Distributed, ReplicaSeedGenerator, global_batch
from helpers.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev
from helpers.models.common import apply_gradients

LOSSES = ("logistic", "wgan_gp")
"""The critic losses :class:`KarrasGAN` trains with."""


# ---------------------------------------------------------------------------------------------- resolutions
def num_stages(resolution: int) -> int:
    """How many resolutions a network growing from 4x4 to ``resolution`` passes through (4x4 is stage 0)."""
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"The resolution must be a power of two, at least 4, got {resolution}.")
    return int(math.log2(resolution)) - 1


def check_stage(stage: int, stages: int, resolution: int) -> None:
    """A clear ``ValueError`` for a stage outside ``0 .. stages - 1`` of a network growing to ``resolution``."""
    if not 0 <= stage < stages:
        raise ValueError(f"stage is in 0..{stages - 1} (4x4 to {resolution}x{resolution}), got {stage}.")


def stage_resolution(stage: int) -> int:
    """The image side length at ``stage`` (4, 8, 16, ...)."""
    return 4 * 2 ** int(stage)


def check_channels(channels: Sequence[int], stages: int) -> tuple[int, ...]:
    """``channels`` as a tuple of one positive channel count per resolution, or a clear ``ValueError``."""
    channels = tuple(int(c) for c in channels)
    if len(channels) != stages or min(channels) < 1:
        raise ValueError(f"Give one positive channel count per resolution ({stages} from 4x4 up), got {channels}.")
    return channels


UPSAMPLING = ("nearest", "bilinear")
"""How :func:`upsample` doubles an image: ProGAN's blocky copy, or a low-pass (bilinear) filter."""


def upsample(x, factor: int = 2, interpolation: str = "nearest"):
    """Upsampling of ``(N, H, W, C)`` images by an integer ``factor``, nearest-neighbour or bilinear.

    Bilinear 2x upsampling (with half-pixel centres) weights the nearest two source pixels 3/4 and 1/4, which is
    the [1, 3, 3, 1] low-pass filter that StyleGAN2 applies when it upsamples (Karras et al. 2020).
    """
    if interpolation not in UPSAMPLING:
        raise ValueError(f"interpolation is one of {UPSAMPLING}, got {interpolation!r}.")
    if factor == 1:
        return x
    if interpolation == "bilinear":
        side_h, side_w = x.shape[1], x.shape[2]
        return ops.image.resize(x, (factor * side_h, factor * side_w), interpolation="bilinear")
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def downsample(x, factor: int = 2):
    """Average pooling of ``(N, H, W, C)`` images over ``factor x factor`` squares."""
    if factor == 1:
        return x
    return ops.average_pool(x, pool_size=factor, strides=factor, padding="valid")


def lerp(a, b, t):
    """``a + (b - a) t``: ``a`` at ``t = 0``, ``b`` at ``t = 1``."""
    return a + (b - a) * t


def fade_replace(old, new, alpha):
    """ProGAN's fade-in: the new path replaces the old one, ``(1 - alpha) old + alpha new``."""
    return lerp(old, new, ops.cast(alpha, new.dtype))


def fade_skip(previous_upsampled, rgb, alpha):
    """A skip generator's fade-in: the new resolution's ``toRGB`` output is *added*, scaled by ``alpha``.

    At ``alpha = 0`` the image is the previous resolution's, upsampled, exactly as in :func:`fade_replace`; at
    ``alpha = 1`` it is the full skip sum.
    """
    return previous_upsampled + ops.cast(alpha, rgb.dtype) * rgb


def set_growing_shape(network: Any, resolution: int, channels: Sequence[int], image_channels: int,
                      group_size: int) -> None:
    """Validate and store the shape a growing network is built for: ``resolution``, ``stages``, ``channels`` (one
    per resolution), ``image_channels`` and the critic's minibatch ``group_size``."""
    network.resolution = int(resolution)
    network.stages = num_stages(resolution)
    network.channels = check_channels(channels, network.stages)
    network.image_channels = int(image_channels)
    network.group_size = int(group_size)


# ---------------------------------------------------------------------------------------------- losses
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
    return {"loss": wasserstein + gp + drift, "wasserstein": -wasserstein, "gp": gp, "drift": drift,
            "real_score": ops.mean(real_scores), "fake_score": ops.mean(fake_scores)}


def lazy_adam(learning_rate: float, beta_1: float, beta_2: float, interval: int) -> keras.optimizers.Adam:
    """Adam for a network that takes one extra (regularisation) step every ``interval`` steps.

    Karras et al. (2020) keep the optimizer's time scale unchanged by multiplying the learning rate by
    ``c = interval / (interval + 1)`` and raising both betas to the power ``c``. ``interval = 0`` (no lazy
    steps) gives plain Adam.
    """
    c = interval / (interval + 1) if interval > 0 else 1.0
    return keras.optimizers.Adam(learning_rate * c, beta_1=beta_1 ** c, beta_2=beta_2 ** c, epsilon=1e-8)


# ---------------------------------------------------------------------------------------------- the recipe
class KarrasGAN(Distributed, keras.Model):
    """Base of :class:`~helpers.models.progan.ProGAN` and :class:`~helpers.models.stylegan.StyleGAN`.

    Subclasses create ``self.discriminator``, implement :meth:`generator_networks` (the trained networks) and
    :meth:`ema_networks` (their moving-average twins, same structure) and write a ``train_step`` from
    :meth:`critic_step` and :meth:`generator_step`, ending with :meth:`finish_step`.

    Trackers: ``d_loss``, ``g_loss``, ``real_score`` and ``fake_score`` (the critic's mean outputs), and
    ``r1`` (logistic loss: the R1 penalty, averaged over the steps that compute it) or ``gp`` and
    ``wasserstein`` (WGAN-GP).
    """

    def __init__(self, loss: str = "logistic", r1_gamma: float = 1.0, r1_interval: int = 16,
                 gp_weight: float = 10.0, drift_weight: float = 1e-3, d_steps: int = 1,
                 ema_half_life: float = 10_000.0, ema_ramp: float | None = 0.05, learning_rate: float = 2e-3,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"loss is one of {LOSSES}, got {loss!r}.")
        if d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}.")
        if r1_interval < 1:
            raise ValueError(f"r1_interval must be at least 1 (1: the penalty at every step), got {r1_interval}.")
        if ema_half_life < 0:
            raise ValueError(f"ema_half_life is a number of images, at least 0 (0: no averaging), got "
                             f"{ema_half_life}.")
        self.loss_name, self.r1_gamma, self.r1_interval = loss, float(r1_gamma), int(r1_interval)
        self.gp_weight, self.drift_weight, self.d_steps = float(gp_weight), float(drift_weight), int(d_steps)
        self.ema_half_life = float(ema_half_life)
        self.ema_ramp = None if ema_ramp is None else float(ema_ramp)
        self.learning_rate, self.seed = float(learning_rate), seed
        self.seed_generator = ReplicaSeedGenerator(seed)
        self.images_seen = self.add_weight(name="images_seen", shape=(), initializer="zeros", trainable=False)
        self.critic_steps = self.add_weight(name="critic_steps", shape=(), initializer="zeros", trainable=False)
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        names = ("d_loss", "g_loss", "real_score", "fake_score") + (
            ("r1",) if loss == "logistic" else ("wasserstein", "gp"))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    # ------------------------------------------------------------------ to be given by a subclass
    def generator_networks(self) -> list[keras.Model]:
        """The generator's trained networks, in a fixed order."""
        raise NotImplementedError

    def ema_networks(self) -> list[keras.Model]:
        """The moving-average twins of :meth:`generator_networks`, in the same order."""
        raise NotImplementedError

    # ------------------------------------------------------------------ set-up
    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    @property
    def generator_variables(self) -> list:
        """The trainable variables of the generator (all its networks)."""
        return [v for net in self.generator_networks() for v in net.trainable_variables]

    def _ema_pairs(self) -> list[tuple[Any, Any]]:
        pairs = []
        for net, twin in zip(self.generator_networks(), self.ema_networks(), strict=True):
            pairs += list(zip(twin.trainable_variables, net.trainable_variables, strict=True))
        return pairs

    def copy_to_ema(self) -> None:
        """Set the moving average to the current generator weights (done once when the model is built).

        The twins' variables count as trainable (so that they pair one to one with the generator's), but no
        optimizer ever updates them: only :meth:`update_ema` does.
        """
        for average, weight in self._ema_pairs():
            average.assign(weight)

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Each network its own optimizer, built at once (so that a checkpoint restores their state).

        Left out: Adam(``learning_rate``, beta_1=0, beta_2=0.99) for both, the critic's adjusted for its lazy
        R1 steps with :func:`lazy_adam` when the loss is logistic.
        """
        super().compile(**kwargs)
        separate = self.loss_name == "logistic" and self.r1_interval > 1 and not self.joint_r1
        interval = self.r1_interval if separate else 0
        self.d_optimizer = d_optimizer or lazy_adam(self.learning_rate, 0.0, 0.99, interval)
        self.g_optimizer = g_optimizer or lazy_adam(self.learning_rate, 0.0, 0.99, 0)
        self.build_optimizers()

    def build_optimizers(self) -> None:
        """Create both optimizers' variables (for every layer), so that a checkpoint restores their state."""
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError(f"Compile the {type(self).__name__} first: model.compile().")
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator_variables)

    def noise(self, batch_size):
        """A batch of ``z ~ N(0, I)`` from the model's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    @property
    def joint_r1(self) -> bool:
        """Whether the lazy R1 penalty joins the critic's loss on the steps it is due, instead of its own step.

        On one device the penalty takes its own optimizer step every ``r1_interval`` critic steps (Karras et al.
        2020). A distributed step cannot hold an optimizer step under a condition (the replicas' gradients are
        summed at every optimizer step), so with several replicas the penalty, weighted by the interval, is
        added to the critic's loss on the steps it is due, and the critic's Adam keeps its plain settings.
        """
        return self.distribute_strategy.num_replicas_in_sync > 1

    # ------------------------------------------------------------------ steps
    def critic_step(self, critic: Callable, real, fake) -> dict[str, Any]:
        """One critic update on ``real`` and ``fake`` (constants), plus the lazy R1 step when it is due."""
        variables = self.discriminator.trainable_variables
        if self.loss_name == "wgan_gp":
            with tf.GradientTape() as tape:
                logs = wgan_gp_critic_loss(critic, real, fake, self.gp_weight, self.drift_weight,
                                           seed=self.seed_generator)
            apply_gradients(self.d_optimizer, tape, logs["loss"], variables)
            self.critic_steps.assign_add(1.0)
            return logs
        due = ops.equal(ops.mod(self.critic_steps, float(self.r1_interval)), 0.0)
        if self.joint_r1:
            return self._joint_critic_step(critic, real, fake, due)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = critic(real), critic(fake)
            d_loss = losses.discriminator_loss(real_scores, fake_scores)
        apply_gradients(self.d_optimizer, tape, d_loss, variables)

        def regularise():
            with tf.GradientTape() as reg_tape:
                r1 = losses.r1_penalty(critic, real, self.r1_gamma)
                scaled = r1 * float(self.r1_interval)
            apply_gradients(self.d_optimizer, reg_tape, scaled, variables)
            return ops.convert_to_tensor(r1, "float32")

        r1 = ops.cond(due, regularise, lambda: ops.zeros((), "float32"))
        self.trackers["r1"].update_state(r1, sample_weight=ops.cast(due, "float32"))
        self.critic_steps.assign_add(1.0)
        return {"loss": d_loss, "real_score": ops.mean(real_scores), "fake_score": ops.mean(fake_scores)}

    def _joint_critic_step(self, critic: Callable, real, fake, due) -> dict[str, Any]:
        """The logistic critic step with the due R1 penalty in its loss (see :attr:`joint_r1`)."""
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_scores, fake_scores = critic(real), critic(fake)
            d_loss = losses.discriminator_loss(real_scores, fake_scores)
            r1 = ops.cond(due, lambda: ops.convert_to_tensor(losses.r1_penalty(critic, real, self.r1_gamma), "float32"),
                          lambda: ops.zeros((), "float32"))
            total = d_loss + r1 * float(self.r1_interval)
        apply_gradients(self.d_optimizer, tape, total, variables)
        self.trackers["r1"].update_state(r1, sample_weight=ops.cast(due, "float32"))
        self.critic_steps.assign_add(1.0)
        return {"loss": d_loss, "real_score": ops.mean(real_scores), "fake_score": ops.mean(fake_scores)}

    def generator_loss(self, fake_scores):
        """``-E[C(G(z))]`` (WGAN-GP) or the non-saturating ``E[softplus(-D(G(z)))]`` (logistic)."""
        if self.loss_name == "wgan_gp":
            return losses.wasserstein_generator_loss(fake_scores)
        return losses.generator_loss(fake_scores, "non_saturating")

    def generator_step(self, make_scores: Callable[[], Any]):
        """One generator update; ``make_scores()`` generates fakes and returns the critic's scores of them."""
        with tf.GradientTape() as tape:
            g_loss = self.generator_loss(make_scores())
        apply_gradients(self.g_optimizer, tape, g_loss, self.generator_variables)
        return g_loss

    def ema_beta(self, batch):
        """The moving average's decay for one step of ``batch`` images (0 with no averaging)."""
        half_life = ops.convert_to_tensor(self.ema_half_life, "float32")
        if self.ema_ramp is not None:
            half_life = ops.minimum(half_life, self.images_seen * self.ema_ramp)
        batch = ops.cast(batch, "float32")
        return ops.where(half_life > 0, ops.power(0.5, batch / ops.maximum(half_life, 1e-8)), 0.0)

    def update_ema(self, batch) -> None:
        """Move each averaged weight towards the trained one: ``avg <- w + beta (avg - w)``."""
        beta = self.ema_beta(batch)
        for average, weight in self._ema_pairs():
            average.assign(lerp(weight, average, beta))

    def finish_step(self, batch, d_logs: dict[str, Any], g_loss) -> dict[str, Any]:
        """Update the moving average, the image count and the trackers; return the logs.

        ``batch`` is this replica's share; the average's decay and the count use the step's global batch.
        """
        batch = global_batch(batch)
        self.update_ema(batch)
        self.images_seen.assign_add(ops.cast(batch, "float32"))
        values = {"d_loss": d_logs["loss"], "g_loss": g_loss, "real_score": d_logs["real_score"],
                  "fake_score": d_logs["fake_score"]}
        if self.loss_name == "wgan_gp":
            values.update(wasserstein=d_logs["wasserstein"], gp=d_logs["gp"])
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def recipe_config(self) -> dict[str, Any]:
        """The recipe's constructor arguments, for a subclass's ``get_config``."""
        return {"loss": self.loss_name, "r1_gamma": self.r1_gamma, "r1_interval": self.r1_interval,
                "gp_weight": self.gp_weight, "drift_weight": self.drift_weight, "d_steps": self.d_steps,
                "ema_half_life": self.ema_half_life, "ema_ramp": self.ema_ramp,
                "learning_rate": self.learning_rate, "seed": self.seed}


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
        set_growing_shape(self, resolution, channels, image_channels, group_size)
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
        check_stage(stage, self.stages, self.resolution)
        x = ops.convert_to_tensor(x, "float32")
        side = stage_resolution(stage)
        if tuple(x.shape[1:]) != (side, side, self.image_channels):
            raise ValueError(f"At stage {stage} the critic takes ({side}, {side}, {self.image_channels}) images, "
                             f"got {tuple(x.shape[1:])}.")
        h = ops.leaky_relu(self.from_rgb[stage](x), 0.2)
        if stage > 0:
            h = self.block(stage, h)
            old = ops.leaky_relu(self.from_rgb[stage - 1](downsample(x)), 0.2)
            h = fade_replace(old, h, alpha)
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


# ---------------------------------------------------------------------------------------------- growing
class GrowingGAN(KarrasGAN):
    """A :class:`KarrasGAN` that grows: ProGAN's critic, a ``stage`` and a faded ``alpha`` (chapters 12 and 13).

    Subclasses build their generator networks, set ``self.latent_dim`` and implement :meth:`fakes`, which
    generates a batch at the current stage and alpha; everything else (the critic, the real images' fade,
    the train step, :func:`fit_progressive`) is shared. ``image_upsampling`` is how the generator's old output is
    upsampled during a fade-in; the real images are faded with the same filter.
    """

    image_upsampling = "nearest"

    def __init__(self, resolution: int = 32, channels: Sequence[int] = (128, 128, 64, 32), image_channels: int = 1,
                 group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        set_growing_shape(self, resolution, channels, image_channels, group_size)
        self.discriminator = ProgressiveCritic(resolution, self.channels, image_channels, group_size,
                                               name="critic")
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones", trainable=False)
        self.stage = self.stages - 1

    def fakes(self, batch, generator_step: bool = False):
        """A batch of generated images at the current stage, in [-1, 1]; ``generator_step`` during its update."""
        raise NotImplementedError

    def set_stage(self, stage: int, alpha: float = 1.0) -> None:
        """Train (and sample) at ``stage`` from now on, with fade-in weight ``alpha``; a new train step is traced."""
        check_stage(stage, self.stages, self.resolution)
        self.stage = int(stage)
        self.alpha.assign(float(alpha))
        self.train_function = None  # the next fit traces a step for this stage's networks

    @property
    def stage_resolution(self) -> int:
        """The image side length at the current stage."""
        return stage_resolution(self.stage)

    def real_at_stage(self, x):
        """Real images in [0, 1] at full resolution -> the networks' range at the current stage's size (faded)."""
        x = ops.cast(x, "float32")
        expected = (self.resolution, self.resolution, self.image_channels)
        if tuple(x.shape[1:]) != expected:
            raise ValueError(f"{type(self).__name__} trains on {expected} images in [0, 1], got shape "
                             f"{tuple(x.shape[1:])}.")
        x = downsample(x * 2.0 - 1.0, self.resolution // self.stage_resolution)
        if self.stage > 0:
            x = lerp(upsample(downsample(x), interpolation=self.image_upsampling), x, self.alpha)
        return x

    def critic_at_stage(self, x):
        """The critic's scores of images at the current stage and alpha."""
        return self.discriminator(x, stage=self.stage, alpha=self.alpha)

    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError(f"Compile the {type(self).__name__} first: model.compile().")
        x = data[0] if isinstance(data, tuple | list) else data
        real = self.real_at_stage(x)
        batch = ops.shape(real)[0]
        for _ in range(self.d_steps):
            fake = ops.stop_gradient(self.fakes(batch))
            d_logs = self.critic_step(self.critic_at_stage, real, fake)
        g_loss = self.generator_step(lambda: self.critic_at_stage(self.fakes(batch, generator_step=True)))
        return self.finish_step(batch, d_logs, g_loss)

    def growing_config(self) -> dict[str, Any]:
        """The growing networks' constructor arguments, for a subclass's ``get_config``."""
        return {"resolution": self.resolution, "channels": list(self.channels), "image_channels": self.image_channels,
                "group_size": self.group_size}


def check_schedule(model: GrowingGAN, fade_epochs: Sequence[float], stable_epochs: Sequence[int]) -> None:
    """A clear ``ValueError`` unless the growth schedule has one non-negative phase pair per resolution."""
    fade_epochs, stable_epochs = list(fade_epochs), list(stable_epochs)
    if len(fade_epochs) != model.stages or len(stable_epochs) != model.stages:
        raise ValueError(f"Give fade_epochs and stable_epochs for each of the {model.stages} stages (4x4 to "
                         f"{model.resolution}x{model.resolution}), got {len(fade_epochs)} and {len(stable_epochs)}; "
                         "cut a longer schedule with [:model.stages].")
    if min(fade_epochs + stable_epochs) < 0:
        raise ValueError(f"Epochs cannot be negative, got fade_epochs={fade_epochs}, stable_epochs={stable_epochs}.")
    if not any(float(f) + float(s) > 0 for f, s in zip(fade_epochs, stable_epochs, strict=True)):
        raise ValueError("The schedule trains no epoch at all: give some stage fade or stable epochs.")


class FadeIn(keras.callbacks.Callback):
    """Raise a growing GAN's ``alpha`` linearly from 0 to 1 over the first ``fade_epochs`` epochs of a stage.

    ``alpha`` after batch ``b`` of epoch ``e`` (``s`` steps per epoch) is ``min(1, (e s + b + 1) / (fade_epochs s))``:
    a function of the position only, so a resumed run continues the same ramp. ``fade_epochs = 0`` keeps
    ``alpha = 1`` (stage 0, which has nothing to fade from).
    """

    def __init__(self, model: GrowingGAN, fade_epochs: float) -> None:
        super().__init__()
        self.gan, self.fade_epochs, self._epoch = model, float(fade_epochs), 0
        self.alphas: list[float] = []

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        steps = self.params.get("steps") or 1
        done = (self._epoch * steps + batch + 1) / max(self.fade_epochs * steps, 1e-9)
        alpha = 1.0 if self.fade_epochs <= 0 else min(1.0, done)
        self.gan.alpha.assign(alpha)
        if batch == 0 or alpha == 1.0 and (not self.alphas or self.alphas[-1] < 1.0):
            self.alphas.append(alpha)


def fit_progressive(model: GrowingGAN, x: np.ndarray, *, fade_epochs: Sequence[float], stable_epochs: Sequence[int],
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
    from helpers import config, training

    check_schedule(model, fade_epochs, stable_epochs)
    sizes = [batch_size] * model.stages if isinstance(batch_size, int) else list(batch_size)
    if len(sizes) != model.stages:
        raise ValueError(f"Give one batch size, or one per stage ({model.stages}), got {len(sizes)}.")
    folder = Path(fit_kwargs.get("directory") or config.checkpoint_dir(config.current_chapter() or name))
    ungrown, ungrown_state = training.checkpoint_paths(folder, name)
    if ungrown.exists():
        raise training.CheckpointError(
            f"{ungrown} is the checkpoint of a model trained without growing (one file for the whole run); "
            f"{type(model).__name__} now grows, with one checkpoint per stage ({name}_4x4, {name}_8x8, ...). "
            f"Delete {ungrown} and {ungrown_state} to train the grown model, or give fit_progressive another name.")
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


RECIPE_KEYS = ("loss", "r1_gamma", "r1_interval", "gp_weight", "drift_weight", "d_steps", "ema_half_life", "ema_ramp",
               "learning_rate")
"""The budget entries (``helpers.config.BUDGETS``) that set :class:`KarrasGAN`'s recipe, where a chapter gives them."""


def recipe_from_budget(budget: Any) -> dict[str, Any]:
    """The recipe's keyword arguments that a chapter's budget sets (the others keep their defaults)."""
    return {key: budget[key] for key in RECIPE_KEYS if key in budget}
