"""Neural style transfer: features from VGG19, optimising an image (Gatys et al.), and a fast feed-forward
transformation network trained for one style (Johnson et al.).

Images are float32 RGB in [0, 1] throughout; the extractor applies VGG's own preprocessing inside.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import config, losses
from helpers.distribute import Distributed, in_scope
from helpers.layers import instance_normalization
from helpers.models.common import apply_gradients

STYLE_LAYERS: tuple[str, ...] = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
"""Gatys et al.'s style layers: the first convolution of each of VGG19's five blocks."""
CONTENT_LAYERS: tuple[str, ...] = ("block4_conv2",)
"""Gatys et al.'s content layer."""


@keras.saving.register_keras_serializable(package="genbook")
class VGGPreprocess(keras.layers.Layer):
    """Images in [0, 1] to VGG's input: RGB to BGR, scaled to [0, 255], ImageNet channel means subtracted."""

    MEAN_BGR = (103.939, 116.779, 123.68)

    def call(self, images):
        bgr = ops.flip(ops.cast(images, "float32"), axis=-1) * 255.0
        return bgr - ops.convert_to_tensor(self.MEAN_BGR, dtype="float32")


def vgg19_weights(weights: str | None = "auto") -> str | None:
    """``"imagenet"`` when it can be downloaded, ``None`` (random weights) offline and in the preflight (the same
    network, a stand-in for the download); ``"auto"`` decides."""
    if weights != "auto":
        return weights
    return None if config.offline() or config.preflight() else "imagenet"


@in_scope
def feature_extractor(style_layers: Sequence[str] = STYLE_LAYERS, content_layers: Sequence[str] = CONTENT_LAYERS,
                      weights: str | None = "auto", verbose: bool = True) -> keras.Model:
    """A frozen VGG19 that maps images in [0, 1] to ``[*style features, *content features]``.

    ``weights="auto"`` uses the ImageNet weights where they can be downloaded and falls back to random
    weights (``weights=None``) offline or when the download fails, saying so: a random network still
    gives texture statistics, but its features do not recognise objects, so content is kept only as
    local edges and colours. The model's ``vgg_weights`` attribute tells which weights it has. Only the
    layers up to the deepest one needed are kept.
    """
    wanted = [*style_layers, *content_layers]
    chosen = vgg19_weights(weights)
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=chosen)
    except Exception as err:  # noqa: BLE001 - any download failure falls back to random weights
        if chosen is None:
            raise
        print(f"Could not load the ImageNet weights of VGG19 ({type(err).__name__}: {err}); using random weights.")
        chosen = None
        vgg = keras.applications.VGG19(include_top=False, weights=None)
    names = [layer.name for layer in vgg.layers]
    missing = [n for n in wanted if n not in names]
    if missing:
        raise ValueError(f"VGG19 has no layers {missing}; its convolutions are named like 'block3_conv1'.")
    vgg.trainable = False
    inputs = keras.Input((None, None, 3), name="image")
    body = keras.Model(vgg.inputs, [vgg.get_layer(n).output for n in wanted], name="vgg19_features")
    extractor = keras.Model(inputs, body(VGGPreprocess(name="vgg_preprocess")(inputs)), name="feature_extractor")
    extractor.trainable = False
    extractor.vgg_weights = chosen
    extractor.style_layers, extractor.content_layers = tuple(style_layers), tuple(content_layers)
    if verbose:
        if chosen is None:
            print("VGG19 with random weights (weights=None; no download here): the results show texture "
                  "statistics only, since random features recognise no objects.")
        else:
            print(f"VGG19 with {chosen} weights")
    return extractor


def split_features(extractor: keras.Model, images) -> tuple[list, list]:
    """``(style features, content features)`` of ``images`` (a batch in [0, 1])."""
    outputs = extractor(images, training=False)
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    n = len(extractor.style_layers)
    return list(outputs[:n]), list(outputs[n:])


def style_targets(extractor: keras.Model, style_image: np.ndarray) -> list:
    """The Gram matrices of one style image ``(H, W, 3)`` at the extractor's style layers."""
    style, _ = split_features(extractor, np.asarray(style_image, "float32")[None])
    return [losses.gram_matrix(f) for f in style]


@dataclass
class StyleTransferResult:
    """What :func:`transfer_style` returns: the image, the losses per step, and snapshots along the way."""

    image: np.ndarray
    history: dict[str, list[float]]
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0


def transfer_style(extractor: keras.Model, content_image: np.ndarray, style_image: np.ndarray, steps: int = 200,
                   style_weight: float = 10.0, content_weight: float = 1.0, tv_weight: float = 10.0,
                   learning_rate: float = 0.02, every: int | None = None, init: str = "content",
                   seed: int = 0) -> StyleTransferResult:
    """Optimise an image so that its content matches ``content_image`` and its style ``style_image``.

    Minimises ``content_weight * L_content + style_weight * L_style + tv_weight * L_tv`` (see
    :func:`helpers.losses.content_loss`, :func:`~helpers.losses.style_loss` and
    :func:`~helpers.losses.total_variation_loss`) over the pixels themselves with Adam, keeping them in
    [0, 1]. The image starts as the content image (``init="content"``) or as uniform noise (``"noise"``).
    The history holds every step's weighted total and the three unweighted losses, measured before the
    step (``history["style"][0]`` is the starting image's style loss); ``every`` keeps a snapshot of the
    image every that many steps (and the last).
    """
    if init not in ("content", "noise"):
        raise ValueError(f"init is 'content' or 'noise', got {init!r}.")
    content_image = np.asarray(content_image, "float32")
    grams = style_targets(extractor, style_image)
    _, content_targets = split_features(extractor, content_image[None])
    start = content_image if init == "content" else np.random.default_rng(seed).random(content_image.shape)
    image = tf.Variable(np.asarray(start, "float32")[None])
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            style, content = split_features(extractor, image)
            s = losses.style_loss(style, grams)
            c = ops.mean(ops.stack([losses.content_loss(f, t) for f, t in zip(content, content_targets, strict=True)]))
            tv = losses.total_variation_loss(image)
            total = style_weight * s + content_weight * c + tv_weight * tv
        optimizer.apply_gradients([(tape.gradient(total, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return total, s, c, tv

    history: dict[str, list[float]] = {"total": [], "style": [], "content": [], "tv": []}
    snapshots = {0: image.numpy()[0].copy()}
    began = time.perf_counter()
    for i in range(steps):
        for key, value in zip(history, step(), strict=True):
            history[key].append(float(value))
        if every and ((i + 1) % every == 0 or i + 1 == steps):
            snapshots[i + 1] = image.numpy()[0].copy()
    return StyleTransferResult(image.numpy()[0], history, snapshots, time.perf_counter() - began)


# ---------------------------------------------------------------------------------------------- fast transfer
def _residual_block(h, filters: int, name: str):
    r = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv1")(h)
    r = keras.layers.ReLU(name=f"{name}_act")(instance_normalization(f"{name}_norm1")(r))
    r = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(r)
    r = instance_normalization(f"{name}_norm2")(r)
    return keras.layers.Add(name=f"{name}_add")([h, r])


@in_scope
def transformation_network(filters: int = 16, residual_blocks: int = 3, name: str = "style_net") -> keras.Model:
    """Johnson et al.'s image transformation network, slimmed: images in [0, 1] of any size divisible by 4.

    A 9x9 convolution, two stride-2 convolutions (doubling the filters), ``residual_blocks`` residual
    blocks, two upsampling steps (nearest-neighbour upsampling then a 3x3 convolution, which avoids the
    checkerboard artefacts of transposed convolutions) and a 9x9 convolution to RGB with a sigmoid.
    Instance normalisation throughout (Ulyanov et al.), as it matters for stylisation quality.
    """
    inputs = keras.Input((None, None, 3), name="image")
    h = inputs
    for i, (width, kernel, stride) in enumerate([(filters, 9, 1), (2 * filters, 3, 2), (4 * filters, 3, 2)]):
        h = keras.layers.Conv2D(width, kernel, strides=stride, padding="same", use_bias=False, name=f"down{i}_conv")(h)
        h = keras.layers.ReLU(name=f"down{i}_act")(instance_normalization(f"down{i}_norm")(h))
    for i in range(residual_blocks):
        h = _residual_block(h, 4 * filters, f"res{i + 1}")
    for i, width in enumerate([2 * filters, filters]):
        h = keras.layers.UpSampling2D(2, name=f"up{i}_resize")(h)
        h = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"up{i}_conv")(h)
        h = keras.layers.ReLU(name=f"up{i}_act")(instance_normalization(f"up{i}_norm")(h))
    outputs = keras.layers.Conv2D(3, 9, padding="same", activation="sigmoid", name="stylised")(h)
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="genbook")
class FastStyleTransfer(Distributed, keras.Model):
    """A transformation network trained with perceptual losses for one style (Johnson et al. 2016).

    ``fit`` on batches of content images in [0, 1]. Each ``train_step`` stylises the batch and minimises
    ``content_weight * L_content(extractor(y), extractor(x)) + style_weight * L_style(extractor(y), A)
    + tv_weight * L_tv(y)``, with ``A`` the style image's Gram matrices (kept as non-trainable weights, so
    they are saved with the model); only the transformation network learns, the extractor is frozen.
    Trackers: ``loss``, ``style_loss``, ``content_loss`` and ``tv_loss`` (unweighted). Calling the model
    stylises a batch in one forward pass.
    """

    def __init__(self, transformer: keras.Model, extractor: keras.Model, style_image: np.ndarray | None = None,
                 style_weight: float = 10.0, content_weight: float = 1.0, tv_weight: float = 10.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transformer = transformer
        self.extractor = extractor
        self.extractor.trainable = False
        self.style_weight, self.content_weight, self.tv_weight = float(style_weight), float(content_weight), float(
            tv_weight)
        n_style = len(extractor.style_layers)
        widths = [int(t.shape[-1]) for t in extractor.outputs[:n_style]]
        self.style_grams = [self.add_weight(name=f"style_gram_{i}", shape=(1, c, c), initializer="zeros",
                                            trainable=False) for i, c in enumerate(widths)]
        if style_image is not None:
            for var, gram in zip(self.style_grams, style_targets(extractor, style_image), strict=True):
                var.assign(gram)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "style_loss", "content_loss", "tv_loss")}
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def call(self, images, training: bool = False):
        return self.transformer(images, training=training)

    def train_step(self, data):
        x = ops.cast(data[0] if isinstance(data, tuple | list) else data, "float32")
        _, content_targets = split_features(self.extractor, x)
        with tf.GradientTape() as tape:
            y = self.transformer(x, training=True)
            style, content = split_features(self.extractor, y)
            s = losses.style_loss(style, self.style_grams)
            c = ops.mean(ops.stack([losses.content_loss(f, t) for f, t in zip(content, content_targets, strict=True)]))
            tv = losses.total_variation_loss(y)
            loss = self.style_weight * s + self.content_weight * c + self.tv_weight * tv
        weights = self.transformer.trainable_weights
        apply_gradients(self.optimizer, tape, loss, weights)
        for name, value in (("loss", loss), ("style_loss", s), ("content_loss", c), ("tv_loss", tv)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def stylise(self, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
        """Stylised copies of ``images`` (``(N, H, W, 3)`` in [0, 1], ``H`` and ``W`` divisible by 4)."""
        images = np.asarray(images, "float32")
        if images.ndim != 4 or images.shape[1] % 4 or images.shape[2] % 4:
            raise ValueError(f"Expected a batch (N, H, W, 3) with H and W divisible by 4, got {images.shape}.")
        return np.concatenate([ops.convert_to_numpy(self.transformer(images[i:i + batch_size], training=False))
                               for i in range(0, len(images), batch_size)])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(transformer=keras.saving.serialize_keras_object(self.transformer),
                      style_layers=list(self.extractor.style_layers),
                      content_layers=list(self.extractor.content_layers),
                      style_weight=self.style_weight, content_weight=self.content_weight, tv_weight=self.tv_weight)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FastStyleTransfer:
        """Rebuild from :meth:`get_config`: the extractor is made anew with random VGG19 weights, since the
        saved file (``model.save(...keras)``) restores every weight, the extractor's and the Gram targets' included."""
        config = dict(config)
        transformer = keras.saving.deserialize_keras_object(config.pop("transformer"))
        extractor = feature_extractor(config.pop("style_layers"), config.pop("content_layers"), weights=None,
                                      verbose=False)
        return cls(transformer, extractor, **config)


def random_crops(images: Sequence[np.ndarray], n: int, size: int, seed: int = 0) -> np.ndarray:
    """``n`` random ``size`` x ``size`` crops (with random horizontal flips) of the given images, in turn."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size, 3), dtype="float32")
    for i in range(n):
        img = images[i % len(images)]
        h, w = img.shape[:2]
        if h < size or w < size:
            raise ValueError(f"Image {i % len(images)} ({h}x{w}) is smaller than the crop size {size}.")
        top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        crop = img[top:top + size, left:left + size]
        out[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return out
