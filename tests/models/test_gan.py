import json

import keras
import numpy as np
import pytest

from helpers import config, losses, training
from helpers.models.gan import GAN, dcgan, mlp_gan, pack_samples, two_phase_train_on_batch

RNG = np.random.default_rng(0)
X = RNG.random((32, 28, 28)).astype("float32")
Y = RNG.integers(0, 10, size=32)


def _weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def _changed(before, model):
    return [not np.array_equal(a, b.numpy()) for a, b in zip(before, model.trainable_weights, strict=True)]


def _tiny(**kwargs):
    config.set_seed(0)
    gan = mlp_gan(latent_dim=4, image_shape=(28, 28), hidden=(8,), seed=0, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def test_train_step_updates_both_networks_and_logs_the_trackers():
    gan = _tiny()
    g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
    history = gan.fit(X, epochs=2, batch_size=16, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert 0 <= min(history["d_real"] + history["d_fake"]) and max(history["d_real"] + history["d_fake"]) <= 1
    assert all(_changed(g0, gan.generator)) and all(_changed(d0, gan.discriminator))
    assert int(gan.d_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) == 4


def test_each_phase_changes_only_its_own_network():
    gan = _tiny()
    gan.build_optimizers()
    x = gan.to_model_range(X[:8])
    g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
    logs = gan.discriminator_step(x)
    assert set(logs) == {"d_loss", "d_real", "d_fake"}
    assert all(_changed(d0, gan.discriminator)) and not any(_changed(g0, gan.generator))
    d1 = _weights(gan.discriminator)
    gan.generator_step(8)
    assert all(_changed(g0, gan.generator)) and not any(_changed(d1, gan.discriminator))


@pytest.mark.parametrize("kind", ["saturating", "least_squares"])
def test_other_generator_losses_and_several_discriminator_steps(kind):
    gan = _tiny(generator_loss=kind, d_steps=2)
    gan.build_optimizers()  # now, not in the first trace (which would then run twice)
    history = gan.fit(X[:16], epochs=1, batch_size=16, verbose=0).history
    assert np.isfinite(history["g_loss"]).all()
    assert int(gan.d_optimizer.iterations.numpy()) == 2 * int(gan.g_optimizer.iterations.numpy()) == 2


def test_generate_is_seeded_and_in_the_data_range():
    gan = _tiny()
    a, b = gan.generate(5, seed=3), gan.generate(5, seed=3)
    assert a.shape == (5, 28, 28) and 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gan.generate(5, seed=4))
    np.testing.assert_array_equal(gan.generate(z=gan.latent(5, seed=3)), a)
    assert gan.discriminate(X[:3]).shape == (3,)


def test_conditional_dcgan_trains_on_pairs_and_generates_per_label():
    config.set_seed(0)
    cgan = dcgan(latent_dim=4, filters=(4, 8), num_classes=10, seed=0)
    cgan.compile()
    cgan.build_optimizers()  # now, not in the first trace (which would then run twice)
    g0 = _weights(cgan.generator)
    history = cgan.fit(X[:16, ..., None], Y[:16], epochs=1, batch_size=16, verbose=0).history
    assert np.isfinite(history["d_loss"]).all() and all(_changed(g0, cgan.generator))
    samples = cgan.generate(10, labels=np.arange(10))
    assert samples.shape == (10, 28, 28, 1) and 0 <= samples.min() and samples.max() <= 1
    with pytest.raises(ValueError, match="needs the labels"):
        cgan.generate(2)
    assert [tuple(i.shape) for i in cgan.discriminator.inputs] == [(None, 28, 28, 1), (None, 10)]


def test_save_and_reload_give_identical_samples(tmp_path):
    gan = _tiny(minibatch_discrimination=3)
    gan.build_optimizers()  # now, not in the first trace (which would then run twice)
    gan.fit(X[:16], epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "gan.weights.h5"
    gan.save_weights(path)
    again = GAN.from_config(gan.get_config())
    again.load_weights(path)
    np.testing.assert_array_equal(again.generate(4, seed=1), gan.generate(4, seed=1))
    np.testing.assert_array_equal(again.discriminate(X[:4]), gan.discriminate(X[:4]))


class _InterruptAfter(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):  # Ctrl-C in the second epoch
        if self.model.g_optimizer.iterations.numpy() == 2:
            raise KeyboardInterrupt


def test_fit_or_load_resumes_with_both_optimizers(tmp_path):
    gan = _tiny()
    with pytest.raises(KeyboardInterrupt):
        training.fit_or_load(gan, X, name="gan", epochs=3, directory=tmp_path, batch_size=16, verbose=0,
                             callbacks=[_InterruptAfter()])
    assert json.loads((tmp_path / "gan.state.json").read_text())["epoch"] == 1
    fresh = _tiny()
    history = training.fit_or_load(fresh, X, name="gan", epochs=3, directory=tmp_path, batch_size=16, verbose=0)
    assert len(history["g_loss"]) == 3
    assert int(fresh.d_optimizer.iterations.numpy()) == int(fresh.g_optimizer.iterations.numpy()) == 3 * 2


def test_experience_replay_fills_its_buffer():
    config.set_seed(0)
    gan = mlp_gan(latent_dim=2, image_shape=(2,), hidden=(8,), output_activation="linear", replay=20, seed=0)
    assert gan.rescale is False
    gan.compile()
    gan.build_optimizers()  # now, not in the first trace (which would then run twice)
    points = RNG.normal(size=(32, 2)).astype("float32")
    history = gan.fit(points, epochs=1, batch_size=16, verbose=0).history
    assert np.isfinite(history["d_loss"]).all()
    assert int(gan.replay_count.numpy()) == 32 and np.abs(gan.replay_buffer.numpy()).sum() > 0
    assert gan.generate(3).shape == (3, 2)


def test_pack_samples_keeps_each_group_from_one_source():
    points = np.arange(12, dtype="float32").reshape(6, 2)  # sample i is (2i, 2i + 1)
    packed = keras.ops.convert_to_numpy(pack_samples(points, 2))
    np.testing.assert_array_equal(packed, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    images = np.arange(4 * 2 * 2 * 3, dtype="float32").reshape(4, 2, 2, 3)
    packed = keras.ops.convert_to_numpy(pack_samples(images, 4))
    assert packed.shape == (1, 2, 2, 12)
    np.testing.assert_array_equal(packed[0, 1, 0], np.concatenate([images[k, 1, 0] for k in range(4)]))
    assert pack_samples(points, 1) is points
    with pytest.raises(ValueError, match="multiple of 4"):
        pack_samples(points, 4)


def test_pacgan_discriminator_judges_groups_of_m_samples():
    config.set_seed(0)
    gan = mlp_gan(latent_dim=2, image_shape=(2,), hidden=(8,), output_activation="linear", pack=4, seed=0)
    assert tuple(gan.discriminator.inputs[0].shape) == (None, 8)  # m x 2 wide
    gan.compile()
    gan.build_optimizers()  # now, not in the first trace (which would then run twice)
    points = RNG.normal(size=(64, 2)).astype("float32")
    g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
    history = gan.fit(points, epochs=1, batch_size=30, verbose=0).history  # 30 is cut to 28, the last 4 kept
    assert np.isfinite(history["d_loss"]).all()
    assert all(_changed(g0, gan.generator)) and all(_changed(d0, gan.discriminator))
    assert gan.discriminate(points[:12]).shape == (3,)
    # one score per group: the discriminator on the packed groups, by hand
    by_hand = keras.ops.sigmoid(gan.discriminator(points[:12].reshape(3, 8)))
    np.testing.assert_allclose(gan.discriminate(points[:12]), keras.ops.convert_to_numpy(by_hand).ravel(), rtol=1e-5)
    with pytest.raises(ValueError, match="multiple of 4"):
        gan.discriminate(points[:6])
    again = GAN.from_config(gan.get_config())
    assert again.pack == 4
    with pytest.raises(ValueError, match="plain GAN"):
        two_phase_train_on_batch(gan, points[:8])


def test_r1_adds_the_penalty_on_real_data_to_the_discriminator_loss():
    config.set_seed(0)
    gan = mlp_gan(latent_dim=2, image_shape=(2,), hidden=(8,), output_activation="linear", r1_gamma=10.0, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))  # nothing moves
    points = RNG.normal(size=(16, 2)).astype("float32")
    logs = gan.discriminator_step(keras.ops.convert_to_tensor(points))
    plain = GAN.from_config({**gan.get_config(), "r1_gamma": 0.0})
    plain.set_weights(gan.get_weights())
    plain.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    # the same fakes: both GANs draw them from seed generators in the same state
    plain_logs = plain.discriminator_step(keras.ops.convert_to_tensor(points))
    penalty = float(losses.r1_penalty(gan.discriminator, points, 10.0))
    assert penalty > 0
    np.testing.assert_allclose(float(logs["d_loss"]) - float(plain_logs["d_loss"]), penalty, rtol=1e-4)
    with pytest.raises(ValueError, match="r1_gamma"):
        mlp_gan(hidden=(4,), r1_gamma=-1.0)


def test_classic_two_phase_loop_trains_each_network_in_its_phase():
    gan = _tiny()
    g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
    logs = two_phase_train_on_batch(gan, X[:16], seed=0)
    assert set(logs) == {"d_loss", "g_loss"} and np.isfinite(list(logs.values())).all()
    assert all(_changed(g0, gan.generator)) and all(_changed(d0, gan.discriminator))
    logs = two_phase_train_on_batch(gan, X[:16], seed=1)  # the frozen/unfrozen switch holds on later calls
    d1 = _weights(gan.discriminator)
    assert gan.discriminator.trainable and int(gan.d_optimizer.iterations.numpy()) == 0  # GAN's own untouched
    gan.build_optimizers()  # now, not in the first trace (which would then run twice)
    gan.fit(X[:16], epochs=1, batch_size=16, verbose=0)  # and train_step still works afterwards
    assert all(_changed(d1, gan.discriminator))


def test_bad_arguments():
    with pytest.raises(ValueError, match="generator_loss"):
        mlp_gan(hidden=(4,), generator_loss="hinge")
    with pytest.raises(ValueError, match="d_steps"):
        mlp_gan(hidden=(4,), d_steps=0)
    with pytest.raises(ValueError, match="pack"):
        mlp_gan(hidden=(4,), pack=0)
    with pytest.raises(ValueError, match="unconditional"):
        mlp_gan(hidden=(4,), pack=2, num_classes=10)
    with pytest.raises(ValueError, match="28x28x1"):
        dcgan(image_shape=(32, 32, 3))
    gan = mlp_gan(hidden=(4,))
    with pytest.raises(ValueError, match="Compile the GAN"):
        gan.build_optimizers()


def test_projection_discriminator_scores_depend_on_the_label_through_the_projection():
    config.set_seed(0)
    cgan = dcgan(latent_dim=4, filters=(4, 8), num_classes=10, projection=True, minibatch_std=True, seed=0)
    names = {layer.name for layer in cgan.discriminator.layers}
    assert {"projection", "class_embedding", "minibatch_std"} <= names
    cgan.compile()
    cgan.build_optimizers()  # now, not in the first trace (which would then run twice)
    history = cgan.fit(X[:16, ..., None], Y[:16], epochs=1, batch_size=8, verbose=0).history
    assert np.isfinite(history["d_loss"]).all()
    x = keras.ops.convert_to_numpy(cgan.to_model_range(X[:4, ..., None]))
    onehot_a, onehot_b = np.eye(10, dtype="float32")[[0] * 4], np.eye(10, dtype="float32")[[1] * 4]
    a = keras.ops.convert_to_numpy(cgan.discriminator([x, onehot_a]))
    b = keras.ops.convert_to_numpy(cgan.discriminator([x, onehot_b]))
    assert not np.allclose(a, b)
    # the projection term is exactly embed(y) . phi(x)
    d = cgan.discriminator
    features = keras.Model(d.inputs, d.get_layer("projection").input[0])([x, onehot_a])
    class_vectors = d.get_layer("class_embedding").kernel.numpy()[0]
    projected = keras.Model(d.inputs, d.get_layer("projection").output)([x, onehot_a])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(projected)[:, 0],
                               keras.ops.convert_to_numpy(features) @ class_vectors, rtol=1e-4, atol=1e-5)
