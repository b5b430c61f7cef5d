"""Run modes and budgets, seeding and determinism, paths, Colab/Kaggle/GPU detection and the device strategy.

Every notebook starts with ``settings = config.setup(MODE, "ch01")``. The mode decides how much work
the notebook does; the budget table below is the one place where those amounts live.

Environment variables (all optional):

``GENBOOK_MODE``            overrides the notebook's ``MODE`` (``smoke``, ``book``, ``full`` or ``preflight``)
``GENBOOK_OFFLINE``         ``1``: never try to download, use the packaged offline copies
``GENBOOK_DATA_DIR``        where offline data packages live (default ``~/.cache/genbook/data``)
``GENBOOK_CACHE_DIR``       cached classifiers and other artefacts (default ``~/.cache/genbook/cache``)
``GENBOOK_CHECKPOINT_DIR``  root of the checkpoints (default ``<cache>/checkpoints``)
``GENBOOK_STRATEGY``        ``auto`` (default), ``one`` or ``mirrored``: see :mod:`helpers.distribute`
``GENBOOK_CPU_DEVICES``     split the CPU into this many logical devices (testing ``mirrored`` without GPUs)
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

MODES: tuple[str, ...] = ("smoke", "book", "full")
"""The run modes, from cheapest to most expensive."""

PREFLIGHT = "preflight"
"""A CI check of ``full`` mode: its budget with the amounts of ``smoke`` (see :data:`PREFLIGHT_AMOUNTS`)."""

MODE_HELP = {
    "smoke": "CI: tiny budgets, every code path runs once (under a minute per notebook)",
    "book": "the committed outputs: a few minutes per notebook on a 2-core CPU",
    "full": "a Colab GPU: up to about 45 minutes per notebook, aiming at published quality",
    PREFLIGHT: "CI: full mode's shapes and paths at smoke's amounts, with stand-in data where full downloads",
}


class ModeError(ValueError):
    """Raised for a run mode that does not exist."""


# Chapter 7's mode-collapse study: the GAN variants its book and full runs train on the Gaussian ring.
RING_METHODS: tuple[str, ...] = ("vanilla", "PacGAN, m = 2", "PacGAN, m = 4", "R1 penalty", "minibatch discrimination",
                                 "experience replay")

# One budget per chapter and mode. A notebook reads only its own row; keep the smoke column tiny.
BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "ch00": {
        "smoke": {"n_show": 16},
        "book": {"n_show": 40},
        "full": {"n_show": 40},
    },
    "ch01": {
        "smoke": {"cloud_epochs": 5, "train_size": 2_000, "ae_epochs": 1, "code_sizes": [2, 16]},
        "book": {"cloud_epochs": 200, "train_size": 55_000, "ae_epochs": 15, "code_sizes": [2, 8, 16, 32, 64]},
        "full": {"cloud_epochs": 400, "train_size": 55_000, "ae_epochs": 40, "code_sizes": [2, 8, 16, 32, 64, 128]},
    },
    "ch02": {
        "smoke": {"train_size": 1_000, "epochs": 1, "greedy_epochs": 1, "tsne_points": 300, "n_labels": 500,
                  "n_seeds": 1, "clf_epochs": 2},
        "book": {"train_size": 55_000, "epochs": 10, "greedy_epochs": 5, "tsne_points": 2_000, "n_labels": 500,
                 "n_seeds": 3, "clf_epochs": 40},
        "full": {"train_size": 55_000, "epochs": 30, "greedy_epochs": 10, "tsne_points": 5_000, "n_labels": 500,
                 "n_seeds": 5, "clf_epochs": 60},
    },
    "ch03": {
        "smoke": {"train_size": 500, "epochs": 1, "code_size": 30, "test_size": 500, "sweep_code_sizes": (5,)},
        "book": {"train_size": 20_000, "epochs": 6, "code_size": 30, "test_size": 10_000,
                 "sweep_code_sizes": (5, 30, 120)},
        "full": {"train_size": 55_000, "epochs": 20, "code_size": 30, "test_size": 10_000,
                 "sweep_code_sizes": (5, 30, 120)},
    },
    "ch04": {
        "smoke": {"train_size": 1_000, "epochs": 1, "sparse_epochs": 1, "clf_epochs": 1, "sweep_epochs": 1},
        "book": {"train_size": 55_000, "epochs": 8, "sparse_epochs": 8, "clf_epochs": 30, "sweep_epochs": 3},
        "full": {"train_size": 55_000, "epochs": 30, "sparse_epochs": 30, "clf_epochs": 60, "sweep_epochs": 10},
    },
    "ch05": {
        "smoke": {"train_size": 1_000, "epochs": 1, "epochs_2d": 1, "ae_epochs": 1},
        "book": {"train_size": 55_000, "epochs": 20, "epochs_2d": 15, "ae_epochs": 5},
        "full": {"train_size": 55_000, "epochs": 50, "epochs_2d": 30, "ae_epochs": 10},
    },
    "ch06": {
        "smoke": {"train_size": 500, "epochs": 1, "cvae_epochs": 1, "iw_k": 5, "iw_images": 50, "clf_epochs": 1,
                  "repeats": 5, "ex_epochs": 1},
        "book": {"train_size": 7_200, "epochs": 20, "cvae_epochs": 15, "iw_k": 100, "iw_images": 1_000,
                 "clf_epochs": 8, "repeats": 100, "ex_epochs": 5},
        "full": {"train_size": 60_000, "epochs": 100, "cvae_epochs": 50, "iw_k": 1_000, "iw_images": 5_000,
                 "clf_epochs": 10, "repeats": 200, "ex_epochs": 20},
    },
    "ch07": {
        "smoke": {"train_size": 500, "epochs": 2, "resume_at": 1, "classic_steps": 3, "speed_steps": 3,
                  "clf_epochs": 1, "fid_n": 200, "ring_size": 10_240, "ring_batch": 256, "ring_steps": 50,
                  "ring_seeds": 1, "ring_methods": ("vanilla", "PacGAN, m = 2")},
        "book": {"train_size": 55_000, "epochs": 12, "resume_at": 8, "classic_steps": 300, "speed_steps": 200,
                 "clf_epochs": 2, "fid_n": 5_000, "ring_size": 10_240, "ring_batch": 256, "ring_steps": 5_000,
                 "ring_seeds": 5, "ring_methods": RING_METHODS},
        "full": {"train_size": 55_000, "epochs": 60, "resume_at": 30, "classic_steps": 1_000, "speed_steps": 500,
                 "clf_epochs": 5, "fid_n": 5_000, "ring_size": 10_240, "ring_batch": 256, "ring_steps": 5_000,
                 "ring_seeds": 10, "ring_methods": RING_METHODS},
    },
    "ch08": {
        "smoke": {"train_size": 500, "epochs": 1, "cgan_epochs": 1, "clf_epochs": 1, "fid_n": 200, "share_n": 500,
                  "pool_n": 300},
        "book": {"train_size": 55_000, "epochs": 4, "cgan_epochs": 5, "clf_epochs": 2, "fid_n": 5_000,
                 "share_n": 10_000, "pool_n": 2_000},
        "full": {"train_size": 55_000, "epochs": 30, "cgan_epochs": 30, "clf_epochs": 5, "fid_n": 5_000,
                 "share_n": 10_000, "pool_n": 5_000},
    },
    "ch09": {
        "smoke": {"train_size": 500, "epochs": 1, "clf_epochs": 1, "monitor_every": 2, "monitor_n": 100, "fid_n": 200,
                  "norm_n": 200, "ex_steps": 5, "ex_images": 128, "fragile_seeds": 2, "fragile_size": 500,
                  "fragile_epochs": 1},
        "book": {"train_size": 55_000, "epochs": 2, "clf_epochs": 2, "monitor_every": 86, "monitor_n": 1_000,
                 "fid_n": 5_000, "norm_n": 2_000, "ex_steps": 300, "ex_images": 2_000, "fragile_seeds": 3,
                 "fragile_size": 40_000, "fragile_epochs": 1},
        "full": {"train_size": 55_000, "epochs": 20, "clf_epochs": 5, "monitor_every": 500, "monitor_n": 2_000,
                 "fid_n": 5_000, "norm_n": 5_000, "ex_steps": 2_000, "ex_images": 10_000, "fragile_seeds": 3,
                 "fragile_size": 55_000, "fragile_epochs": 5},
    },
    "ch10": {
        "smoke": {"image_size": 32, "max_emoji": 80, "g_filters": 16, "d_filters": 32, "batch_size": 4, "epochs": 1,
                  "n_show": 6, "paired_epochs": 1, "retrieval_group": 10, "outline_dataset": "mnist",
                  "outline_train": 64, "outline_test": 50, "outline_classifier_epochs": 1, "outline_batch": 8,
                  "outline_epochs": 1, "outline_steps_per_epoch": 2, "judge_epochs": 2},
        "book": {"image_size": 32, "max_emoji": 2_000, "g_filters": 16, "d_filters": 32, "batch_size": 8, "epochs": 16,
                 "n_show": 8, "paired_epochs": 6, "retrieval_group": 100, "outline_dataset": "mnist",
                 "outline_train": 4_000, "outline_test": 1_000, "outline_classifier_epochs": 5, "outline_batch": 16,
                 "outline_epochs": 2, "outline_steps_per_epoch": 250, "judge_epochs": 40},
        "full": {"image_size": 64, "max_emoji": 2_000, "g_filters": 32, "d_filters": 64, "batch_size": 8,
                 "epochs": 60, "n_show": 8, "paired_epochs": 30, "retrieval_group": 100, "outline_dataset": "mnist",
                 "outline_train": 30_000, "outline_test": 1_000, "outline_classifier_epochs": 5, "outline_batch": 16,
                 "outline_epochs": 12, "outline_steps_per_epoch": 500, "judge_epochs": 40},
    },
    "ch11": {
        "smoke": {"size": 32, "steps": 4, "every": 2, "sweep_size": 32, "sweep_steps": 2, "fast_size": 32,
                  "fast_crops": 8, "fast_epochs": 1, "fast_filters": 16, "fast_batch": 4,
                  "sweep_weights": (1.0, 10.0)},
        "book": {"size": 128, "steps": 100, "every": 25, "sweep_size": 96, "sweep_steps": 40, "fast_size": 64,
                 "fast_crops": 320, "fast_epochs": 1, "fast_filters": 16, "fast_batch": 4,
                 "sweep_weights": (1.0, 10.0, 100.0)},
        "full": {"size": 384, "steps": 600, "every": 100, "sweep_size": 256, "sweep_steps": 300, "fast_size": 256,
                 "fast_crops": 8_000, "fast_epochs": 1, "fast_filters": 32, "fast_batch": 8,
                 "sweep_weights": (1.0, 10.0, 100.0, 1000.0)},
    },
    "ch12": {
        "smoke": {"dataset": "fashion_mnist", "resolution": 32, "train_size": 64, "fade_epochs": [0, 1, 1, 1, 1],
                  "stable_epochs": [1, 0, 0, 0, 0], "batch_size": 32, "latent_dim": 64,
                  "channels": [64, 32, 16, 8, 8], "loss": "logistic", "r1_gamma": 1.0, "r1_interval": 16,
                  "learning_rate": 2.5e-3, "ema_half_life": 10_000.0, "clf_size": 1_000, "clf_epochs": 1,
                  "fid_n": 200},
        "book": {"dataset": "fashion_mnist", "resolution": 32, "train_size": 30_000, "fade_epochs": [0, 1, 1, 1, 1],
                 "stable_epochs": [1, 1, 1, 3, 3], "batch_size": 64, "latent_dim": 64,
                 "channels": [64, 32, 16, 8, 8], "loss": "logistic", "r1_gamma": 1.0, "r1_interval": 16,
                 "learning_rate": 2.5e-3, "ema_half_life": 10_000.0, "clf_size": 55_000, "clf_epochs": 2,
                 "fid_n": 5_000},
        "full": {"dataset": "celeba", "resolution": 64, "train_size": 50_000, "fade_epochs": [0, 2, 2, 2, 2],
                 "stable_epochs": [2, 3, 3, 3, 6], "batch_size": 64, "latent_dim": 128,
                 "channels": [128, 128, 64, 32, 16], "loss": "logistic", "r1_gamma": 1.0, "r1_interval": 16,
                 "learning_rate": 2.5e-3, "ema_half_life": 10_000.0, "clf_size": 55_000, "clf_epochs": 2,
                 "fid_n": 5_000},
    },
    "ch13": {
        "smoke": {"dataset": "fashion_mnist", "resolution": 32, "train_size": 64, "fade_epochs": [0, 0, 0, 1, 1],
                  "stable_epochs": [0, 0, 0, 0, 0], "batch_size": 32, "latent_dim": 64, "w_dim": 64,
                  "mapping_layers": 2, "mixing_prob": 0.5, "channels": [64, 32, 16, 8, 8],
                  "style_layer": "modulated", "const_init": "normal", "upsampling": "bilinear", "loss": "logistic",
                  "r1_gamma": 1.0, "r1_interval": 16, "learning_rate": 2.5e-3, "ema_half_life": 10_000.0,
                  "compare_designs": [0, 4], "compare_size": 32, "compare_fade_epochs": [0, 0, 0, 0, 0],
                  "compare_stable_epochs": [0, 0, 0, 1, 1], "compare_fid_n": 100, "clf_size": 1_000, "clf_epochs": 1,
                  "mix_pairs": 50, "fid_n": 200},
        "book": {"dataset": "fashion_mnist", "resolution": 32, "train_size": 30_000, "fade_epochs": [0, 1, 1, 1, 1],
                 "stable_epochs": [1, 1, 1, 6, 6], "batch_size": 64, "latent_dim": 64, "w_dim": 64,
                 "mapping_layers": 2, "mixing_prob": 0.5, "channels": [64, 32, 16, 8, 8],
                 "style_layer": "modulated", "const_init": "normal", "upsampling": "bilinear", "loss": "logistic",
                 "r1_gamma": 1.0, "r1_interval": 16, "learning_rate": 2.5e-3, "ema_half_life": 10_000.0,
                 "compare_designs": [0, 1, 2, 3, 4], "compare_size": 3_000,
                 "compare_fade_epochs": [0, 1, 1, 1, 1], "compare_stable_epochs": [1, 1, 1, 6, 6],
                 "compare_fid_n": 2_000, "clf_size": 55_000, "clf_epochs": 2, "mix_pairs": 1_000, "fid_n": 5_000},
        "full": {"dataset": "celeba", "resolution": 64, "train_size": 50_000, "fade_epochs": [0, 2, 2, 2, 2],
                 "stable_epochs": [2, 3, 3, 3, 4], "batch_size": 64, "latent_dim": 128, "w_dim": 128,
                 "mapping_layers": 8, "mixing_prob": 0.9, "channels": [128, 128, 64, 32, 16],
                 "style_layer": "modulated", "const_init": "normal", "upsampling": "bilinear", "loss": "logistic",
                 "r1_gamma": 1.0, "r1_interval": 16, "learning_rate": 2.5e-3, "ema_half_life": 10_000.0,
                 "compare_designs": [0, 1, 2, 3, 4], "compare_size": 5_000,
                 "compare_fade_epochs": [0, 1, 1, 1, 1], "compare_stable_epochs": [1, 1, 1, 1, 2],
                 "compare_fid_n": 2_000, "clf_size": 55_000, "clf_epochs": 2, "mix_pairs": 1_000, "fid_n": 5_000},
    },
}


# The budget entries that are *amounts* (epochs, steps, sample and data sizes, how many runs): the preflight
# takes them from smoke. Every other entry is a *shape* (image sizes, widths, batch sizes, data sets, model
# variants) and the preflight keeps full mode's value, so an entry a chapter adds is exercised at its full
# value until it is listed here.
PREFLIGHT_AMOUNTS: dict[str, frozenset[str]] = {chapter: frozenset(keys) for chapter, keys in {
    "ch00": ("n_show",),
    "ch01": ("cloud_epochs", "train_size", "ae_epochs"),
    "ch02": ("train_size", "epochs", "greedy_epochs", "tsne_points", "n_labels", "n_seeds", "clf_epochs"),
    "ch03": ("train_size", "epochs", "test_size"),
    "ch04": ("train_size", "epochs", "sparse_epochs", "clf_epochs", "sweep_epochs"),
    "ch05": ("train_size", "epochs", "epochs_2d", "ae_epochs"),
    "ch06": ("train_size", "epochs", "cvae_epochs", "iw_images", "clf_epochs", "repeats", "ex_epochs"),
    "ch07": ("train_size", "epochs", "resume_at", "classic_steps", "speed_steps", "clf_epochs", "fid_n", "ring_steps",
             "ring_seeds"),
    "ch08": ("train_size", "epochs", "cgan_epochs", "clf_epochs", "fid_n", "share_n", "pool_n"),
    "ch09": ("train_size", "epochs", "clf_epochs", "monitor_every", "monitor_n", "fid_n", "norm_n", "ex_steps",
             "ex_images", "fragile_seeds", "fragile_size", "fragile_epochs"),
    "ch10": ("max_emoji", "epochs", "n_show", "paired_epochs", "retrieval_group", "outline_train", "outline_test",
             "outline_classifier_epochs", "outline_epochs", "outline_steps_per_epoch", "judge_epochs"),
    "ch11": ("steps", "every", "sweep_steps", "fast_crops", "fast_epochs", "sweep_weights"),
    "ch12": ("train_size", "fade_epochs", "stable_epochs", "clf_size", "clf_epochs", "fid_n"),
    "ch13": ("train_size", "fade_epochs", "stable_epochs", "compare_designs", "compare_size", "compare_fade_epochs",
             "compare_stable_epochs", "compare_fid_n", "clf_size", "clf_epochs", "mix_pairs", "fid_n"),
}.items()}


@dataclass(frozen=True)
class Settings:
    """What ``setup`` resolved: the mode, the seed and this chapter's budget."""

    mode: str
    seed: int
    chapter: str | None = None
    budget: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, key: str) -> Any:
        return self.budget[key]


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def is_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def is_kaggle() -> bool:
    """True inside a Kaggle notebook (Kaggle sets ``KAGGLE_KERNEL_RUN_TYPE`` in its kernels)."""
    return "KAGGLE_KERNEL_RUN_TYPE" in os.environ


def platform_name() -> str:
    """Where the notebook runs: ``Colab``, ``Kaggle`` or ``a local machine``."""
    return "Colab" if is_colab() else "Kaggle" if is_kaggle() else "a local machine"


def offline() -> bool:
    """True when downloads must not be tried (``GENBOOK_OFFLINE=1``)."""
    return os.environ.get("GENBOOK_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def headless() -> bool:
    """True when no one watches the output as it comes (``GENBOOK_HEADLESS=1``: the book's runs and CI)."""
    return os.environ.get("GENBOOK_HEADLESS", "") == "1"


def _interactive() -> bool:
    """True in a Jupyter or Colab kernel, or with a terminal on standard output."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def progress_verbose() -> int:
    """Keras' ``verbose`` for long trainings: 1 (a live bar within each epoch) or 2 (one line per epoch).

    Interactive sessions (Jupyter, Colab, a terminal) get the bar; headless runs (:func:`headless`, and output
    that is not a terminal) get one line per epoch, which is what the committed notebooks keep. The
    environment variable ``GENBOOK_PROGRESS`` (``bar`` or ``epoch``) overrides both, for instance
    ``GENBOOK_PROGRESS=epoch`` for your own papermill runs, which cannot be told apart from Jupyter.
    """
    choice = os.environ.get("GENBOOK_PROGRESS", "").strip().lower()
    if choice in {"bar", "epoch"}:
        return 1 if choice == "bar" else 2
    if choice:
        raise ValueError(f"GENBOOK_PROGRESS must be 'bar' or 'epoch', got {choice!r}; unset it for the default.")
    return 1 if _interactive() and not headless() else 2


def resolve_mode(mode: str = "auto") -> str:
    """Turn a notebook's ``MODE`` into one of :data:`MODES`.

    ``GENBOOK_MODE`` wins over the argument (nbval cannot pass parameters); ``auto`` means ``full``
    on a GPU and ``book`` on a CPU.
    """
    env = os.environ.get("GENBOOK_MODE", "").strip()
    chosen = (env or mode or "auto").strip().lower()
    if chosen == "auto":
        return "full" if gpu_available() else "book"
    if chosen not in MODE_HELP:
        source = "GENBOOK_MODE" if env else "MODE"
        raise ModeError(
            f"Unknown run mode {chosen!r} (from {source}). Use one of: auto, "
            + ", ".join(MODE_HELP) + ". " + "; ".join(f"{m}: {h}" for m, h in MODE_HELP.items())
        )
    return chosen


def budget(chapter: str, mode: str) -> MappingProxyType:
    """The read-only budget of ``chapter`` in ``mode``; for the preflight, full's with smoke's amounts."""
    if chapter not in BUDGETS:
        raise KeyError(f"No budget for chapter {chapter!r}; known chapters: {', '.join(sorted(BUDGETS))}")
    if mode not in MODE_HELP:
        raise ModeError(f"Unknown run mode {mode!r}; use one of {', '.join(MODE_HELP)}")
    if mode == PREFLIGHT:
        rows, amounts = BUDGETS[chapter], PREFLIGHT_AMOUNTS.get(chapter, frozenset())
        return MappingProxyType({key: rows["smoke" if key in amounts else "full"][key] for key in rows["full"]})
    return MappingProxyType(dict(BUDGETS[chapter][mode]))


def preflight() -> bool:
    """Whether this run is the preflight of full mode (``GENBOOK_MODE=preflight``): data that full mode
    downloads is replaced by stand-ins of the same shape."""
    return os.environ.get("GENBOOK_MODE", "").strip().lower() == PREFLIGHT


def set_seed(seed: int = 42, deterministic: bool | None = None) -> None:
    """Seed Python, NumPy and TensorFlow; with ``deterministic`` also enable op determinism.

    On a CPU the same seed then gives the same numbers run after run. ``None`` (the default) enables op
    determinism only where no GPU is visible: on a GPU it would force slower deterministic kernels, and
    Keras compiles no train step with XLA while it is on (``compile``'s ``jit_compile="auto"`` falls back
    to plain graphs), so a Colab GPU keeps both speed-ups and the CPU runs of the book stay reproducible.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic is None:
        deterministic = not gpu_available()
    if deterministic:
        tf.config.experimental.enable_op_determinism()


_current_chapter: str | None = None
_current_mode: str | None = None


def current_mode() -> str:
    """The mode the last :func:`setup` resolved (before any setup: :func:`resolve_mode` of ``"auto"``)."""
    return _current_mode or resolve_mode()


def current_chapter() -> str | None:
    """The chapter named in the last :func:`setup` call (checkpoints are kept per chapter)."""
    return _current_chapter


def setup(mode: str = "auto", chapter: str | None = None, seed: int = 42, verbose: bool = True) -> Settings:
    """Resolve the mode, seed everything and return the chapter's :class:`Settings`.

    Also quietens TensorFlow's Python logger (retracing notices and similar) to errors only.
    """
    global _current_chapter, _current_mode
    import logging

    from helpers import distribute

    resolved = resolve_mode(mode)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    distribute.configure()
    set_seed(seed)
    _current_chapter, _current_mode = chapter, resolved
    chosen = budget(chapter, resolved) if chapter else MappingProxyType({})
    settings = Settings(mode=resolved, seed=seed, chapter=chapter, budget=chosen)
    if resolved == "full" and not gpu_available():
        warn_full_on_cpu()
    if verbose:
        device = "GPU" if gpu_available() else "CPU"
        replicas = distribute.describe()
        print(f"mode={resolved} ({MODE_HELP[resolved]}); seed={seed}; {device} on {platform_name()}"
              + (f"; {replicas}" if replicas else ""))
        if chosen:
            print("budget: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    if chapter:
        _t4_estimate(chapter, verbose)
    return settings


def _t4_estimate(chapter: str, verbose: bool) -> None:
    """Glue ``<chapter>_t4`` (full mode's estimated minutes on one Colab T4) and print it."""
    from helpers import estimates, report

    if chapter not in estimates.T4_MINUTES:
        return
    text = estimates.t4_text(chapter)
    report.glue_quietly(f"{chapter}_t4", text)
    if verbose:
        print(f"full mode on one Colab T4: about {text} min (estimated, not measured)")


_warned_full_on_cpu = False


def warn_full_on_cpu() -> None:
    """Say once per session that full mode on a CPU takes hours, and that ``book`` mode is meant for a CPU."""
    global _warned_full_on_cpu
    if _warned_full_on_cpu:
        return
    _warned_full_on_cpu = True
    print("Warning: full mode is meant for a GPU; on this CPU it will take hours per chapter. "
          "Use MODE = \"book\" (a few minutes per chapter) unless you mean to wait.", file=sys.stderr)


def _dir_from_env(var: str, default: Path) -> Path:
    path = Path(os.environ.get(var, "") or default).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Where offline data packages (npm) are installed."""
    return _dir_from_env("GENBOOK_DATA_DIR", Path.home() / ".cache" / "genbook" / "data")


def cache_dir() -> Path:
    """Where cached artefacts (trained domain classifiers, downloads) are kept."""
    return _dir_from_env("GENBOOK_CACHE_DIR", Path.home() / ".cache" / "genbook" / "cache")


def checkpoint_dir(name: str, mode: str | None = None) -> Path:
    """The checkpoint folder of one notebook; modes never share checkpoints."""
    root = _dir_from_env("GENBOOK_CHECKPOINT_DIR", cache_dir() / "checkpoints")
    path = root / (mode or resolve_mode()) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def environment_report() -> dict[str, str]:
    """Versions of the libraries the book relies on, the device and the platform."""
    import importlib.metadata as md

    report = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for dist in ("tensorflow", "keras", "numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets"):
        try:
            report[dist] = md.version(dist)
        except md.PackageNotFoundError:
            report[dist] = "not installed"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    report["gpu"] = ", ".join(g.name for g in gpus) if gpus else "none (CPU only)"
    report["colab"] = str(is_colab())
    report["offline"] = str(offline())
    return report
