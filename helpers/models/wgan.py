"""Wasserstein GANs: a critic instead of a discriminator, kept (roughly) 1-Lipschitz in one of three ways.

* ``"clip"``: weight clipping (Arjovsky et al. 2017): after every critic update each critic weight is
  clipped to ``[-clip_value, clip_value]``; RMSprop(5e-5), five critic steps per generator step.
* ``"gp"``: gradient penalty (Gulrajani et al. 2017): ``lambda * E[(||grad C(x_hat)||_2 - 1)^2]`` on random
  interpolates ``x_hat`` between real and fake examples; Adam(1e-4, beta_1=0, beta_2=0.9), lambda = 10.
* ``"div"``: the Wasserstein divergence (Wu et al. 2018): ``k * E[||grad C(x_hat)||_2^p]`` with ``k = 2``,
  ``p = 6``, which needs no Lipschitz constraint at all.

The model reuses the GAN machinery of :mod:`helpers.models.gan` (noise, sampling, the [0, 1] <-> [-1, 1]
rescaling, optimizer building for checkpoints); only the two phases and the trackers differ.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.distribute import in_scope, replicas
from helpers.models.common import apply_gradients
from helpers.models.gan import GAN, dcgan_discriminator, dcgan_generator, mlp_discriminator, mlp_generator

PENALTIES = ("clip", "gp", "div")


@keras.saving.register_keras_serializable(package="genbook")
class WGAN(GAN):
    """A Wasserstein GAN trained with ``fit``: ``d_steps`` critic updates, then one generator update.

    The critic ``discriminator(x)`` returns an unbounded score. It minimises
    ``E[C(G(z))] - E[C(x)]`` (plus the penalty), so that ``E[C(x)] - E[C(G(z))]``, logged as
    ``wasserstein``, estimates the Earth-Mover distance between data and samples (up to the Lipschitz
    constant the constraint allows). The generator minimises ``-E[C(G(z))]``.

    Trackers: ``critic_loss`` (with the penalty), ``g_loss``, ``wasserstein`` (the critic's estimate on
    the last critic step of each batch) and ``penalty`` (the penalty term; 0 for clipping).

    Every critic step of a batch sees the same real images with fresh fakes. ``penalty`` is one of
    :data:`PENALTIES`; ``clip_value`` is used by ``"clip"``, ``gp_weight`` by ``"gp"``, ``div_k`` and
    ``div_p`` by ``"div"``.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 penalty: str = "gp", d_steps: int = 5, clip_value: float = 0.01, gp_weight: float = 10.0,
                 div_k: float = 2.0, div_p: float = 6.0, **kwargs: Any) -> None:
        if penalty not in PENALTIES:
            raise ValueError(f"penalty is one of {PENALTIES}, got {penalty!r}.")
        if kwargs.get("num_classes"):
            raise ValueError("The WGAN here is unconditional; use helpers.models.gan for a conditional GAN.")
        kwargs.pop("generator_loss", None)
        kwargs.pop("num_classes", None)
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        self.penalty = penalty
        self.clip_value = float(clip_value)
        self.gp_weight = float(gp_weight)
        self.div_k = float(div_k)
        self.div_p = float(div_p)
        self.critic_loss_tracker = keras.metrics.Mean(name="critic_loss")
        self.wasserstein_tracker = keras.metrics.Mean(name="wasserstein")
        self.penalty_tracker = keras.metrics.Mean(name="penalty")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.critic_loss_tracker, self.g_loss_tracker, self.wasserstein_tracker, self.penalty_tracker]

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Each network's optimizer; left out, the paper's: RMSprop(5e-5) for clipping, else Adam(1e-4, 0, 0.9)."""
        def default() -> keras.optimizers.Optimizer:
            if self.penalty == "clip":
                return keras.optimizers.RMSprop(5e-5)
            return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)

        super().compile(d_optimizer=d_optimizer or default(), g_optimizer=g_optimizer or default(), **kwargs)

    def critic(self, x, training: bool = False):
        """The critic's scores for ``x`` in the networks' range, one per example, shape ``(batch,)``."""
        return ops.reshape(self.discriminator(x, training=training), (-1,))

    def penalty_term(self, real, fake):
        """The penalty of this WGAN's kind on interpolates of ``real`` and ``fake`` (0 for clipping)."""
        def critic(x):
            return self.critic(x, training=True)

        if self.penalty == "gp":
            return losses.gradient_penalty(critic, real, fake, weight=self.gp_weight, seed=self.seed_generator)
        if self.penalty == "div":
            return losses.divergence_penalty(critic, real, fake, k=self.div_k, p=self.div_p,
                                             seed=self.seed_generator)
        return ops.zeros(())

    def clip_critic(self) -> None:
        """Clip every trainable critic weight to ``[-clip_value, clip_value]`` (weight clipping)."""
        for weight in self.discriminator.trainable_weights:
            weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))

    def discriminator_step(self, x, onehot=None) -> dict[str, Any]:
        """One critic update on real ``x`` (networks' range) and fresh fakes; only the critic changes."""
        batch = ops.shape(x)[0]
        fake = ops.stop_gradient(self._generate(self.noise(batch), None, training=True))
        with tf.GradientTape() as tape:
            real_scores = self.critic(x, training=True)
            fake_scores = self.critic(fake, training=True)
            penalty = self.penalty_term(x, fake)
            critic_loss = losses.wasserstein_critic_loss(real_scores, fake_scores) + penalty
        weights = self.discriminator.trainable_weights
        apply_gradients(self.d_optimizer, tape, critic_loss, weights)
        if self.penalty == "clip":
            self.clip_critic()
        return {"critic_loss": critic_loss, "penalty": penalty,
                "wasserstein": ops.mean(real_scores) - ops.mean(fake_scores)}

    def generator_step(self, batch_size, onehot=None) -> dict[str, Any]:
        """One generator update that raises the critic's score of its samples; only the generator changes."""
        z = self.noise(batch_size)
        with tf.GradientTape() as tape:
            fake_scores = self.critic(self._generate(z, None, training=True), training=True)
            g_loss = losses.wasserstein_generator_loss(fake_scores)
        weights = self.generator.trainable_weights
        apply_gradients(self.g_optimizer, tape, g_loss, weights)
        return {"g_loss": g_loss}

    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the WGAN first: wgan.compile().")
        self.build_optimizers()  # before the loop: no optimizer variables may be created inside it
        x, _ = self._unpack(data)
        x = self.to_model_range(x)
        keys = ("critic_loss", "penalty", "wasserstein")

        def critic_update(_, last):
            logs = self.discriminator_step(x)
            return tuple(ops.cast(logs[k], "float32") for k in keys)

        last = tuple(ops.zeros(()) for _ in keys)
        if replicas() == 1:  # a graph loop, traced once, rather than d_steps copies of the step (a faster first call)
            last = ops.fori_loop(0, self.d_steps, critic_update, last)
        else:  # replicas sum their gradients at every optimizer step, which a graph loop cannot hold
            for i in range(self.d_steps):
                last = critic_update(i, last)
        d_logs = dict(zip(keys, last, strict=True))
        g_logs = self.generator_step(ops.shape(x)[0])
        self.critic_loss_tracker.update_state(d_logs["critic_loss"])
        self.g_loss_tracker.update_state(g_logs["g_loss"])
        self.wasserstein_tracker.update_state(d_logs["wasserstein"])
        self.penalty_tracker.update_state(d_logs["penalty"])
        return {m.name: m.result() for m in self.metrics}

    def score(self, x, batch_size: int = 512):
        """The critic's scores for data ``x`` in [0, 1] (NumPy, one per example)."""
        import numpy as np

        out = [ops.convert_to_numpy(self.critic(self.to_model_range(x[i:i + batch_size])))
               for i in range(0, len(x), batch_size)]
        return np.concatenate(out)

    def interpolate_gradient_norms(self, x, n: int | None = None, seed: int = 0):
        """``||grad C(x_hat)||`` on interpolates between real ``x`` (in [0, 1]) and as many fresh samples.

        What the gradient penalty pushes towards 1; returns a NumPy array, one norm per example.
        """
        import numpy as np

        n = n or len(x)
        real = self.to_model_range(x[:n])
        fake = self.to_model_range(self.generate(n, seed=seed))
        x_hat, _ = losses.random_interpolates(real, fake, seed=seed)
        norms = [ops.convert_to_numpy(losses.input_gradient_norms(self.critic, x_hat[i:i + 500]))
                 for i in range(0, n, 500)]
        return np.concatenate(norms)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("generator_loss", "num_classes", "label_smoothing", "replay", "replay_share"):
            config.pop(key, None)
        config.update(penalty=self.penalty, clip_value=self.clip_value, gp_weight=self.gp_weight,
                      div_k=self.div_k, div_p=self.div_p)
        return config


ARCHITECTURES = ("mlp", "dcgan")


@in_scope
def wgan_networks(penalty: str = "gp", latent_dim: int = 64, arch: str = "dcgan", filters: tuple[int, int] = (64, 128),
                  hidden: tuple[int, ...] = (256, 512), critic_norm: str | None = "default",
                  name: str = "wgan") -> tuple[keras.Model, keras.Model]:
    """The generator and critic that :func:`wgan` builds for ``penalty``, as a pair ``(generator, critic)``.

    ``arch="dcgan"``: the DCGAN generator and a DCGAN-shaped critic (``filters``) on 28x28x1 images;
    ``arch="mlp"``: the MLP generator and critic of chapter 7 (``hidden``, mirrored in the critic) on
    28x28 images. ``critic_norm="default"`` picks what each variant's paper uses without batch norm:
    none for weight clipping (clipping the gain of a normalisation layer would only shrink it) and
    layer normalisation for the gradient and divergence penalties, which are defined example by example
    and would be corrupted by batch norm's mixing of examples.
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty is one of {PENALTIES}, got {penalty!r}.")
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch is one of {ARCHITECTURES}, got {arch!r}.")
    if critic_norm == "default":
        critic_norm = None if penalty == "clip" else "layer"
    if arch == "mlp":
        generator = mlp_generator(latent_dim, (28, 28), hidden, name=f"{name}_generator")
        critic = mlp_discriminator((28, 28), tuple(reversed(hidden)), norm=critic_norm, name=f"{name}_critic")
    else:
        generator = dcgan_generator(latent_dim, filters, name=f"{name}_generator")
        critic = dcgan_discriminator(filters, norm=critic_norm, name=f"{name}_critic")
    return generator, critic


@in_scope
def wgan(penalty: str = "gp", latent_dim: int = 64, arch: str = "dcgan", filters: tuple[int, int] = (64, 128),
         hidden: tuple[int, ...] = (256, 512), critic_norm: str | None = "default", name: str | None = None,
         **wgan_kwargs: Any) -> WGAN:
    """A WGAN on 28x28 images from the book's shared builders, the same networks for every penalty.

    The networks are :func:`wgan_networks`'s for ``penalty``, ``arch``, ``filters``, ``hidden`` and
    ``critic_norm``. Other keyword arguments go to :class:`WGAN`.
    """
    name = name or f"wgan_{penalty}"
    generator, critic = wgan_networks(penalty, latent_dim, arch, filters, hidden, critic_norm, name)
    return WGAN(generator, critic, latent_dim, penalty=penalty, name=name, **wgan_kwargs)


@in_scope
def standard_gan_like(penalty: str = "gp", latent_dim: int = 64, arch: str = "dcgan",
                      filters: tuple[int, int] = (64, 128), hidden: tuple[int, ...] = (256, 512),
                      critic_norm: str | None = "default", d_steps: int = 5, name: str | None = None,
                      **gan_kwargs: Any) -> GAN:
    """A GAN with the standard (non-saturating) loss on the very networks and schedule of ``wgan(penalty)``.

    The discriminator is the critic network of :func:`wgan_networks`, its score read as a logit, and it
    takes ``d_steps`` steps per generator step, five like the WGAN's critic: a discriminator much
    stronger than its generator, the setting in which the WGAN paper saw the standard GAN fail. Compile it
    with the WGAN's optimizers to change nothing but the loss. Other keyword arguments go to :class:`GAN`.
    """
    name = name or f"standard_like_{penalty}"
    generator, critic = wgan_networks(penalty, latent_dim, arch, filters, hidden, critic_norm, name)
    return GAN(generator, critic, latent_dim, d_steps=d_steps, name=name, **gan_kwargs)
