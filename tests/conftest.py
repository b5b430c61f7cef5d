"""Shared test set-up: quiet TensorFlow, no downloads, and caches in a temporary folder."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["GENBOOK_OFFLINE"] = "1"

import pytest  # noqa: E402


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
