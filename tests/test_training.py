import json
import warnings

import keras
import numpy as np
import pytest

from helpers import config, training


def _model(code=2):
    config.set_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(code), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


@pytest.fixture
def xy():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    return x, x


class _InterruptAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):  # Ctrl-C in the middle of epoch ``self.epoch + 1``
        if self.model.optimizer.iterations.numpy() == self.epoch * 4 + 1:
            raise KeyboardInterrupt


def test_checkpoint_every_epoch_then_load_instead_of_training(tmp_path, xy, capsys):
    model = _model()
    hist = training.fit_or_load(model, *xy, name="ae", epochs=3, directory=tmp_path, batch_size=16)
    assert len(hist["loss"]) == 3
    state = json.loads((tmp_path / "ae.state.json").read_text())
    assert state["epoch"] == 3
    again = _model()
    hist2 = training.fit_or_load(again, *xy, name="ae", epochs=3, directory=tmp_path, batch_size=16)
    assert hist2 == hist
    assert "already trained for 3 epochs" in capsys.readouterr().out
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_interrupted_run_resumes_at_its_last_epoch_with_optimizer_state(tmp_path, xy, capsys):
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        training.fit_or_load(model, *xy, name="ae", epochs=5, directory=tmp_path, batch_size=16,
                             callbacks=[_InterruptAfter(2)])
    assert "run the cell again to resume" in capsys.readouterr().out
    assert json.loads((tmp_path / "ae.state.json").read_text())["epoch"] == 2

    fresh = _model()
    seen = []
    tracker = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    hist = training.fit_or_load(fresh, *xy, name="ae", epochs=5, directory=tmp_path, batch_size=16,
                                callbacks=[tracker])
    assert seen == [2, 3, 4]
    assert len(hist["loss"]) == 5
    assert int(fresh.optimizer.iterations.numpy()) == 5 * 4  # 4 batches per epoch, none lost
    assert "Resuming ae from its checkpoint after epoch 2 of 5" in capsys.readouterr().out


def test_retrain_starts_over(tmp_path, xy):
    training.fit_or_load(_model(), *xy, name="ae", epochs=2, directory=tmp_path, verbose=0)
    seen = []
    tracker = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    training.fit_or_load(_model(), *xy, name="ae", epochs=2, directory=tmp_path, verbose=0,
                         retrain=True, callbacks=[tracker])
    assert seen == [0, 1]


def test_corrupt_checkpoint_names_the_file(tmp_path, xy):
    training.fit_or_load(_model(), *xy, name="ae", epochs=1, directory=tmp_path, verbose=0)
    (tmp_path / "ae.weights.h5").write_bytes(b"this is not an HDF5 file")
    with pytest.raises(training.CheckpointError, match=r"ae\.weights\.h5.*retrain=True"):
        training.fit_or_load(_model(), *xy, name="ae", epochs=2, directory=tmp_path, verbose=0)


def test_corrupt_state_names_the_file(tmp_path, xy):
    training.fit_or_load(_model(), *xy, name="ae", epochs=1, directory=tmp_path, verbose=0)
    (tmp_path / "ae.state.json").write_text("{")
    with pytest.raises(training.CheckpointError, match=r"ae\.state\.json is corrupt"):
        training.fit_or_load(_model(), *xy, name="ae", epochs=2, directory=tmp_path, verbose=0)


def test_checkpoint_of_another_model_is_refused(tmp_path, xy):
    training.fit_or_load(_model(code=2), *xy, name="ae", epochs=1, directory=tmp_path, verbose=0)
    with pytest.raises(training.CheckpointError, match="does not fit this model"):
        training.fit_or_load(_model(code=3), *xy, name="ae", epochs=2, directory=tmp_path, verbose=0)


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path, xy):
    x, y = xy
    model = _model()
    training.fit_or_load(model, x, y, name="ae", epochs=1, directory=tmp_path, verbose=0)
    bad_y = y.copy()
    bad_y[:] = np.nan
    with pytest.raises(training.TrainingDiverged, match=r"loss became nan at epoch 2, batch 1.*learning rate"):
        training.fit_or_load(model, x, bad_y, name="ae", epochs=3, directory=tmp_path, verbose=0,
                             batch_size=16)
    assert json.loads((tmp_path / "ae.state.json").read_text())["epoch"] == 1


def test_default_directory_is_per_mode(monkeypatch, xy):
    monkeypatch.setenv("GENBOOK_MODE", "smoke")
    training.fit_or_load(_model(), *xy, name="ae", epochs=1, verbose=0)
    assert (config.checkpoint_dir("ae", "smoke") / "ae.weights.h5").exists()


def test_checkpoints_of_a_chapter_share_its_folder(monkeypatch, xy):
    monkeypatch.setenv("GENBOOK_MODE", "smoke")
    monkeypatch.setattr(config, "_current_chapter", "ch42")
    training.fit_or_load(_model(), *xy, name="ae", epochs=1, verbose=0)
    assert (config.checkpoint_dir("ch42", "smoke") / "ae.weights.h5").exists()


def test_tf_dataset_input(tmp_path, xy):
    from helpers.data import to_tf_dataset

    ds = to_tf_dataset(*xy, batch_size=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "shuffle=True was passed, but will be ignored"
        hist = training.fit_or_load(_model(), ds, name="ae", epochs=1, directory=tmp_path, verbose=0)
    assert len(hist["loss"]) == 1
    # reload path must build from the dataset's first batch
    assert training.fit_or_load(_model(), ds, name="ae", epochs=1, directory=tmp_path, verbose=0) == hist


def test_sample_grid_saves_frames_and_a_gif(tmp_path, xy):
    from PIL import Image

    noise = np.random.default_rng(0).random((4, 6, 6)).astype("float32")
    calls = []

    def generate():  # a model that changes between epochs, as a training generator does
        calls.append(1)
        return noise ** len(calls)

    grid = training.SampleGrid(generate, tmp_path / "frames", name="s", every=2, ncols=2)
    model = _model()
    model.fit(*xy, epochs=4, verbose=0, callbacks=[grid])
    assert [p.name for p in grid.frames] == ["s_0002.png", "s_0004.png"]
    with Image.open(grid.gif()) as gif:
        assert gif.n_frames == 2
    resumed = training.SampleGrid(generate, tmp_path / "frames", name="s")
    assert [p.name for p in resumed.frames] == ["s_0002.png", "s_0004.png"]  # an earlier run's frames count
    empty = training.SampleGrid(lambda: noise, tmp_path / "none")
    with pytest.raises(ValueError, match="No frames"):
        empty.gif()


@pytest.mark.parametrize("choice, verbose", [("bar", 1), ("epoch", 2)])
def test_fit_or_load_shows_the_progress_config_chooses(tmp_path, xy, monkeypatch, choice, verbose):
    monkeypatch.setenv("GENBOOK_PROGRESS", choice)
    seen = []
    model = _model()
    original = model.fit

    def fit(*args, **kwargs):
        seen.append(kwargs["verbose"])
        return original(*args, **{**kwargs, "verbose": 0})

    monkeypatch.setattr(model, "fit", fit)
    training.fit_or_load(model, *xy, name="ae", epochs=1, directory=tmp_path, batch_size=16)
    assert seen == [verbose]
    training.fit_or_load(model, *xy, name="ae", epochs=2, directory=tmp_path, batch_size=16, verbose=0)
    assert seen == [verbose, 0]  # an explicit verbose wins
