"""What ProGAN (chapter 12) and StyleGAN (chapter 13) share: resolutions and resampling, and the training recipe.

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
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.models.common import apply_gradients

LOSSES = ("logistic", "wgan_gp")
"""The critic losses :class:`KarrasGAN` trains with."""


# ---------------------------------------------------------------------------------------------- resolutions
def num_stages(resolution: int) -> int:
    """How many resolutions a network growing from 4x4 to ``resolution`` passes through (4x4 is stage 0)."""
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"The resolution must be a power of two, at least 4, got {resolution}.")
    return int(math.log2(resolution)) - 1


def stage_resolution(stage: int) -> int:
    """The image side length at ``stage`` (4, 8, 16, ...)."""
    return 4 * 2 ** int(stage)


def check_channels(channels: Sequence[int], stages: int) -> tuple[int, ...]:
    """``channels`` as a tuple of one positive channel count per resolution, or a clear ``ValueError``."""
    channels = tuple(int(c) for c in channels)
    if len(channels) != stages or min(channels) < 1:
        raise ValueError(f"Give one positive channel count per resolution ({stages} from 4x4 up), got {channels}.")
    return channels


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
class KarrasGAN(keras.Model):
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
        self.seed_generator = keras.random.SeedGenerator(seed)
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
        interval = self.r1_interval if self.loss_name == "logistic" and self.r1_interval > 1 else 0
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

        due = ops.equal(ops.mod(self.critic_steps, float(self.r1_interval)), 0.0)
        r1 = ops.cond(due, regularise, lambda: ops.zeros((), "float32"))
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
        """Update the moving average, the image count and the trackers; return the logs."""
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


RECIPE_KEYS = ("loss", "r1_gamma", "r1_interval", "gp_weight", "drift_weight", "d_steps", "ema_half_life", "ema_ramp",
               "learning_rate")
"""The budget entries (``helpers.config.BUDGETS``) that set :class:`KarrasGAN`'s recipe, where a chapter gives them."""


def recipe_from_budget(budget: Any) -> dict[str, Any]:
    """The recipe's keyword arguments that a chapter's budget sets (the others keep their defaults)."""
    return {key: budget[key] for key in RECIPE_KEYS if key in budget}
