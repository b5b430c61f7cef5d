"""GANs: the two-phase game as a ``keras.Model.train_step``, MLP and DCGAN builders, and the classic loop.

Networks work in the generator's output space. With ``rescale=True`` (the builders' tanh generators) the
GAN takes data in [0, 1] like every data set of the book, maps it to [-1, 1] before the discriminator
sees it, and :meth:`GAN.generate` maps samples back to [0, 1]. With ``rescale=False`` (a linear
generator for 2-D points) data and samples are used as they are.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.distribute import Distributed, ReplicaSeedGenerator, in_scope
from helpers.layers import MinibatchDiscrimination, MinibatchStdDev
from helpers.models.common import apply_gradients, fixed_noise, one_hot, unpack_batch


@keras.saving.register_keras_serializable(package="genbook")
class GAN(Distributed, keras.Model):
    """A generative adversarial network trained with ``fit``: each step is the two-phase game.

    ``generator(z)`` maps noise ``z ~ N(0, I)`` of size ``latent_dim`` to a sample; ``discriminator(x)``
    returns one **logit** per sample (a raw score for ``generator_loss="least_squares"``). Each
    ``train_step``:

    1. trains the discriminator ``d_steps`` times on the real batch and a fresh fake batch (binary
       cross-entropy from logits, or the least-squares loss), updating only its weights;
    2. trains the generator once through the discriminator with ``generator_loss``
       (``"non_saturating"``, ``"saturating"`` or ``"least_squares"``), updating only its weights.

    Trackers: ``d_loss``, ``g_loss``, ``d_real`` (mean ``D(x)``) and ``d_fake`` (mean ``D(G(z))``, fakes of
    the discriminator phase); ``D`` is ``sigmoid(logit)``, or the raw score for least squares.

    Conditional GAN: with ``num_classes`` set the data are ``(images, labels)`` pairs and the networks take
    the one-hot label too, ``generator([z, onehot])`` and ``discriminator([x, onehot])``; fakes are made
    for the real batch's labels.

    ``replay`` > 0 keeps a ring buffer of that many past fakes (experience replay, Shrivastava et al.
    2017): in the discriminator phase each fake is swapped, with probability ``replay_share``, for a
    random one from the buffer, so the discriminator keeps penalising modes the generator has left.
    ``label_smoothing`` is one-sided (real targets ``1 - s``).

    ``pack`` = m > 1 makes it a PacGAN (Lin et al. 2018): the discriminator judges groups of m samples
    from one source, concatenated along the last axis by :func:`pack_samples` (so its input is m times as
    wide), real groups and fake groups separately; batches are cut to a multiple of m. A collapsed generator
    gives groups of near-identical fakes, which real groups never are. ``r1_gamma`` > 0 adds the R1
    penalty (Mescheder et al. 2018) on real data to the discriminator's loss.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 generator_loss: str = "non_saturating", d_steps: int = 1, num_classes: int | None = None,
                 label_smoothing: float = 0.0, replay: int = 0, replay_share: float = 0.5, rescale: bool = True,
                 pack: int = 1, r1_gamma: float = 0.0, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"generator_loss is one of {losses.GENERATOR_LOSSES}, got {generator_loss!r}.")
        if d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}.")
        if replay and num_classes:
            raise ValueError("Experience replay is implemented for unconditional GANs only.")
        if int(pack) < 1:
            raise ValueError(f"pack is the number of samples the discriminator judges together (>= 1), got {pack}.")
        if int(pack) > 1 and num_classes:
            raise ValueError("Packing (PacGAN) is implemented for unconditional GANs only.")
        if r1_gamma < 0:
            raise ValueError(f"r1_gamma must be >= 0, got {r1_gamma}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.generator_loss = generator_loss
        self.d_steps = int(d_steps)
        self.num_classes = num_classes
        self.label_smoothing = float(label_smoothing)
        self.replay = int(replay)
        self.replay_share = float(replay_share)
        self.rescale = bool(rescale)
        self.pack = int(pack)
        self.r1_gamma = float(r1_gamma)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        if self.replay:
            sample_shape = tuple(generator.outputs[0].shape[1:])
            self.replay_buffer = self.add_weight(name="replay_buffer", shape=(self.replay, *sample_shape),
                                                 initializer="zeros", trainable=False)
            self.replay_count = self.add_weight(name="replay_count", shape=(), initializer="zeros",
                                                dtype="int64", trainable=False)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        if generator.built and discriminator.built:
            self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Give each network its own optimizer (Adam(2e-4, beta_1=0.5) each, as in DCGAN, when left out)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

    def build_optimizers(self) -> None:
        """Create both optimizers' variables, so that a checkpoint restores their state (``fit_or_load``)."""
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...).")
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

    # ------------------------------------------------------------------ pieces
    def _unpack(self, data):
        return unpack_batch(data, self.num_classes, "GAN")

    def one_hot(self, labels):
        """One-hot float codes of integer ``labels`` (any shape that flattens to ``(batch,)``)."""
        return one_hot(labels, self.num_classes)

    def to_model_range(self, x):
        """Data in [0, 1] to the networks' range ([-1, 1] when ``rescale``)."""
        x = ops.cast(x, "float32")
        return x * 2.0 - 1.0 if self.rescale else x

    def noise(self, batch_size):
        """A batch of ``z ~ N(0, I)`` from the GAN's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _generate(self, z, onehot, training: bool = False):
        return self.generator(z if onehot is None else [z, onehot], training=training)

    def _discriminate(self, x, onehot, training: bool = False):
        if self.pack > 1:
            x = pack_samples(x, self.pack)
        return self.discriminator(x if onehot is None else [x, onehot], training=training)

    def call(self, inputs, training: bool = False):
        """The generator's output for ``z`` (or ``[z, onehot]``), in the networks' range."""
        return self.generator(inputs, training=training)

    def _d_loss(self, real_logits, fake_logits):
        if self.generator_loss == "least_squares":
            return losses.least_squares_discriminator_loss(real_logits, fake_logits)
        return losses.discriminator_loss(real_logits, fake_logits, label_smoothing=self.label_smoothing)

    def _prob(self, logits):
        return logits if self.generator_loss == "least_squares" else ops.sigmoid(logits)

    def _replayed(self, fake):
        """Swap fakes for past ones from the buffer (with probability ``replay_share``), then store ``fake``."""
        batch = ops.shape(fake)[0]
        filled = ops.minimum(self.replay_count, self.replay)
        u = keras.random.uniform((batch,), seed=self.seed_generator)
        idx = ops.minimum(ops.cast(u * ops.cast(ops.maximum(filled, 1), "float32"), "int32"), self.replay - 1)
        old = ops.take(self.replay_buffer, idx, axis=0)
        use_old = ops.logical_and(keras.random.uniform((batch,), seed=self.seed_generator) < self.replay_share,
                                  filled > 0)
        use_old = ops.reshape(use_old, (-1,) + (1,) * (len(fake.shape) - 1))
        mixed = ops.where(use_old, old, fake)
        positions = (self.replay_count + ops.arange(batch, dtype="int64")) % self.replay
        stored = ops.scatter_update(self.replay_buffer, ops.cast(positions[:, None], "int32"),
                                    ops.stop_gradient(fake))
        self.replay_buffer.assign(stored)
        self.replay_count.assign(self.replay_count + ops.cast(batch, "int64"))
        return mixed

    def discriminator_step(self, x, onehot=None) -> dict[str, Any]:
        """One update of the discriminator on real ``x`` (networks' range) and fresh fakes; only D changes."""
        batch = ops.shape(x)[0]
        fake = ops.stop_gradient(self._generate(self.noise(batch), onehot, training=True))
        if self.replay:
            fake = self._replayed(fake)
        with tf.GradientTape() as tape:
            real_logits = self._discriminate(x, onehot, training=True)
            fake_logits = self._discriminate(fake, onehot, training=True)
            d_loss = self._d_loss(real_logits, fake_logits)
            if self.r1_gamma:
                d_loss += losses.r1_penalty(lambda v: self._discriminate(v, onehot, training=True), x,
                                            self.r1_gamma)
        apply_gradients(self.d_optimizer, tape, d_loss, self.discriminator.trainable_weights)
        return {"d_loss": d_loss, "d_real": ops.mean(self._prob(real_logits)),
                "d_fake": ops.mean(self._prob(fake_logits))}

    def generator_step(self, batch_size, onehot=None) -> dict[str, Any]:
        """One update of the generator through the discriminator; only the generator's weights change.

        The discriminator runs in training mode, as in the discriminator phase, so batch normalisation
        (if it has any) uses batch statistics in both phases; its moving averages move, its weights don't.
        """
        z = self.noise(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self._discriminate(self._generate(z, onehot, training=True), onehot, training=True)
            g_loss = losses.generator_loss(fake_logits, self.generator_loss)
        apply_gradients(self.g_optimizer, tape, g_loss, self.generator.trainable_weights)
        return {"g_loss": g_loss}

    # ------------------------------------------------------------------ training
    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("Compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...).")
        x, onehot = self._unpack(data)
        x = self.to_model_range(x)
        if self.pack > 1:  # whole groups only
            x = x[: (ops.shape(x)[0] // self.pack) * self.pack]
        for _ in range(self.d_steps):  # the same real batch with fresh fakes each time
            d_logs = self.discriminator_step(x, onehot)
        g_logs = self.generator_step(ops.shape(x)[0], onehot)
        self.d_loss_tracker.update_state(d_logs["d_loss"])
        self.g_loss_tracker.update_state(g_logs["g_loss"])
        self.d_real_tracker.update_state(d_logs["d_real"])
        self.d_fake_tracker.update_state(d_logs["d_fake"])
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------ sampling
    def latent(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` noise vectors ``z ~ N(0, I)`` from a NumPy generator seeded with ``seed`` (fixed noise)."""
        return fixed_noise(n, self.latent_dim, seed)

    def generate(self, n: int | None = None, seed: int = 0, labels: np.ndarray | None = None,
                 z: np.ndarray | None = None, batch_size: int = 512) -> np.ndarray:
        """Samples as NumPy arrays, in [0, 1] when ``rescale`` (else as the generator gives them).

        Uses ``z`` when given, otherwise ``n`` vectors from :meth:`latent` with ``seed``; the same seed gives
        the same samples. A conditional GAN needs ``labels`` (one per sample).
        """
        if z is None:
            if n is None:
                raise ValueError("Give the number of samples n, or the noise z.")
            z = self.latent(n, seed)
        z = np.asarray(z, dtype="float32")
        onehot = None
        if self.num_classes is not None:
            if labels is None:
                raise ValueError("A conditional GAN needs the labels to generate.")
            labels = np.asarray(labels).astype(int).reshape(-1)
            if len(labels) != len(z):
                raise ValueError(f"Got {len(labels)} labels for {len(z)} samples.")
            onehot = np.eye(self.num_classes, dtype="float32")[labels]
        out = []
        for i in range(0, len(z), batch_size):
            oh = None if onehot is None else onehot[i:i + batch_size]
            out.append(ops.convert_to_numpy(self._generate(z[i:i + batch_size], oh)))
        samples = np.concatenate(out)
        return np.clip((samples + 1.0) / 2.0, 0.0, 1.0) if self.rescale else samples

    def discriminate(self, x: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 512) -> np.ndarray:
        """``D(x)`` for data ``x`` in the data range ([0, 1] when ``rescale``): probabilities (scores for LSGAN).

        With ``pack`` = m > 1 there is one value per group of m consecutive samples (``len(x)`` must be a
        multiple of m).
        """
        if len(x) % self.pack:
            raise ValueError(f"A PacGAN judges groups of {self.pack} samples: give a multiple of {self.pack}, "
                             f"got {len(x)}.")
        batch_size = max(self.pack, batch_size - batch_size % self.pack)
        out = []
        for i in range(0, len(x), batch_size):
            xb = self.to_model_range(x[i:i + batch_size])
            oh = None if labels is None else self.one_hot(np.asarray(labels)[i:i + batch_size])
            out.append(ops.convert_to_numpy(self._prob(self._discriminate(xb, oh))))
        return np.concatenate(out).reshape(len(x) // self.pack)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(generator=keras.saving.serialize_keras_object(self.generator),
                      discriminator=keras.saving.serialize_keras_object(self.discriminator),
                      latent_dim=self.latent_dim, generator_loss=self.generator_loss, d_steps=self.d_steps,
                      num_classes=self.num_classes, label_smoothing=self.label_smoothing, replay=self.replay,
                      replay_share=self.replay_share, rescale=self.rescale, pack=self.pack, r1_gamma=self.r1_gamma,
                      seed=self.seed)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GAN:
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, **config)


def pack_samples(x, pack: int):
    """Group ``pack`` consecutive samples into one (PacGAN): ``(n, ..., c)`` to ``(n / pack, ..., pack * c)``.

    Group ``k`` holds samples ``k * pack`` to ``k * pack + pack - 1``, concatenated along the last axis (the
    features of 2-D points, the channels of images), so a group never mixes two batches.
    """
    if pack == 1:
        return x
    shape = tuple(x.shape[1:])
    if x.shape[0] is not None and x.shape[0] % pack:
        raise ValueError(f"Cannot pack {x.shape[0]} samples in groups of {pack}: give a multiple of {pack}.")
    grouped = ops.reshape(x, (-1, pack, *shape))  # (groups, pack, ..., c)
    grouped = ops.moveaxis(grouped, 1, -2)  # (groups, ..., pack, c)
    return ops.reshape(grouped, (-1, *shape[:-1], pack * shape[-1]))


def packed_shape(image_shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The discriminator's input shape for samples of ``image_shape`` packed in groups of ``pack``."""
    return (*image_shape[:-1], pack * image_shape[-1])


# ---------------------------------------------------------------------------------------------- builders
def _label_input(num_classes: int):
    return keras.Input((num_classes,), name="label")


def _noise_inputs(latent_dim: int, num_classes: int | None):
    """The generator's inputs; a conditional one multiplies a learned label embedding into the noise."""
    z_in = keras.Input((latent_dim,), name="z")
    if not num_classes:
        return z_in, z_in
    y_in = _label_input(num_classes)
    embedding = keras.layers.Dense(latent_dim, use_bias=False, name="label_embedding")(y_in)  # one row per class
    return [z_in, y_in], keras.layers.Multiply()([z_in, embedding])


@in_scope
def mlp_generator(latent_dim: int = 32, image_shape: tuple[int, ...] = (28, 28), hidden: tuple[int, ...] = (256, 256),
                  num_classes: int | None = None, output_activation: str = "tanh",
                  name: str = "mlp_generator") -> keras.Model:
    """A multilayer-perceptron generator: ``z`` through ``hidden`` (LeakyReLU 0.2) to ``image_shape``.

    ``output_activation`` is ``"tanh"`` for images and ``"linear"`` for 2-D points. With ``num_classes``
    a learned label embedding is multiplied into the noise and the inputs are ``[z, onehot]``.
    """
    inputs, h = _noise_inputs(latent_dim, num_classes)
    for units in hidden:
        h = keras.layers.Dense(units)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Dense(math.prod(image_shape), activation=output_activation, name="sample")(h)
    return keras.Model(inputs, keras.layers.Reshape(image_shape)(h), name=name)


@in_scope
def mlp_discriminator(image_shape: tuple[int, ...] = (28, 28), hidden: tuple[int, ...] = (256, 256),
                      num_classes: int | None = None, norm: str | None = None,
                      minibatch_discrimination: int | None = None, kernel_dim: int = 5,
                      minibatch_group: int | None = None, name: str = "mlp_discriminator") -> keras.Model:
    """A multilayer-perceptron discriminator (or WGAN critic): ``hidden`` (LeakyReLU 0.2) down to one score.

    ``norm="layer"`` puts layer normalisation before each activation (for WGAN critics, where batch
    norm is ruled out); ``None`` uses none. With ``minibatch_discrimination=B`` a
    :class:`~helpers.layers.MinibatchDiscrimination` layer with ``B`` kernels of size ``kernel_dim`` sits
    before the score (comparing samples within groups of ``minibatch_group``, or the whole batch when
    ``None``). With ``num_classes`` the one-hot label is concatenated to the flattened input.
    """
    if norm not in (None, "layer"):
        raise ValueError(f"norm is one of ('layer', None) for an MLP, got {norm!r}.")
    x_in = keras.Input(image_shape, name="image")
    h = keras.layers.Flatten()(x_in)
    d_inputs: Any = x_in
    if num_classes:
        y_in = _label_input(num_classes)
        d_inputs = [x_in, y_in]
        h = keras.layers.Concatenate()([h, y_in])
    for units in hidden:
        h = keras.layers.Dense(units)(h)
        if norm == "layer":
            h = keras.layers.LayerNormalization()(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    if minibatch_discrimination:
        h = MinibatchDiscrimination(minibatch_discrimination, kernel_dim, group_size=minibatch_group,
                                    name="minibatch_discrimination")(h)
    logit = keras.layers.Dense(1, name="logit")(h)
    return keras.Model(d_inputs, logit, name=name)


@in_scope
def mlp_gan(latent_dim: int = 32, image_shape: tuple[int, ...] = (28, 28), hidden: tuple[int, ...] = (256, 256),
            num_classes: int | None = None, output_activation: str = "tanh",
            minibatch_discrimination: int | None = None, kernel_dim: int = 5, minibatch_group: int | None = None,
            name: str = "mlp_gan", **gan_kwargs: Any) -> GAN:
    """A GAN of two multilayer perceptrons (LeakyReLU 0.2 hidden layers).

    The generator (:func:`mlp_generator`) maps ``z`` (of size ``latent_dim``) through ``hidden`` to
    ``image_shape`` with ``output_activation`` (``"tanh"`` for images, ``"linear"`` for 2-D points, which
    also turns off the GAN's [0, 1] rescaling); the discriminator (:func:`mlp_discriminator`) mirrors it
    (``hidden`` reversed) down to one logit, optionally with minibatch discrimination; with ``pack=m`` in
    the keyword arguments its input is m samples wide (:func:`packed_shape`). Other keyword arguments go to
    :class:`GAN`.
    """
    generator = mlp_generator(latent_dim, image_shape, hidden, num_classes, output_activation,
                              name=f"{name}_generator")
    d_shape = packed_shape(tuple(image_shape), int(gan_kwargs.get("pack", 1)))
    discriminator = mlp_discriminator(d_shape, tuple(reversed(hidden)), num_classes,
                                      minibatch_discrimination=minibatch_discrimination, kernel_dim=kernel_dim,
                                      minibatch_group=minibatch_group, name=f"{name}_discriminator")
    gan_kwargs.setdefault("rescale", output_activation == "tanh")
    return GAN(generator, discriminator, latent_dim, num_classes=num_classes, name=name, **gan_kwargs)


@in_scope
def dcgan_generator(latent_dim: int = 100, filters: tuple[int, int] = (64, 128), num_classes: int | None = None,
                    name: str = "dcgan_generator") -> keras.Model:
    """The DCGAN generator for 28x28x1 images (tanh output in [-1, 1]).

    ``Dense(7*7*f2)`` -> BN -> ReLU -> ``Conv2DTranspose(f1, 4, stride 2)`` -> BN -> ReLU ->
    ``Conv2DTranspose(1, 4, stride 2, tanh)``: no batch norm at the output. With ``num_classes`` a
    learned label embedding is multiplied into the noise and the inputs are ``[z, onehot]``.
    """
    f1, f2 = filters
    inputs, h = _noise_inputs(latent_dim, num_classes)
    h = keras.layers.Dense(7 * 7 * f2, use_bias=False)(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Reshape((7, 7, f2))(h)
    h = keras.layers.Conv2DTranspose(f1, 4, strides=2, padding="same", use_bias=False)(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU()(h)
    out = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", name="sample")(h)
    return keras.Model(inputs, out, name=name)


CRITIC_NORMS = ("batch", "layer", None)


@in_scope
def dcgan_discriminator(filters: tuple[int, int] = (64, 128), num_classes: int | None = None,
                        norm: str | None = "batch", image_shape: tuple[int, int, int] = (28, 28, 1),
                        minibatch_std: bool = False, projection: bool = False,
                        name: str = "dcgan_discriminator") -> keras.Model:
    """The DCGAN discriminator (or WGAN critic) for 28x28x1 images: one unbounded score per image.

    ``Conv2D(f1, 4, stride 2)`` -> LeakyReLU(0.2) (never normalised at the input) -> ``Conv2D(f2, 4,
    stride 2)`` -> ``norm`` -> LeakyReLU -> ``Dense(1)``. ``norm`` is ``"batch"`` (DCGAN), ``"layer"``
    (layer normalisation over each image's whole feature map, for WGAN-GP: batch norm would couple the
    examples of a batch, and the gradient penalty is defined per example) or ``None``. With
    ``num_classes`` the one-hot label enters as extra constant image planes and the inputs are
    ``[image, onehot]``. ``projection=True`` adds the projection term of Miyato and Koyama (2018): the
    score gains ``embed(y) . phi(x)``, the dot product of a learned class vector with the final
    features, so the label also judges what the network has seen. ``minibatch_std=True`` appends
    :class:`~helpers.layers.MinibatchStdDev`'s feature map (the spread of the batch) before the score.
    """
    if norm not in CRITIC_NORMS:
        raise ValueError(f"norm is one of {CRITIC_NORMS}, got {norm!r}.")
    if tuple(image_shape) != (28, 28, 1):
        raise ValueError(f"The DCGAN networks are laid out for 28x28x1 images, got {image_shape}.")
    f1, f2 = filters
    x_in = keras.Input(image_shape, name="image")
    h = x_in
    d_inputs: Any = x_in
    if num_classes:
        y_in = _label_input(num_classes)
        d_inputs = [x_in, y_in]
        planes = keras.layers.UpSampling2D(size=(28, 28))(keras.layers.Reshape((1, 1, num_classes))(y_in))
        h = keras.layers.Concatenate()([h, planes])
    h = keras.layers.Conv2D(f1, 4, strides=2, padding="same")(h)
    h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Conv2D(f2, 4, strides=2, padding="same", use_bias=norm is None)(h)
    if norm == "batch":
        h = keras.layers.BatchNormalization()(h)
    elif norm == "layer":
        h = keras.layers.LayerNormalization(axis=[1, 2, 3])(h)
    h = keras.layers.LeakyReLU(0.2)(h)
    if minibatch_std:
        h = MinibatchStdDev(name="minibatch_std")(h)
    features = keras.layers.Flatten()(h)
    score = keras.layers.Dense(1, name="logit")(features)
    if num_classes and projection:
        class_vector = keras.layers.Dense(features.shape[-1], use_bias=False, name="class_embedding")(d_inputs[1])
        score = keras.layers.Add(name="projected_logit")(
            [score, keras.layers.Dot(axes=1, name="projection")([features, class_vector])])
    return keras.Model(d_inputs, score, name=name)


@in_scope
def dcgan(latent_dim: int = 100, filters: tuple[int, int] = (64, 128), num_classes: int | None = None,
          image_shape: tuple[int, int, int] = (28, 28, 1), minibatch_std: bool = False, projection: bool = False,
          name: str = "dcgan", **gan_kwargs: Any) -> GAN:
    """A DCGAN for 28x28x1 images, following Radford et al.'s guidelines.

    :func:`dcgan_generator` and :func:`dcgan_discriminator` with batch norm: strided convolutions
    instead of pooling, batch norm everywhere except at the generator output and the discriminator
    input, ReLU in the generator, LeakyReLU(0.2) in the discriminator, tanh output. With
    ``num_classes`` a learned label embedding is multiplied into the noise, and the discriminator sees
    the one-hot label as extra constant image planes (and, with ``projection``, through a projection
    term); ``minibatch_std`` adds a minibatch standard-deviation feature to the discriminator. Other
    keyword arguments go to :class:`GAN`.
    """
    if tuple(image_shape) != (28, 28, 1):
        raise ValueError(f"dcgan is laid out for 28x28x1 images, got {image_shape}.")
    generator = dcgan_generator(latent_dim, filters, num_classes, name=f"{name}_generator")
    discriminator = dcgan_discriminator(filters, num_classes, norm="batch", minibatch_std=minibatch_std,
                                        projection=projection, name=f"{name}_discriminator")
    return GAN(generator, discriminator, latent_dim, num_classes=num_classes, name=name, **gan_kwargs)


# ---------------------------------------------------------------------------------------------- classic loop
_CLASSIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@in_scope
def _classic_models(gan: GAN):
    """The compiled discriminator copy and the frozen-discriminator combined model, made once per GAN."""
    if gan in _CLASSIC:
        return _CLASSIC[gan]
    if gan.d_optimizer is None or gan.g_optimizer is None:
        raise ValueError("Compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...).")
    if gan.pack > 1 or gan.r1_gamma or gan.replay:
        raise ValueError("The classic two-phase loop trains a plain GAN: no packing, R1 or replay (use fit).")
    generator, discriminator = gan.generator, gan.discriminator
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    # A functional view of the discriminator (same layers, same weights), so that compiling it leaves the
    # GAN's own discriminator uncompiled; fresh optimizers of the same kind, so the GAN's stay untouched.
    d_model = keras.Model(discriminator.inputs, discriminator.outputs, name="classic_discriminator")
    discriminator.trainable = True
    d_model.compile(optimizer=type(gan.d_optimizer).from_config(gan.d_optimizer.get_config()), loss=bce)
    discriminator.trainable = False  # frozen inside the combined model, as the classic texts do
    g_inputs = generator.inputs
    fake = generator(g_inputs if len(g_inputs) > 1 else g_inputs[0])
    logit = discriminator([fake, g_inputs[1]] if gan.num_classes else fake)
    combined = keras.Model(g_inputs if len(g_inputs) > 1 else g_inputs[0], logit, name="classic_combined")
    combined.compile(optimizer=type(gan.g_optimizer).from_config(gan.g_optimizer.get_config()), loss=bce)
    discriminator.trainable = True
    _CLASSIC[gan] = (d_model, combined)
    return d_model, combined


def two_phase_train_on_batch(gan: GAN, x_batch, labels=None, seed: int | None = None) -> dict[str, float]:
    """One step of the classic explicit GAN loop, kept for comparison with :meth:`GAN.train_step`.

    This is the version the classic texts show (Keras 2 era): phase 1, ``discriminator.train_on_batch``
    on a batch of real images labelled 1 followed by as many fakes labelled 0; phase 2, a *combined*
    model ``generator -> discriminator`` whose discriminator is frozen (``trainable = False`` when the
    combined model was compiled) is trained with ``train_on_batch(z, ones)``, i.e. the non-saturating
    loss, so that only the generator moves. It uses the GAN's networks and fresh copies of its two
    optimizers (kept for later calls), so the GAN's own training state is left alone.

    Differences from ``train_step``: two separately compiled models and two ``train_on_batch`` calls
    (each a host round trip) per step, plain binary cross-entropy only, and the frozen discriminator
    runs its batch normalisation in inference mode in phase 2. ``train_step`` does both phases in one
    compiled function, with ``fit``'s callbacks, logs and checkpoints. ``x_batch`` is in the data range
    ([0, 1] when ``gan.rescale``); a conditional GAN needs ``labels``. Returns ``{"d_loss", "g_loss"}``;
    this ``d_loss`` is the cross-entropy averaged over the 2n real and fake examples, half of what
    :func:`helpers.losses.discriminator_loss` (the sum of the two halves' means) reports.
    """
    d_model, combined = _classic_models(gan)
    x = np.asarray(gan.to_model_range(np.asarray(x_batch)))
    n = len(x)
    z = np.random.default_rng(seed).normal(size=(n, gan.latent_dim)).astype("float32")
    onehot = None
    if gan.num_classes:
        if labels is None:
            raise ValueError("A conditional GAN needs the labels of the batch.")
        onehot = np.eye(gan.num_classes, dtype="float32")[np.asarray(labels).astype(int).reshape(-1)]
    fake = ops.convert_to_numpy(gan._generate(z, onehot))
    both = np.concatenate([x, fake])
    targets = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype("float32")
    try:
        gan.discriminator.trainable = True  # phase 1: the discriminator learns
        d_loss = d_model.train_on_batch(both if onehot is None else [both, np.concatenate([onehot, onehot])],
                                        targets)
        gan.discriminator.trainable = False  # phase 2: only the generator learns, through the frozen D
        g_loss = combined.train_on_batch(z if onehot is None else [z, onehot], np.ones((n, 1), "float32"))
    finally:
        gan.discriminator.trainable = True
    return {"d_loss": float(np.asarray(d_loss).reshape(-1)[0]), "g_loss": float(np.asarray(g_loss).reshape(-1)[0])}
