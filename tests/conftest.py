"""Shared test set-up: quiet TensorFlow, no downloads, and caches in a temporary folder."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["GENBOOK_OFFLINE"] = "1"

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices, so that tests can run a MirroredStrategy with two replicas (tests/models/
# test_distributed.py). Ops still run on the first device unless a strategy places them, and this must
# happen before TensorFlow initialises its devices, hence at import.
_cpu = tf.config.list_physical_devices("CPU")[0]
if tf.config.get_logical_device_configuration(_cpu) is None:
    tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    """Every test gets its own cache and checkpoint folders and no GENBOOK_MODE from outside."""
    monkeypatch.setenv("GENBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GENBOOK_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.delenv("GENBOOK_MODE", raising=False)
    from helpers import config

    monkeypatch.setattr(config, "_current_chapter", None)  # no chapter left over from another test's setup()
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
