"""Every model family under ``tf.distribute.MirroredStrategy`` on two logical CPU devices (tests/conftest.py).

For each family, one training step on two replicas must leave the same weights as one step on one device on
the same global batch with the same noise. The noise is made deterministic for that comparison
(:func:`_fake_random`: a smooth function of each sample's position in the global batch), since the real
seed generators give each replica its own stream, which the last tests check. Counters and moving averages
must advance once per step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import config, distribute
from helpers.models.autoencoders import dense_autoencoder
from helpers.models.cyclegan import cyclegan
from helpers.models.gan import mlp_gan
from helpers.models.growing import KarrasGAN
from helpers.models.progan import ProGAN
from helpers.models.stylegan import StyleGAN
from helpers.models.vae import dense_vae
from helpers.models.wgan import wgan

BATCH = 8  # the global batch: 4 images per replica


@pytest.fixture(scope="module")
def mirrored():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) < 2:
        pytest.skip("needs two logical CPU devices (tests/conftest.py splits the CPU before TensorFlow starts)")
    return distribute.mirrored(devices[:2])  # one per process: two would share their collectives' keys


def _fake_random(perm: np.ndarray | None = None):
    """Stand-ins for ``keras.random.normal / uniform / randint``: deterministic, batch-leading draws.

    Row ``j`` of a draw on replica ``r`` (``n`` rows per replica) gets global row ``r n + j``; on one device
    row ``p`` gets global row ``perm[p]``. Each draw advances its seed generator as the real ones do and
    depends on the generator's state (without the replica offset), so the two runs draw the same numbers
    for the same sample, and successive draws differ.
    """

    def values(shape, seed):
        state = keras.random.SeedGenerator.next(seed) if isinstance(seed, keras.random.SeedGenerator) else (
            tf.constant([0 if seed is None else seed, 0]))
        k = 0.37 * tf.cast(state[0] % 1000, tf.float32) + 1.3 * tf.cast(state[1], tf.float32)
        index = distribute.replica_index()
        shape = tf.stack([tf.cast(s, tf.int32) for s in shape]) if isinstance(shape, tuple | list) else shape
        rows, size = shape[0], tf.reduce_prod(shape[1:])
        row = tf.range(rows)
        if perm is not None:
            row = tf.gather(tf.constant(perm, tf.int32), row)
        global_row = row + tf.cast(index, tf.int32) * rows
        flat = tf.cast(global_row[:, None] * size + tf.range(size)[None, :], tf.float32)
        return tf.reshape(tf.sin(0.7 * flat + k + 0.1), shape)

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return tf.cast(mean + stddev * 1.5 * values(shape, seed), dtype or "float32")

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        unit = (values(shape, seed) + 1.0) * 0.4999
        return tf.cast(minval + (maxval - minval) * unit, dtype or "float32")

    def randint(shape, minval, maxval, dtype="int32", seed=None):
        unit = (values(shape, seed) + 1.0) * 0.4999
        low = tf.cast(minval, tf.float32)
        return tf.cast(tf.floor(low + (tf.cast(maxval, tf.float32) - low) * unit), dtype)

    return normal, uniform, randint


def _one_step(build: Callable[[], keras.Model], data, strategy=None, perm=None, monkeypatch=None):
    """Build (seed 0), compile and train one step of ``BATCH`` images; return the model.

    On one device the growing GANs take the R1 penalty into the critic's step, as they do on several
    (``KarrasGAN.joint_r1``), so that the two runs do the same arithmetic.
    """
    if strategy is None:
        monkeypatch.setattr(KarrasGAN, "joint_r1", property(lambda self: True))
    else:
        monkeypatch.undo()
    normal, uniform, randint = _fake_random(perm)
    monkeypatch.setattr(keras.random, "normal", normal)
    monkeypatch.setattr(keras.random, "uniform", uniform)
    monkeypatch.setattr(keras.random, "randint", randint)
    config.set_seed(0)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = build()
    model.initial = _trained(model)
    if isinstance(data, tuple) and len(data) == 2 and isinstance(model, keras.Model) and hasattr(model, "pool_a"):
        dataset = tf.data.Dataset.from_tensor_slices(data).batch(BATCH)
        model.fit(dataset, epochs=1, verbose=0)
    elif isinstance(data, tuple):
        model.fit(*data, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    else:
        model.fit(data, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model


def _trained(model) -> list[np.ndarray]:
    return [np.asarray(v.numpy()) for v in model.trainable_weights]


def _images(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(size=(BATCH, *shape)).astype("float32")


def _same(one, two, atol=2e-5):
    assert len(one) == len(two)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-4)


def _autoencoder():
    model = dense_autoencoder((6, 6), code_size=3, hidden=(8,))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")  # made outside the scope: compile remakes it
    return model


def _vae():
    model = dense_vae((6, 6), latent_dim=3, hidden=(8,), seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    return model


def _gan():
    model = mlp_gan(latent_dim=4, image_shape=(6, 6), hidden=(8,), seed=0)
    model.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    return model


def _wgan_gp():
    model = wgan("gp", latent_dim=4, arch="mlp", hidden=(8,), seed=0)  # 28x28 images, five critic steps
    model.compile(d_optimizer=keras.optimizers.SGD(1e-3), g_optimizer=keras.optimizers.SGD(1e-3))
    return model


def _cyclegan():
    model = cyclegan(16, channels=1, g_filters=4, d_filters=4, d_layers=1, pool_size=BATCH, seed=0)
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    return model


def _progan():
    model = ProGAN(latent_dim=4, resolution=8, channels=(8, 4), group_size=BATCH // 2, seed=0)
    model.compile()
    return model


def _stylegan():
    model = StyleGAN(latent_dim=4, w_dim=4, mapping_layers=2, resolution=8, channels=(8, 4), group_size=BATCH // 2,
                     seed=0)
    model.compile()
    return model


# The minibatch standard deviation of the growing critics couples the images of a group. With groups of half the
# global batch, a replica's four images form one group; on one device sample i joins group i mod 2, so the one-device
# run takes the global batch in the order that puts each replica's images into one group: p -> (p mod 2) 4 + p // 2.
GROUPED = np.array([(p % 2) * (BATCH // 2) + p // 2 for p in range(BATCH)])

FAMILIES = {
    "autoencoder": (_autoencoder, lambda: (_images((6, 6)), _images((6, 6))), None),
    "vae": (_vae, lambda: _images((6, 6)), None),
    "gan": (_gan, lambda: _images((6, 6)), None),
    "wgan_gp": (_wgan_gp, lambda: _images((28, 28)), None),
    "cyclegan": (_cyclegan, lambda: (_images((16, 16, 1)), _images((16, 16, 1), seed=1)), None),
    "progan": (_progan, lambda: _images((8, 8, 1)), GROUPED),
    "stylegan": (_stylegan, lambda: _images((8, 8, 1)), GROUPED),
}


def _reorder(data, perm):
    if perm is None:
        return data
    return tuple(d[perm] for d in data) if isinstance(data, tuple) else data[perm]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_two_replica_step_matches_one_device_on_the_global_batch(family, mirrored, monkeypatch):
    build, make_data, perm = FAMILIES[family]
    data = make_data()
    one = _one_step(build, _reorder(data, perm), perm=perm, monkeypatch=monkeypatch)
    two = _one_step(build, data, strategy=mirrored, monkeypatch=monkeypatch)
    assert two.distribute_strategy is mirrored
    assert isinstance(two.trainable_weights[0].value, tf.distribute.DistributedValues)
    assert any(not np.allclose(a, b) for a, b in zip(_trained(one), one.initial, strict=True))  # the step moved
    _same(_trained(one), _trained(two))
    for name, value in one.get_metrics_result().items():  # the metric trackers read the same means
        np.testing.assert_allclose(float(value), float(two.get_metrics_result()[name]), atol=1e-4, rtol=1e-4)
    _check_counters(family, one, two)


def _check_counters(family: str, one, two) -> None:
    """Optimizer steps, images seen and the moving average advance once per step, not once per replica."""
    for model in (one, two):
        if family in ("autoencoder", "vae"):
            assert int(model.optimizer.iterations.numpy()) == 1
        elif family == "cyclegan":
            assert int(model.g_optimizer.iterations.numpy()) == int(model.d_optimizer.iterations.numpy()) == 1
        elif family in ("gan", "wgan_gp"):
            assert int(model.g_optimizer.iterations.numpy()) == 1
            assert int(model.d_optimizer.iterations.numpy()) == model.d_steps
        else:
            assert float(model.images_seen.numpy()) == BATCH  # the global batch, not a replica's share
            assert float(model.critic_steps.numpy()) == 1.0
            assert int(model.d_optimizer.iterations.numpy()) == 1  # R1 (due at step 0) joins the critic's step
            assert int(model.g_optimizer.iterations.numpy()) == 1
    if family in ("progan", "stylegan"):
        _same([v.numpy() for v in one.ema_networks()[0].weights], [v.numpy() for v in two.ema_networks()[0].weights])
        assert [float(c.numpy()) for c in two.images_seen.value.values] == [BATCH, BATCH]  # each replica's copy


def test_replicas_draw_different_noise_and_replica_zero_draws_the_one_device_stream(mirrored):
    with mirrored.scope():
        generator = distribute.ReplicaSeedGenerator(7)

    @tf.function
    def draw():
        return mirrored.run(lambda: keras.random.normal((5,), seed=generator))

    per_replica = mirrored.experimental_local_results(draw())
    assert not np.allclose(per_replica[0].numpy(), per_replica[1].numpy())
    plain = keras.random.normal((5,), seed=keras.random.SeedGenerator(7))
    np.testing.assert_allclose(per_replica[0].numpy(), plain.numpy())
    again = mirrored.experimental_local_results(draw())  # the state advanced once, on both replicas alike
    assert not np.allclose(again[0].numpy(), per_replica[0].numpy())
    assert [int(v.numpy()[1]) for v in generator.state.value.values] == [2, 2]


def test_a_gan_draws_different_fakes_on_each_replica(mirrored):
    config.set_seed(0)
    with mirrored.scope():
        gan = mlp_gan(latent_dim=4, image_shape=(6, 6), hidden=(8,), seed=0)

    @tf.function
    def noise():
        return mirrored.run(lambda: gan.noise(3))

    first, second = (t.numpy() for t in mirrored.experimental_local_results(noise()))
    assert not np.allclose(first, second)


def test_the_classic_two_phase_loop_runs_on_two_replicas(mirrored, monkeypatch):
    from helpers.models.gan import two_phase_train_on_batch

    monkeypatch.setattr(distribute, "_strategy", mirrored)  # as config.setup leaves it on two GPUs
    gan = _gan()
    assert gan.distribute_strategy is mirrored
    losses = [two_phase_train_on_batch(gan, _images((6, 6)), seed=step) for step in range(2)]
    assert all(np.isfinite(list(step.values())).all() for step in losses)
