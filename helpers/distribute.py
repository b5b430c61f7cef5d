"""Training on more than one device with ``tf.distribute``, the same code on one GPU, several, or a CPU.

:func:`helpers.config.setup` chooses the strategy once per session (:func:`configure`):

- ``auto`` (the default): a :class:`tf.distribute.MirroredStrategy` over all GPUs when more than one is
  visible (Kaggle's two T4s, for instance), TensorFlow's default strategy otherwise;
- ``one``: always the default strategy (one device);
- ``mirrored``: a ``MirroredStrategy`` even where only a CPU is present, over its logical devices.

The environment variable ``GENBOOK_STRATEGY`` overrides the choice, and ``GENBOOK_CPU_DEVICES=N`` splits the
CPU into ``N`` logical devices before TensorFlow starts (how the book tests two replicas without a GPU).

The model families build and compile inside the strategy's scope (:class:`Distributed`), and their train
steps use the pieces below so that a step on ``R`` replicas does what one step on the whole (global) batch
does on one device:

- :func:`scale_gradients`: each replica's loss is a mean over its own share of the batch and the optimizer
  *sums* the replicas' gradients, so each gradient is divided by ``R`` (the mean over the global batch);
- :func:`global_batch`: counters of images seen, and moving averages whose decay depends on the images per
  step, use the global batch, not a replica's share;
- :class:`ReplicaSeedGenerator`: without it every replica would draw the *same* noise from its copy of the
  seed state; it offsets the seed by the replica's index (replica 0, and a single device, keep the plain
  stream, so one-device runs are unchanged).

Counters that grow by one per step (a critic's step count) need nothing: each replica updates its own copy
of a mirrored variable by the same amount. Metric trackers (``keras.metrics.Mean``) sum their totals and
counts over the replicas when read.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import Iterator
from typing import Any

import keras

STRATEGIES: dict[str, str] = {
    "auto": "MirroredStrategy over all GPUs when more than one is visible, else one device (the default)",
    "one": "one device, TensorFlow's default strategy",
    "mirrored": "MirroredStrategy over all GPUs, or over the CPU's logical devices (GENBOOK_CPU_DEVICES)",
}
"""The settings of ``GENBOOK_STRATEGY`` (and of :func:`configure`'s ``setting``)."""

REPLICA_SEED_OFFSET = 1_000_003
"""Added, times the replica's index, to the first word of the seed each replica draws with."""


class StrategyError(ValueError):
    """Raised for an unknown strategy setting, or a mirrored strategy with fewer than two devices."""


_strategy: Any = None


def split_cpu(n: int) -> None:
    """Split the CPU into ``n`` logical devices (before TensorFlow has started; a no-op for ``n <= 1``)."""
    import tensorflow as tf

    if n <= 1:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == n:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError as error:  # TensorFlow has already initialised its devices
        raise StrategyError(
            f"GENBOOK_CPU_DEVICES={n} must be set before TensorFlow starts: restart the kernel (or the "
            f"process) with it in the environment. ({error})") from None


def choose_setting(setting: str | None = None) -> str:
    """The strategy setting: ``setting``, else ``GENBOOK_STRATEGY``, else ``auto``; a clear error if unknown."""
    env = os.environ.get("GENBOOK_STRATEGY", "").strip()
    chosen = (env or setting or "auto").strip().lower()
    if chosen not in STRATEGIES:
        source = "GENBOOK_STRATEGY" if env else "the strategy setting"
        raise StrategyError(f"Unknown strategy {chosen!r} (from {source}). Use one of: "
                            + "; ".join(f"{name} ({help_})" for name, help_ in STRATEGIES.items())
                            + ". Unset GENBOOK_STRATEGY for the default.")
    return chosen


def cpu_devices() -> int:
    """``GENBOOK_CPU_DEVICES`` as a number (1 when unset); a clear error when it is not a positive integer."""
    raw = os.environ.get("GENBOOK_CPU_DEVICES", "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise StrategyError(f"GENBOOK_CPU_DEVICES must be a positive whole number, got {raw!r}; unset it for one.")
    return int(raw)


def configure(setting: str | None = None) -> Any:
    """Choose the session's strategy (see the module docstring) and return it."""
    global _strategy
    import tensorflow as tf

    chosen = choose_setting(setting)
    split_cpu(cpu_devices())
    gpus = len(tf.config.list_physical_devices("GPU"))  # counted without starting TensorFlow's runtime
    if chosen == "one" or (chosen == "auto" and gpus < 2):
        _strategy = tf.distribute.get_strategy()
    else:
        devices = ([f"/gpu:{i}" for i in range(gpus)] if gpus >= 2
                   else [d.name for d in tf.config.list_logical_devices("CPU")])
        if len(devices) < 2:
            raise StrategyError("GENBOOK_STRATEGY=mirrored needs at least two devices: two GPUs, or the CPU split "
                                "with GENBOOK_CPU_DEVICES=2 (set before the kernel starts). Use 'auto' or 'one' on "
                                "one device.")
        _strategy = mirrored(devices)
    return _strategy


_MIRRORED: dict[tuple[str, ...], Any] = {}


def mirrored(devices: list[str]) -> Any:
    """The process's one ``MirroredStrategy`` over ``devices``.

    Made once per set of devices: two strategies over the same devices in one process would hand out the same
    keys to their collective (all-reduce) operations, which then abort.
    """
    import tensorflow as tf

    key = tuple(sorted(devices))
    if key not in _MIRRORED:
        _MIRRORED[key] = tf.distribute.MirroredStrategy(list(key))
    return _MIRRORED[key]


def strategy() -> Any:
    """The session's strategy (TensorFlow's default one until :func:`configure` ran)."""
    import tensorflow as tf

    return _strategy if _strategy is not None else tf.distribute.get_strategy()


def describe() -> str:
    """One line on the strategy, for the set-up message ('' on one device)."""
    current = strategy()
    if current.num_replicas_in_sync < 2:
        return ""
    return f"{type(current).__name__} over {current.num_replicas_in_sync} devices"


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """The session strategy's scope, unless a strategy's scope is open already (then that one stays)."""
    import tensorflow as tf

    if tf.distribute.has_strategy():
        yield
        return
    with strategy().scope():
        yield


def replicas() -> int:
    """How many replicas run the current step (1 outside ``tf.distribute``, and on one device)."""
    import tensorflow as tf

    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def scale_gradients(gradients: list) -> list:
    """Gradients of a replica's mean loss -> their share of the global batch's mean (divide by the replicas)."""
    n = replicas()
    if n == 1:
        return list(gradients)
    return [None if g is None else g / float(n) for g in gradients]


def global_batch(batch):
    """The images in this step over all replicas: a replica's ``batch`` times the number of replicas."""
    n = replicas()
    return batch if n == 1 else batch * n


def replica_index():
    """This replica's index within its step (0 outside a replica context and on one device)."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or replicas() == 1:
        return 0
    return context.replica_id_in_sync_group


@keras.saving.register_keras_serializable(package="genbook")
class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A :class:`keras.random.SeedGenerator` whose draws differ between replicas of a distributed step.

    Every replica holds a copy of the seed state and advances it identically; the seed each replica returns
    is offset by ``replica index x`` :data:`REPLICA_SEED_OFFSET`, so each replica draws its own noise. On one
    device (and on replica 0) the draws are those of a plain ``SeedGenerator``.
    """

    def next(self, ordered: bool = True):
        seed = super().next(ordered=ordered)
        index = replica_index()
        if isinstance(index, int) and index == 0:
            return seed
        offset = keras.ops.cast(index, seed.dtype) * REPLICA_SEED_OFFSET
        return seed + keras.ops.stack([offset, keras.ops.zeros_like(offset)])


def tf_in_scope(target: Any) -> bool:
    """True inside ``target``'s scope."""
    import tensorflow as tf

    return tf.distribute.has_strategy() and tf.distribute.get_strategy() is target


def _same_strategy_optimizer(value: Any, target: Any) -> Any:
    """``value`` itself, or a copy of an unbuilt optimizer made under another strategy (call in ``target``'s scope)."""
    if not isinstance(value, keras.optimizers.Optimizer) or value.built:
        return value
    if getattr(value, "_distribution_strategy", target) is target:
        return value
    return type(value).from_config(value.get_config())


class Distributed:
    """Mixin for the book's models: built (``__init__``), compiled and their optimizers built inside a scope.

    ``__init__`` runs in the session strategy's scope; ``compile`` and ``build_optimizers`` in the scope of
    the strategy the model was built under.

    ``compile`` also remakes, inside the scope, an optimizer that a notebook created outside it (an unbuilt
    optimizer belongs to the strategy it was created under), so the same notebook code runs on one device
    and on several. Subclasses inherit the behaviour for their own ``__init__`` and ``compile``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = in_scope(cls.__dict__["__init__"])
        for method in ("compile", "build_optimizers"):
            if hasattr(cls, method):  # also keras.Model's own compile, for subclasses that do not override it
                setattr(cls, method, _compile_in_scope(getattr(cls, method)))


def _compile_in_scope(compile_: Any) -> Any:
    if getattr(compile_, "_genbook_scoped", False):
        return compile_

    @functools.wraps(compile_)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> None:
        target = self.distribute_strategy
        with contextlib.nullcontext() if tf_in_scope(target) else target.scope():
            args = tuple(_same_strategy_optimizer(a, target) for a in args)
            kwargs = {k: _same_strategy_optimizer(v, target) for k, v in kwargs.items()}
            return compile_(self, *args, **kwargs)

    wrapped._genbook_scoped = True  # type: ignore[attr-defined]
    return wrapped


def in_scope(function: Any) -> Any:
    """Decorator: run ``function`` (a model factory, or a model's ``__init__``) in the session strategy's scope."""
    if getattr(function, "_genbook_scoped", False):
        return function

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with scope():
            return function(*args, **kwargs)

    wrapped._genbook_scoped = True  # type: ignore[attr-defined]
    wrapped.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]  # Keras reads __init__'s arguments
    return wrapped
