"""helpers.distribute: choosing the strategy, clear errors, scopes and the pieces train steps use."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import config, distribute


@pytest.fixture(autouse=True)
def _fresh_strategy(monkeypatch):
    monkeypatch.setattr(distribute, "_strategy", None)
    monkeypatch.delenv("GENBOOK_STRATEGY", raising=False)
    monkeypatch.delenv("GENBOOK_CPU_DEVICES", raising=False)


def test_an_unknown_strategy_setting_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("GENBOOK_STRATEGY", "mirorred")
    with pytest.raises(distribute.StrategyError, match="Unknown strategy 'mirorred' \\(from GENBOOK_STRATEGY\\).*auto"):
        distribute.configure()
    monkeypatch.delenv("GENBOOK_STRATEGY")
    with pytest.raises(distribute.StrategyError, match="Unknown strategy 'tpu'"):
        distribute.configure("tpu")


def test_setup_reports_an_unknown_strategy_before_doing_anything(monkeypatch):
    monkeypatch.setenv("GENBOOK_STRATEGY", "both")
    with pytest.raises(distribute.StrategyError, match="one of: auto"):
        config.setup("smoke", "ch01", verbose=False)


def test_cpu_devices_must_be_a_positive_whole_number(monkeypatch):
    monkeypatch.setenv("GENBOOK_CPU_DEVICES", "two")
    with pytest.raises(distribute.StrategyError, match="positive whole number"):
        distribute.cpu_devices()
    monkeypatch.setenv("GENBOOK_CPU_DEVICES", "2")
    assert distribute.cpu_devices() == 2


def test_auto_and_one_use_a_single_device_without_gpus():
    for setting in ("auto", "one"):
        chosen = distribute.configure(setting)
        assert chosen.num_replicas_in_sync == 1
        assert distribute.describe() == ""


def test_mirrored_spans_the_cpus_logical_devices_and_says_so():
    # tests/conftest.py split the CPU into two logical devices before TensorFlow started
    chosen = distribute.configure("mirrored")
    assert isinstance(chosen, tf.distribute.MirroredStrategy)
    assert chosen.num_replicas_in_sync == 2
    assert distribute.describe() == "MirroredStrategy over 2 devices"
    assert distribute.configure("mirrored") is chosen  # chosen once per session


def test_mirrored_on_one_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: [])
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    with pytest.raises(distribute.StrategyError, match="at least two devices"):
        distribute.configure("mirrored")


def test_models_built_in_the_session_scope_and_an_outer_scope_wins():
    mirrored = distribute.configure("mirrored")
    with distribute.scope():
        inside = keras.Variable(1.0)
    assert isinstance(inside.value, tf.distribute.DistributedValues)
    other = tf.distribute.OneDeviceStrategy("/cpu:1")
    with other.scope(), distribute.scope():  # no "mixing strategies" error: the open scope stays
        assert tf.distribute.get_strategy() is other
    assert mirrored is distribute.strategy()


def test_compile_remakes_an_optimizer_made_outside_the_scope():
    from helpers.models.autoencoders import dense_autoencoder

    distribute.configure("mirrored")
    model = dense_autoencoder((4, 4), code_size=2, hidden=())
    optimizer = keras.optimizers.Adam(0.01)  # made outside any scope, as in a notebook
    model.compile(optimizer=optimizer, loss="mse")
    assert model.optimizer is not optimizer
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    x = np.random.default_rng(0).uniform(size=(8, 4, 4)).astype("float32")
    model.fit(x, x, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 1


def test_on_one_device_nothing_is_scaled_or_offset():
    grads = [tf.ones(3), None]
    assert distribute.scale_gradients(grads)[0] is grads[0]
    assert distribute.global_batch(8) == 8
    assert distribute.replica_index() == 0
    one = keras.random.normal((4,), seed=distribute.ReplicaSeedGenerator(3))
    np.testing.assert_array_equal(one.numpy(), keras.random.normal((4,), seed=keras.random.SeedGenerator(3)).numpy())


def test_a_replica_seed_generator_round_trips_its_config():
    generator = distribute.ReplicaSeedGenerator(11)
    again = distribute.ReplicaSeedGenerator.from_config(generator.get_config())
    assert isinstance(again, distribute.ReplicaSeedGenerator) and again.get_config()["seed"] == 11
