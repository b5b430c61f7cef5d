import io
import sys
import types

import numpy as np
import pytest

from helpers import config


def test_genbook_mode_overrides_the_notebook(monkeypatch):
    monkeypatch.setenv("GENBOOK_MODE", "smoke")
    assert config.resolve_mode("book") == "smoke"
    assert config.resolve_mode("auto") == "smoke"


def test_auto_is_book_on_a_cpu(monkeypatch):
    monkeypatch.setattr(config, "gpu_available", lambda: False)
    assert config.resolve_mode("auto") == "book"
    monkeypatch.setattr(config, "gpu_available", lambda: True)
    assert config.resolve_mode("auto") == "full"


def test_explicit_modes_pass_through():
    for mode in config.MODES:
        assert config.resolve_mode(mode.upper()) == mode


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_unknown_mode_says_what_to_use(monkeypatch, where):
    if where == "environment":
        monkeypatch.setenv("GENBOOK_MODE", "fast")
    with pytest.raises(config.ModeError, match=r"Unknown run mode 'fast'.*smoke, book, full"):
        config.resolve_mode("fast" if where == "argument" else "auto")


def test_every_chapter_has_every_mode_and_smoke_is_smallest():
    for chapter, rows in config.BUDGETS.items():
        assert set(rows) == set(config.MODES), chapter
        assert set(rows["smoke"]) == set(rows["book"]) == set(rows["full"]), chapter
        for key, value in rows["smoke"].items():
            if isinstance(value, int | float):
                assert value <= rows["book"][key] <= rows["full"][key], (chapter, key)


def test_budget_is_read_only_and_errors_name_the_choices():
    b = config.budget("ch01", "smoke")
    with pytest.raises(TypeError):
        b["ae_epochs"] = 100
    with pytest.raises(KeyError, match="known chapters"):
        config.budget("ch99", "smoke")
    with pytest.raises(config.ModeError):
        config.budget("ch01", "turbo")


def test_setup_returns_settings_and_prints_the_budget(monkeypatch, capsys):
    monkeypatch.setenv("GENBOOK_MODE", "smoke")
    settings = config.setup("auto", "ch01", seed=3)
    assert settings.mode == "smoke" and settings.seed == 3
    assert settings["ae_epochs"] == config.BUDGETS["ch01"]["smoke"]["ae_epochs"]
    out = capsys.readouterr().out
    assert "mode=smoke" in out and "budget:" in out
    assert config.current_chapter() == "ch01"
    import logging

    assert logging.getLogger("tensorflow").level == logging.ERROR


def test_same_seed_same_numbers():
    import keras

    def draw():
        config.set_seed(7)
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return np.random.rand(3), layer.kernel.numpy()  # noqa: NPY002 - set_seed seeds the global RNG too, keras.random.normal((2,), seed=1).numpy()

    a, b = draw(), draw()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_paths_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GENBOOK_DATA_DIR", str(tmp_path / "d"))
    assert config.data_dir() == tmp_path / "d" and config.data_dir().is_dir()
    assert config.cache_dir().is_dir()
    ck = config.checkpoint_dir("01_pca", mode="smoke")
    assert ck.is_dir() and ck.parts[-2:] == ("smoke", "01_pca")
    assert config.checkpoint_dir("01_pca", mode="book") != ck


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert config.is_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261101")
    assert config.is_colab() is True


def test_environment_report_names_the_libraries():
    report = config.environment_report()
    for key in ("python", "tensorflow", "keras", "numpy", "gpu"):
        assert report[key]
    assert report["offline"] == "True"


@pytest.mark.parametrize(("gpu", "expected"), [(False, 1), (True, 0)])
def test_op_determinism_by_default_only_without_a_gpu(monkeypatch, gpu, expected):
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(config, "gpu_available", lambda: gpu)
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append(1))
    config.set_seed(3)
    assert len(calls) == expected
    config.set_seed(3, deterministic=True)
    assert len(calls) == expected + 1


def test_progress_is_a_bar_where_someone_watches_and_a_line_per_epoch_headless(monkeypatch):
    monkeypatch.delenv("GENBOOK_PROGRESS", raising=False)
    monkeypatch.delenv("GENBOOK_HEADLESS", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))  # a Jupyter or Colab kernel
    assert config.progress_verbose() == 1
    monkeypatch.setenv("GENBOOK_HEADLESS", "1")  # tools/execute.py, smoke, nbval: the committed outputs
    assert config.progress_verbose() == 2
    monkeypatch.setenv("GENBOOK_PROGRESS", "bar")
    assert config.progress_verbose() == 1
    monkeypatch.delenv("GENBOOK_HEADLESS")
    monkeypatch.setenv("GENBOOK_PROGRESS", "epoch")  # e.g. a student's own papermill run
    assert config.progress_verbose() == 2
    monkeypatch.setenv("GENBOOK_PROGRESS", "loud")
    with pytest.raises(ValueError, match="'bar' or 'epoch'"):
        config.progress_verbose()


def test_progress_outside_a_kernel_follows_the_terminal(monkeypatch):
    monkeypatch.delenv("GENBOOK_PROGRESS", raising=False)
    monkeypatch.delenv("GENBOOK_HEADLESS", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # output piped to a file or a log
    assert config.progress_verbose() == 2

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    assert config.progress_verbose() == 1


def test_preflight_keeps_full_shapes_and_takes_smoke_amounts():
    assert set(config.PREFLIGHT_AMOUNTS) == set(config.BUDGETS)  # every chapter says which entries are amounts
    for chapter, rows in config.BUDGETS.items():
        amounts = config.PREFLIGHT_AMOUNTS[chapter]
        assert amounts <= set(rows["full"]), (chapter, sorted(amounts - set(rows["full"])))  # no stale names
        pre = config.budget(chapter, config.PREFLIGHT)
        assert set(pre) == set(rows["full"])
        for key, value in pre.items():
            assert value == rows["smoke" if key in amounts else "full"][key], (chapter, key)
    pre = config.budget("ch13", config.PREFLIGHT)
    assert pre["resolution"] == 64 and pre["channels"] == [128, 128, 64, 32, 16] and pre["dataset"] == "celeba"
    assert pre["train_size"] == config.BUDGETS["ch13"]["smoke"]["train_size"]


def test_an_entry_not_declared_an_amount_runs_at_its_full_value(monkeypatch):
    rows = {mode: {**config.BUDGETS["ch10"][mode], "new_width": width}
            for mode, width in zip(config.MODES, (8, 16, 64), strict=True)}
    monkeypatch.setitem(config.BUDGETS, "ch10", rows)
    assert config.budget("ch10", config.PREFLIGHT)["new_width"] == 64


def test_preflight_mode_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("GENBOOK_MODE", "preflight")
    assert config.resolve_mode("book") == config.PREFLIGHT and config.preflight()
    monkeypatch.setenv("GENBOOK_MODE", "full")
    assert not config.preflight()
    with pytest.raises(config.ModeError, match="preflight"):
        config.budget("ch01", "turbo")


def test_ring_steps_are_whole_executions_of_the_ring_gan():
    """Chapter 7 compiles its ring GANs with steps_per_execution=25, and Keras rounds an epoch up to whole
    executions: 40 steps would train 50, and the saturating-loss exercise's check would see the difference."""
    for mode in (*config.MODES, config.PREFLIGHT):
        assert config.budget("ch07", mode)["ring_steps"] % 25 == 0, mode


def test_kaggle_is_detected_from_its_environment_variable(monkeypatch):
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    assert not config.is_kaggle()
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert config.is_kaggle()
    if not config.is_colab():
        assert config.platform_name() == "Kaggle"


def test_full_mode_on_a_cpu_warns_once_and_still_runs(monkeypatch, capsys):
    monkeypatch.setattr(config, "gpu_available", lambda: False)
    monkeypatch.setattr(config, "_warned_full_on_cpu", False)
    settings = config.setup("full", "ch01", verbose=False)
    assert settings.mode == "full"
    config.setup("full", "ch01", verbose=False)
    err = capsys.readouterr().err
    assert err.count("full mode is meant for a GPU") == 1
    assert 'MODE = "book"' in err
    config.setup("book", "ch01", verbose=False)
    assert "meant for a GPU" not in capsys.readouterr().err


def test_setup_prints_the_chapters_t4_estimate(capsys):
    from helpers import estimates

    config.setup("smoke", "ch13")
    out = capsys.readouterr().out
    assert f"full mode on one Colab T4: about {estimates.t4_text('ch13')} min" in out
