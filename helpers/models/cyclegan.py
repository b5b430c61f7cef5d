"""CycleGAN: two generators and two discriminators for unpaired image-to-image translation.

The generators are U-Nets with instance normalisation, the discriminators PatchGANs that score
overlapping patches; the adversarial loss is least squares (LSGAN), and an image pool of past fakes
feeds the discriminators (Zhu et al. 2017, following Shrivastava et al. 2017). Data in [0, 1], like every
data set of the book; the networks work in [-1, 1].
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import losses
from helpers.distribute import Distributed, ReplicaSeedGenerator, in_scope
from helpers.layers import instance_normalization
from helpers.models.common import Network, apply_gradients

SUPPORTED_SIZES: tuple[int, ...] = (16, 32, 64, 128, 256)
"""Image sizes the U-Net generator accepts (square images; it halves them down to 4x4)."""


UPSAMPLING: tuple[str, ...] = ("resize", "transpose")
"""How the U-Net's decoder doubles the size: resize-then-convolve (the default) or a transposed convolution."""


def _check_size(image_size: int) -> None:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"The U-Net generator takes square images of size {', '.join(map(str, SUPPORTED_SIZES))} "
                         f"pixels (it halves them down to 4x4), got {image_size}. Resize the images first.")


def up_block(h, filters: int, upsampling: str = "resize", name: str = "up"):
    """Double the height and width of ``h`` and map it to ``filters`` channels (no bias, no activation).

    ``"resize"``: nearest-neighbour upsampling, then a 3x3 convolution. Every output pixel then sees the
    same number of input pixels, so the block cannot print the checkerboard of uneven overlap that a
    stride-2 transposed convolution with a 4x4 kernel tends to leave early in training (Odena et al. 2016,
    "Deconvolution and checkerboard artifacts"). ``"transpose"``: that 4x4 transposed convolution.
    """
    if upsampling not in UPSAMPLING:
        raise ValueError(f"upsampling is one of {UPSAMPLING}, got {upsampling!r}.")
    if upsampling == "transpose":
        return keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                                            name=f"{name}_conv")(h)
    h = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(h)
    return keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(h)


@in_scope
def unet_generator(image_size: int = 32, channels: int = 3, filters: int = 32, max_filters: int = 256,
                   upsampling: str = "resize", name: str = "unet_generator") -> keras.Model:
    """A U-Net translator from ``(image_size, image_size, channels)`` images in [-1, 1] to the same shape.

    A stride-1 stem convolution, then ``log2(image_size) - 2`` encoder blocks (4x4 convolution with stride 2,
    instance normalisation, LeakyReLU 0.2; the filters double from ``filters`` up to ``max_filters``) down
    to a 4x4 bottleneck; the decoder mirrors them with :func:`up_block` (resize-then-convolve, or with
    ``upsampling="transpose"`` a transposed convolution), instance normalisation and ReLU, concatenating
    each encoder block's output of the same size (the skip connections, the stem's included), and ends
    in a 3x3 convolution with ``tanh``. The skips let fine detail, which translation keeps, bypass the
    bottleneck. Raises ``ValueError`` for a size not in :data:`SUPPORTED_SIZES`.
    """
    _check_size(image_size)
    depth = int(np.log2(image_size)) - 2
    inputs = keras.Input((image_size, image_size, channels), name="image")
    h = keras.layers.Conv2D(filters, 3, padding="same", name="stem_conv")(inputs)
    h = keras.layers.LeakyReLU(0.2, name="stem_act")(instance_normalization("stem_norm")(h))
    skips = [h]
    widths = [min(filters * 2 ** (i + 1), max_filters) for i in range(depth)]
    for i, width in enumerate(widths):
        h = keras.layers.Conv2D(width, 4, strides=2, padding="same", use_bias=False, name=f"down{i + 1}_conv")(h)
        h = instance_normalization(f"down{i + 1}_norm")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"down{i + 1}_act")(h)
        skips.append(h)
    skips.pop()  # the bottleneck has no partner on the way up
    for i, width in enumerate(reversed([filters, *widths[:-1]])):
        h = up_block(h, width, upsampling, name=f"up{i + 1}")
        h = instance_normalization(f"up{i + 1}_norm")(h)
        h = keras.layers.ReLU(name=f"up{i + 1}_act")(h)
        h = keras.layers.Concatenate(name=f"up{i + 1}_skip")([h, skips.pop()])
    outputs = keras.layers.Conv2D(channels, 3, padding="same", activation="tanh", name="translated")(h)
    return Network(inputs, outputs, name=name)


@in_scope
def patch_discriminator(image_size: int = 32, channels: int = 3, filters: int = 64, n_layers: int = 3,
                        name: str = "patch_discriminator") -> keras.Model:
    """A PatchGAN discriminator: one least-squares score per overlapping patch, not one per image.

    ``n_layers`` 4x4 convolutions with stride 2 (LeakyReLU 0.2; instance normalisation on all but the
    first; filters doubling from ``filters``), one more with stride 1, then a 4x4 convolution to one
    channel. Each output score sees a receptive field of a few dozen pixels, so the discriminator judges
    local texture and leaves the global layout to the cycle loss.
    """
    if image_size // 2**n_layers < 2:
        raise ValueError(f"{n_layers} stride-2 layers leave less than 2x2 patches of a {image_size}-pixel image; "
                         "use fewer layers.")
    inputs = keras.Input((image_size, image_size, channels), name="image")
    h = inputs
    for i in range(n_layers):
        h = keras.layers.Conv2D(filters * 2**i, 4, strides=2, padding="same", use_bias=i == 0,
                                name=f"conv{i + 1}")(h)
        if i:
            h = instance_normalization(f"norm{i + 1}")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"act{i + 1}")(h)
    h = keras.layers.Conv2D(filters * 2**n_layers, 4, padding="same", use_bias=False, name="conv_last")(h)
    h = keras.layers.LeakyReLU(0.2, name="act_last")(instance_normalization("norm_last")(h))
    scores = keras.layers.Conv2D(1, 4, padding="same", name="patch_scores")(h)
    return keras.Model(inputs, scores, name=name)


@keras.saving.register_keras_serializable(package="genbook")
class ImagePool(keras.layers.Layer):
    """A pool of past generated images for the discriminator (experience replay; Shrivastava et al. 2017).

    Call it on a batch of fresh fakes; it returns a batch of the same shape. Until ``size`` images have been
    stored, every image is stored and returned unchanged. Once the pool is full, each image of the batch is,
    with probability ``probability``, swapped for a randomly chosen stored image (which the new image
    replaces in the pool), and otherwise returned unchanged. So every returned image is one the pool was
    given, now or earlier. The batch must not be larger than the pool. The pool's contents are weights
    (non-trainable), so they are saved with the model and a resumed run continues with the same pool.
    """

    def __init__(self, size: int = 50, probability: float = 0.5, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if size < 1:
            raise ValueError(f"The pool holds at least one image, got size={size}.")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability is in [0, 1], got {probability}.")
        self.size = int(size)
        self.probability = float(probability)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)

    def build(self, input_shape) -> None:
        self.images = self.add_weight(name="images", shape=(self.size, *input_shape[1:]), initializer="zeros",
                                      trainable=False)
        self.count = self.add_weight(name="count", shape=(), initializer="zeros", dtype="int32", trainable=False)

    def call(self, images):
        batch_static = images.shape[0]
        if batch_static is not None and batch_static > self.size:
            raise ValueError(f"A batch of {batch_static} images is larger than the image pool ({self.size}).")
        images = ops.cast(images, self.images.dtype)
        n = ops.shape(images)[0]
        full = self.count >= self.size
        # Filling: image i goes to slot count + i (if that is inside the pool) and comes back unchanged.
        fill_slots = self.count + ops.arange(n, dtype="int32")
        # Full: distinct random slots, and a coin per image decides whether it is swapped.
        swap_slots = keras.random.shuffle(ops.arange(self.size, dtype="int32"), seed=self.seed_generator)
        swap_slots = ops.take(swap_slots, ops.arange(n, dtype="int32") % self.size)
        coins = keras.random.uniform((n,), seed=self.seed_generator) < self.probability
        slots = ops.where(full, swap_slots, ops.minimum(fill_slots, self.size - 1))
        swap = ops.logical_and(full, coins)
        write = ops.where(full, coins, fill_slots < self.size)
        stored = ops.take(self.images, slots, axis=0)
        shape = (-1,) + (1,) * (len(images.shape) - 1)
        returned = ops.where(ops.reshape(swap, shape), stored, images)
        indices = tf.boolean_mask(slots, write)[:, None]
        self.images.assign(tf.tensor_scatter_nd_update(self.images, indices,
                                                       tf.boolean_mask(ops.stop_gradient(images), write)))
        self.count.assign(ops.minimum(self.count + ops.cast(n, "int32"), self.size))
        return returned

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "probability": self.probability, "seed": self.seed}


@keras.saving.register_keras_serializable(package="genbook")
class CycleGAN(Distributed, keras.Model):
    """CycleGAN trained with ``fit`` on batches of unpaired images ``(a, b)`` in [0, 1].

    ``generator_ab`` (called G in the chapter) translates domain A to B, ``generator_ba`` (F) translates
    back; ``discriminator_a`` and ``discriminator_b`` score patches of each domain. Each ``train_step``:

    1. generators: minimise ``L_adv(G) + L_adv(F) + cycle_weight * (|F(G(a)) - a| + |G(F(b)) - b|)
       + identity_weight * (|G(b) - b| + |F(a) - a|)``, with the least-squares adversarial loss and mean
       absolute errors, updating both generators (one optimizer);
    2. discriminators: the least-squares loss on real images and on fakes passed through an
       :class:`ImagePool` per domain, updating both discriminators (one optimizer).

    ``identity_weight`` defaults to half the cycle weight, as in the paper. Trackers: ``g_loss`` (the
    generators' total), ``adv_loss``, ``cycle_loss`` and ``identity_loss`` (the unweighted sums of both
    directions' L1 terms) and ``d_loss``.
    """

    def __init__(self, generator_ab: keras.Model, generator_ba: keras.Model, discriminator_a: keras.Model,
                 discriminator_b: keras.Model, cycle_weight: float = 10.0, identity_weight: float | None = None,
                 pool_size: int = 50, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = 0.5 * self.cycle_weight if identity_weight is None else float(identity_weight)
        self.pool_size = int(pool_size)
        self.seed = seed
        self.pool_a = ImagePool(self.pool_size, seed=None if seed is None else seed + 1, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, seed=None if seed is None else seed + 2, name="pool_b")
        image_shape = tuple(generator_ab.inputs[0].shape)
        self.pool_a.build(image_shape)
        self.pool_b.build(image_shape)
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("g_loss", "adv_loss", "cycle_loss", "identity_loss", "d_loss")}
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def compile(self, g_optimizer: keras.optimizers.Optimizer | None = None,
                d_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """One optimizer for both generators, one for both discriminators (Adam(2e-4, beta_1=0.5) by default)."""
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

    def _generator_weights(self) -> list:
        return self.generator_ab.trainable_weights + self.generator_ba.trainable_weights

    def _discriminator_weights(self) -> list:
        return self.discriminator_a.trainable_weights + self.discriminator_b.trainable_weights

    def build_optimizers(self) -> None:
        """Create both optimizers' variables, so that a checkpoint restores their state (``fit_or_load``)."""
        if self.g_optimizer is None or self.d_optimizer is None:
            raise ValueError("Compile the CycleGAN first: cyclegan.compile(g_optimizer=..., d_optimizer=...).")
        if not self.g_optimizer.built:
            self.g_optimizer.build(self._generator_weights())
        if not self.d_optimizer.built:
            self.d_optimizer.build(self._discriminator_weights())

    def call(self, inputs, training: bool = False):
        """``G(a)``: the A-to-B translation of images in the networks' range [-1, 1]."""
        return self.generator_ab(inputs, training=training)

    @staticmethod
    def _unpack(data):
        if isinstance(data, tuple | list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, tuple | list) or len(data) != 2:
            raise ValueError("CycleGAN trains on batches (images_a, images_b) of the two domains.")
        a, b = data
        return ops.cast(a, "float32") * 2.0 - 1.0, ops.cast(b, "float32") * 2.0 - 1.0

    def train_step(self, data):
        if self.g_optimizer is None or self.d_optimizer is None:
            raise ValueError("Compile the CycleGAN first: cyclegan.compile(g_optimizer=..., d_optimizer=...).")
        real_a, real_b = self._unpack(data)
        g_ab, g_ba, d_a, d_b = self.generator_ab, self.generator_ba, self.discriminator_a, self.discriminator_b
        with tf.GradientTape() as tape:
            fake_b = g_ab(real_a, training=True)
            fake_a = g_ba(real_b, training=True)
            cycle = (losses.cycle_consistency_loss(real_a, g_ba(fake_b, training=True))
                     + losses.cycle_consistency_loss(real_b, g_ab(fake_a, training=True)))
            identity = (losses.identity_loss(real_b, g_ab(real_b, training=True))
                        + losses.identity_loss(real_a, g_ba(real_a, training=True)))
            adv = (losses.generator_loss(d_b(fake_b, training=True), "least_squares")
                   + losses.generator_loss(d_a(fake_a, training=True), "least_squares"))
            g_loss = adv + self.cycle_weight * cycle + self.identity_weight * identity
        weights = self._generator_weights()
        apply_gradients(self.g_optimizer, tape, g_loss, weights)

        pooled_a = self.pool_a(ops.stop_gradient(fake_a))
        pooled_b = self.pool_b(ops.stop_gradient(fake_b))
        with tf.GradientTape() as tape:
            d_loss = (losses.least_squares_discriminator_loss(d_a(real_a, training=True), d_a(pooled_a, training=True))
                      + losses.least_squares_discriminator_loss(d_b(real_b, training=True),
                                                                d_b(pooled_b, training=True)))
        weights = self._discriminator_weights()
        apply_gradients(self.d_optimizer, tape, d_loss, weights)

        for name, value in (("g_loss", g_loss), ("adv_loss", adv), ("cycle_loss", cycle),
                            ("identity_loss", identity), ("d_loss", d_loss)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # ------------------------------------------------------------------ inference
    def translate(self, images: np.ndarray, direction: str = "ab", batch_size: int = 256) -> np.ndarray:
        """Translate images in [0, 1] from A to B (``direction="ab"``) or B to A (``"ba"``); NumPy in [0, 1]."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction is 'ab' (A to B) or 'ba' (B to A), got {direction!r}.")
        net = self.generator_ab if direction == "ab" else self.generator_ba
        images = np.asarray(images, dtype="float32")
        out = [ops.convert_to_numpy(net(images[i:i + batch_size] * 2.0 - 1.0, training=False))
               for i in range(0, len(images), batch_size)]
        return np.clip((np.concatenate(out) + 1.0) / 2.0, 0.0, 1.0)

    def round_trip(self, images: np.ndarray, direction: str = "ab") -> tuple[np.ndarray, np.ndarray]:
        """``(translated, reconstructed)``: ``G(a)``, ``F(G(a))`` for ``"ab"``; ``F(b)``, ``G(F(b))`` for ``"ba"``."""
        translated = self.translate(images, direction)
        return translated, self.translate(translated, direction[::-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({key: keras.saving.serialize_keras_object(getattr(self, key))
                       for key in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")})
        config.update(cycle_weight=self.cycle_weight, identity_weight=self.identity_weight,
                      pool_size=self.pool_size, seed=self.seed)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CycleGAN:
        config = dict(config)
        nets = [keras.saving.deserialize_keras_object(config.pop(key))
                for key in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")]
        return cls(*nets, **config)


@in_scope
def cyclegan(image_size: int = 32, channels: int = 3, g_filters: int = 32, d_filters: int = 64,
             d_layers: int = 3, upsampling: str = "resize", name: str = "cyclegan", **kwargs: Any) -> CycleGAN:
    """A CycleGAN of two :func:`unet_generator` and two :func:`patch_discriminator` networks.

    ``upsampling`` is the generators' (see :func:`up_block`).
    Other keyword arguments (``cycle_weight``, ``identity_weight``, ``pool_size``, ``seed``) go to
    :class:`CycleGAN`.
    """
    return CycleGAN(unet_generator(image_size, channels, g_filters, upsampling=upsampling, name=f"{name}_g_ab"),
                    unet_generator(image_size, channels, g_filters, upsampling=upsampling, name=f"{name}_g_ba"),
                    patch_discriminator(image_size, channels, d_filters, d_layers, name=f"{name}_d_a"),
                    patch_discriminator(image_size, channels, d_filters, d_layers, name=f"{name}_d_b"),
                    name=name, **kwargs)
