"""Training that survives interruptions: per-epoch checkpoints, resume, and a clear stop on NaN losses."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras

from helpers import config


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be used (corrupt, or saved from a different model)."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def _finite(logs: Mapping[str, Any] | None) -> tuple[bool, str]:
    for key, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            return False, key
    return True, ""


class StopOnNaN(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite and remember where it happened."""

    def __init__(self) -> None:
        super().__init__()
        self.message: str | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        ok, key = _finite(logs)
        if not ok and self.message is None:
            self.message = (f"Training stopped: {key} became {float(logs[key])} at epoch {self._epoch + 1}, "
                            f"batch {batch + 1}. Lower the learning rate, check the inputs for NaNs, or "
                            "clip gradients (optimizer clipnorm=1.0); the last finite epoch's checkpoint is kept.")
            self.model.stop_training = True


class EpochCheckpoint(keras.callbacks.Callback):
    """Save ``<name>.weights.h5`` (model and optimizer) and ``<name>.state.json`` after every finite epoch.

    Files are written to a temporary name first and then renamed, so an interruption never leaves a
    half-written checkpoint behind.
    """

    def __init__(self, directory: Path, name: str, history: Mapping[str, list[float]] | None = None) -> None:
        super().__init__()
        self.weights_path, self.state_path = checkpoint_paths(directory, name)
        self.history: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if not _finite(logs)[0]:
            return
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        tmp_weights = self.weights_path.with_name("tmp-" + self.weights_path.name)
        self.model.save_weights(tmp_weights)
        os.replace(tmp_weights, self.weights_path)
        tmp_state = self.state_path.with_name("tmp-" + self.state_path.name)
        tmp_state.write_text(json.dumps({"epoch": epoch + 1, "history": self.history}))
        os.replace(tmp_state, self.state_path)


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of generated images after every ``every`` epochs, and assemble the frames into a GIF.

    ``generate`` returns a batch of images in [0, 1]; give it fixed inputs (a fixed noise vector) so
    that the frames show the same samples improving. Frames are PNG files ``<name>_<epoch>.png``; frames
    already in ``directory`` (from an interrupted or finished earlier run) are kept and count too.
    """

    def __init__(self, generate: Callable[[], Any], directory: Path | str, name: str = "samples", every: int = 1,
                 ncols: int = 4) -> None:
        super().__init__()
        self.generate = generate
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name, self.every, self.ncols = name, every, ncols
        self.frames: list[Path] = sorted(self.directory.glob(f"{name}_[0-9][0-9][0-9][0-9].png"))

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        import matplotlib.pyplot as plt

        from helpers.plots import tile

        path = self.directory / f"{self.name}_{epoch + 1:04d}.png"
        plt.imsave(path, tile(self.generate(), self.ncols), cmap="binary", vmin=0, vmax=1)
        self.frames = sorted({*self.frames, path})

    def gif(self, path: Path | str | None = None, duration_ms: int = 400) -> Path:
        """Write the frames saved so far as an animated GIF; returns its path."""
        import matplotlib.pyplot as plt

        from helpers.plots import save_gif

        if not self.frames:
            raise ValueError("No frames yet: train for at least one epoch first.")
        frames = [1.0 - plt.imread(p)[..., 0] for p in self.frames]  # back to ink in [0, 1]
        return save_gif(frames, path or self.directory / f"{self.name}.gif", duration_ms=duration_ms)


def checkpoint_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """The weights file and the state file of checkpoint ``name`` in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}.weights.h5", directory / f"{name}.state.json"


def _build(model: keras.Model, sample: Any) -> None:
    """Create the model's and optimizer's variables so that saved values can be loaded into them."""
    if not model.built:
        model(sample, training=False)
    build_optimizers = getattr(model, "build_optimizers", None)
    if callable(build_optimizers):
        build_optimizers()
    elif getattr(model, "optimizer", None) is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _is_dataset(x: Any) -> bool:
    """True for a ``tf.data.Dataset`` (it has ``take`` but, unlike arrays and tensors, no ``shape``)."""
    return hasattr(x, "take") and not hasattr(x, "shape")


def _first_batch(x: Any) -> Any:
    if _is_dataset(x):
        element = next(iter(x.take(1)))
        return element[0] if isinstance(element, tuple) else element
    return x[:1]


def load_checkpoint(model: keras.Model, directory: Path, name: str, sample: Any) -> dict[str, Any] | None:
    """Load checkpoint ``name`` into ``model``; return its state, or ``None`` when there is none yet."""
    weights_path, state_path = checkpoint_paths(directory, name)
    if not state_path.exists() or not weights_path.exists():
        return None
    how_to_retrain = (f"Delete {weights_path} and {state_path}, or call fit_or_load(..., retrain=True), "
                      "to train from scratch.")
    try:
        state = json.loads(state_path.read_text())
        epoch = int(state["epoch"])
        history = {str(k): [float(v) for v in vals] for k, vals in state["history"].items()}
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"The checkpoint state {state_path} is corrupt ({err}). {how_to_retrain}") from err
    _build(model, sample)
    try:
        model.load_weights(weights_path)
    except Exception as err:  # noqa: BLE001 - h5py and Keras raise many kinds of errors for bad files
        raise CheckpointError(
            f"The checkpoint {weights_path} does not fit this model or is corrupt "
            f"({type(err).__name__}: {err}). {how_to_retrain}"
        ) from err
    return {"epoch": epoch, "history": history}


def fit_or_load(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    name: str,
    epochs: int,
    directory: Path | str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    retrain: bool = False,
    verbose: int | str | None = None,
    **fit_kwargs: Any,
) -> dict[str, list[float]]:
    """Train a compiled ``model`` for ``epochs`` epochs with a checkpoint after each one.

    A finished checkpoint is loaded instead of training again; an interrupted one resumes at its
    last saved epoch, with the optimizer's state. Checkpoints go to ``directory``, by default the folder of
    the chapter given to ``config.setup`` (``<checkpoints>/<mode>/<chapter>/<name>.weights.h5``).
    ``verbose`` defaults to :func:`helpers.config.progress_verbose`: a live progress bar in Jupyter and Colab,
    one line per epoch in headless runs. Returns the whole history (all runs together). Raises
    :class:`TrainingDiverged` when the loss becomes NaN and :class:`CheckpointError` for a checkpoint that does
    not fit the model.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}.")
    if directory is None:
        directory = config.checkpoint_dir(config.current_chapter() or name)
    folder = Path(directory)
    weights_path, state_path = checkpoint_paths(folder, name)
    if retrain:
        for path in (weights_path, state_path):
            path.unlink(missing_ok=True)
    sample = _first_batch(x)
    state = load_checkpoint(model, folder, name, sample)
    start = state["epoch"] if state else 0
    history = state["history"] if state else {}
    if state and start >= epochs:
        print(f"Loaded {weights_path.name}: already trained for {start} epochs (retrain=True trains again).")
        return history
    if state:
        print(f"Resuming {name} from its checkpoint after epoch {start} of {epochs}.")

    if not state:
        _build(model, sample)  # the checkpoint callback saves after the first epoch, built or not
    nan_stop = StopOnNaN()
    saver = EpochCheckpoint(folder, name, history)
    if _is_dataset(x):
        fit_kwargs.setdefault("shuffle", False)  # a dataset shuffles itself; Keras warns when asked to
    if verbose is None:
        verbose = config.progress_verbose()
    try:
        model.fit(x, y, epochs=epochs, initial_epoch=start, verbose=verbose,
                  callbacks=[*callbacks, nan_stop, saver], **fit_kwargs)
    except KeyboardInterrupt:
        print(f"Interrupted. Epochs finished so far are saved in {folder}; run the cell again to resume.")
        raise
    if nan_stop.message:
        raise TrainingDiverged(nan_stop.message)
    return saver.history
