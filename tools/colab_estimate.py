"""Colab (T4) time estimates for every chapter, from FLOP counts and the measured CPU throughput.

Usage: ``python tools/colab_estimate.py [--markdown]``

Method (issue 17, item 4). No GPU is needed: the estimate is computed, not measured.

1. :data:`PHASES` declares, per chapter, every training in its notebook (one entry per training cell): which
   networks one training image passes through and how often, the batch size, and the number of images seen as
   a formula of the chapter's budget row (``helpers.config.BUDGETS``). A GAN step counts each real image once
   with the generator and discriminator passes of its step; style-transfer optimisation counts one image of the
   budget's size per step. Side computations that matter (FID samples, importance sampling, monitors) are
   forward-only ``evaluation`` runs; the rest (t-SNE, PCA, nearest neighbours: CPU work; probes of a few
   hundred images; validation passes) is left out and covered by the fixed overhead.
2. Forward FLOPs per image come from TensorFlow's profiler (``tf.compat.v1.profiler`` with
   ``ProfileOptionBuilder.float_operation()``) on the graph of a traced ``tf.function`` of each network's
   forward pass at that mode's shapes (batch of :data:`TRACE_BATCH`, divided back to one image). RNN layers are
   traced unrolled, since the profiler does not look inside a while loop. A training pass costs
   :data:`TRAIN_FACTOR` = 3 forward passes (forward + backward for activations and weights).
3. ``W`` = sum over runs of images x passes x FLOPs per pass (x 3 when training). ``R_cpu = W_book / t_book``
   with ``t_book`` the notebook's measured book-mode time (``metadata.genbook.seconds``, whole notebook with
   kernel start, data loading and plots), so ``R_cpu`` is a *lower bound* on the CPU's achieved FLOP/s.
4. T4: ``t = W_full / (8.1e12 x u) + optimizer updates x 3 ms + 60 s``, with the utilisation ``u`` of the
   T4's FP32 peak between 0.40 (the low estimate) and 0.15 (the high one) for these small models, 3 ms per
   optimizer update as the kernel-launch floor of a small model's step, and 60 s per chapter for the kernel
   start, data loading and evaluations (what a smoke run costs).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers import config, data  # noqa: E402
from helpers.config import BUDGETS  # noqa: E402

T4_PEAK_FLOPS = 8.1e12
"""NVIDIA T4 FP32 peak (FLOP/s); the Colab free tier's GPU."""
UTILISATION = (0.40, 0.15)
"""Share of the peak that these small models reach: (optimistic -> low estimate, pessimistic -> high estimate)."""
STEP_OVERHEAD_S = 0.003
"""Per optimizer update: the kernel-launch and host floor of a small model's training step on a GPU."""
FIXED_OVERHEAD_S = 60.0
"""Per chapter: kernel start, imports, data loading, plots and small evaluations (about a smoke run)."""
TRAIN_FACTOR = 3.0
"""FLOPs of a training pass in forward passes: forward + backward (activation and weight gradients)."""
TRACE_BATCH = 4
"""The batch the forward passes are traced at (4: the minibatch std-dev layers group 4 images)."""



def mnist_train() -> int:
    """The training images of (Fashion-)MNIST after ``data.load_dataset``'s validation split, as Colab loads them."""
    return data.dataset_sizes("fashion_mnist")["train"]


def notebook_constant(notebook: str, name: str) -> Any:
    """The literal a notebook assigns to ``name`` at the top level of a code cell (``CATEGORIES = (...)``)."""
    import nbformat

    for cell in nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4).cells:
        if cell.cell_type != "code" or f"{name} =" not in cell.source:
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.parse(code).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
                return ast.literal_eval(node.value)
    raise LookupError(f"notebooks/{notebook}.ipynb assigns no literal to {name}.")


@cache
def emoji_split(max_emoji: int) -> dict[str, int]:
    """Chapter 10's emoji splits: ``data.emoji_split_sizes`` with the chapter's categories, cap and seed."""
    seed = inspect.signature(config.setup).parameters["seed"].default
    return data.emoji_split_sizes(categories=notebook_constant("10_cyclegan", "CATEGORIES"), max_emoji=max_emoji,
                                  seed=seed)

Budget = Mapping[str, Any]


# ----------------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Net:
    """A network whose forward pass is counted: a builder name of :data:`BUILDERS` and its keyword arguments."""

    kind: str
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, kind: str, **kwargs: Any) -> Net:
        """``Net.of("dense_ae", code_size=30)``, with hashable (tuple) argument values."""
        return cls(kind, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())))


@dataclass(frozen=True)
class Run:
    """One training (or evaluation) run: ``images`` samples, each through ``nets`` (network, passes) once."""

    nets: tuple[tuple[Net, float], ...]
    images: float
    batch: int
    updates: int = 1  # optimizer updates per batch: 2 for a GAN (D and G), 6 for a WGAN with 5 critic steps
    train: bool = True  # False: forward passes only (evaluation)
    cache_key: str | None = None  # a domain classifier's cache file: trained once per machine, reused after


@dataclass(frozen=True)
class Phase:
    """One training cell of a notebook and the runs it makes from the budget row."""

    cell: str
    what: str
    runs: Callable[[Budget], list[Run]] = field(repr=False)


def mnist_n(b: Budget) -> int:
    """Training images of an MNIST-like data set for ``train_size`` (at most the training split)."""
    return min(int(b["train_size"]), mnist_train())


def gan_nets(g: Net, d: Net, d_steps: int = 1, penalty_passes: float = 0.0) -> tuple[tuple[Net, float], ...]:
    """Passes per real image of one GAN step: each critic step G(z) once and D on real and fake (plus a penalty's
    passes); the generator step G and D once more."""
    return ((g, d_steps + 1.0), (d, d_steps * (2.0 + penalty_passes) + 1.0))


def fid_run(g: Net, n: int, clf_side: int = 28) -> Run:
    """Classifier FID: ``n`` generated images and ``n`` real ones through the domain classifier."""
    return Run(((g, 1.0), (Net.of("small_cnn", side=clf_side), 2.0)), n, 512, train=False)


def clf_run(n: int, epochs: int, side: int = 28, count: int = 1, name: str = "fashion_mnist") -> list[Run]:
    """``metrics.domain_classifier``: a small CNN on ``n`` images for ``epochs`` epochs.

    Its weights are cached as ``<name>_<n>_<epochs>``: a sequential book run trains each file once (the first
    chapter that asks for it), a fresh Colab session trains it in every chapter.
    """
    return [Run(((Net.of("small_cnn", side=side), 1.0),), n * epochs, 128, cache_key=f"{name}{i}_{n}_{epochs}")
            for i in range(count)]


def ae(**kwargs: Any) -> tuple[tuple[Net, float], ...]:
    """One pass through ``dense_autoencoder(**kwargs)``."""
    return ((Net.of("dense_ae", **kwargs), 1.0),)


def _ch02_classifiers(b: Budget) -> list[Run]:
    clf = ((Net.of("encoder_clf", code_size=30, hidden=(100,)), 1.0),)
    per_seed = 2 * b["clf_epochs"] + b["clf_epochs"] // 2  # scratch, frozen, fine-tuned
    return [Run(clf, b["n_labels"] * per_seed, 32) for _ in range(b["n_seeds"])] + [Run(clf, 100 * per_seed, 32)]


def _ch06_iw(b: Budget) -> list[Run]:
    ks = [k for k in (1, 10) if k < b["iw_k"]] + [b["iw_k"]]
    return [Run(((Net.of("conv_vae", latent_dim=16, part="decoder"), 1.0),), b["iw_images"] * sum(ks), 100,
                train=False)]


def _ch07_gan() -> tuple[tuple[Net, float], ...]:
    return gan_nets(Net.of("mlp_gan", part="g", latent_dim=64, hidden=(256, 512)),
                    Net.of("mlp_gan", part="d", latent_dim=64, hidden=(256, 512)))


def _ch07_ring() -> tuple[tuple[Net, float], ...]:
    kw = {"latent_dim": 16, "hidden": (128, 128), "image_shape": (2,), "output_activation": "linear"}
    return gan_nets(Net.of("mlp_gan", part="g", **kw), Net.of("mlp_gan", part="d", **kw))


def _dcgan(part: str, conditional: bool = False) -> Net:
    return Net.of("dcgan", part=part, conditional=conditional)


def _ch09_wgan(b: Budget) -> list[Run]:
    steps = b["epochs"] * math.ceil(mnist_train() / 64)
    runs = []
    for penalty in ("clip", "gp", "div"):
        g = Net.of("wgan", part="g", penalty=penalty, arch="mlp")
        d = Net.of("wgan", part="d", penalty=penalty, arch="mlp")
        # 5 critic steps per batch; the gradient and divergence penalties add one pass on interpolates
        runs.append(Run(gan_nets(g, d, d_steps=5, penalty_passes=0.0 if penalty == "clip" else 1.0),
                        b["epochs"] * mnist_n(b), 64, updates=6))
        # QualityMonitor: every monitor_every steps, monitor_n fakes, scores of real and fake, classifier features
        runs.append(Run(((g, 1.0), (d, 2.0), (Net.of("small_cnn", side=28), 1.0)),
                        (steps // b["monitor_every"]) * b["monitor_n"], 512, train=False))
        runs.append(fid_run(g, b["fid_n"]))  # cell 20
    return runs


def _ch09_fragile(b: Budget) -> list[Run]:
    # cell 22: the standard GAN on WGAN-GP's networks (5 discriminator steps, no penalty) and WGAN-GP, per seed
    g = Net.of("wgan", part="g", penalty="gp", arch="mlp")
    d = Net.of("wgan", part="d", penalty="gp", arch="mlp")
    runs = []
    for penalty_passes in (0.0, 1.0):
        for _ in range(b["fragile_seeds"]):
            runs.append(Run(gan_nets(g, d, d_steps=5, penalty_passes=penalty_passes),
                            b["fragile_epochs"] * min(b["fragile_size"], mnist_n(b)), 64, updates=6))
            runs.append(fid_run(g, b["fid_n"]))
    return runs


def _cyclegan_nets(size: int, channels: int, g_filters: int, d_filters: int,
                   d_layers: int) -> tuple[tuple[Net, float], ...]:
    # per pair: each of the two generators 3 times (translation, cycle, identity); each discriminator 3 times
    # (generator's adversarial term, real and pooled fake in its own step)
    g = Net.of("unet", size=size, channels=channels, filters=g_filters)
    d = Net.of("patch", size=size, channels=channels, filters=d_filters, layers=d_layers)
    return ((g, 6.0), (d, 6.0))


def _ch10_cyclegan(b: Budget, epochs: int) -> list[Run]:
    nets = _cyclegan_nets(b["image_size"], 3, b["g_filters"], b["d_filters"], d_layers=3)  # cell 9's recipe
    split = emoji_split(b["max_emoji"])  # unpaired batches of the smaller domain, the last partial one dropped
    per_epoch = min(split["train_a"], split["train_b"]) // b["batch_size"] * b["batch_size"]
    return [Run(nets, epochs * per_epoch, b["batch_size"], updates=2)]


def _vgg(size: int, shallow: bool = False) -> tuple[tuple[Net, float], ...]:
    return ((Net.of("vgg", size=size, shallow=shallow), 1.0),)


def _ch11_sweep(b: Budget) -> list[Run]:
    runs = [Run(_vgg(b["sweep_size"]), b["sweep_steps"], 1) for _ in b["sweep_weights"]]  # cell 12
    runs.append(Run(_vgg(b["sweep_size"]), b["sweep_steps"], 1))  # cell 21: texture from noise
    if 10.0 not in b["sweep_weights"]:
        runs.append(Run(_vgg(b["sweep_size"]), b["sweep_steps"], 1))  # cell 25: with_tv, unless the sweep has it
    runs.append(Run(_vgg(b["sweep_size"]), b["sweep_steps"], 1))  # cell 25: without_tv
    runs.append(Run(_vgg(b["sweep_size"], shallow=True), b["sweep_steps"], 1))  # cell 29: shallow extractor
    return runs


def _ch11_fast(b: Budget) -> list[Run]:
    n = b["fast_epochs"] * b["fast_crops"]
    net = Net.of("style_net", filters=b["fast_filters"], size=b["fast_size"])
    return [Run(((net, 1.0), *_vgg(b["fast_size"])), n, b["fast_batch"]),  # transformer + VGG on its output
            Run(_vgg(b["fast_size"]), n, b["fast_batch"], train=False)]  # content targets of the input crops


def growing_images(b: Budget) -> int:
    """``data.growing_gan_images``: the first ``train_size`` faces (CelebA) or Fashion-MNIST training images."""
    return int(b["train_size"]) if b["dataset"] == "celeba" else min(int(b["train_size"]), mnist_train())


def _growing_shape(b: Budget) -> dict[str, Any]:
    """The shape arguments of chapters 12 and 13's networks: Fashion-MNIST is padded to 32x32 grey images."""
    resolution = int(b["resolution"]) if b["dataset"] == "celeba" else 32
    return {"resolution": resolution, "image_channels": 3 if b["dataset"] == "celeba" else 1,
            "latent_dim": b["latent_dim"], "channels": tuple(b["channels"])}


def stages_of(resolution: int) -> int:
    """The number of growing stages, 4x4 up to ``resolution`` (as ``helpers.models.growing.num_stages``)."""
    return int(round(math.log2(resolution))) - 1


def _ch12_progan(b: Budget) -> list[Run]:
    shape = _growing_shape(b)
    runs = []
    for stage in range(stages_of(shape["resolution"])):
        fade = 0 if stage == 0 else b["fade_epochs"][stage]
        epochs = math.ceil(fade) + b["stable_epochs"][stage]
        g = Net.of("progan", part="g", stage=stage, **shape)
        d = Net.of("progan", part="d", stage=stage, **shape)
        nets = gan_nets(g, d, penalty_passes=2.0 / b["r1_interval"])  # lazy R1: once every r1_interval steps
        runs.append(Run(nets, epochs * growing_images(b), b["batch_size"], updates=2))
    return runs


def _stylegan_nets(b: Budget, stage: int | None = None) -> dict[str, Net]:
    shape = {**_growing_shape(b), "w_dim": b["w_dim"], "mapping_layers": b["mapping_layers"]}
    stage = stages_of(shape["resolution"]) - 1 if stage is None else stage
    return {part: Net.of("stylegan", part=part, stage=stage, **shape) for part in ("mapping", "synthesis", "d")}


def _stylegan_grown(b: Budget, images_per_epoch: int, fade_epochs: list, stable_epochs: list) -> list[Run]:
    runs = []
    for stage in range(stages_of(_growing_shape(b)["resolution"])):
        fade = 0 if stage == 0 else fade_epochs[stage]
        nets = _stylegan_nets(b, stage)
        # per real image: the critic step maps two z (mixing), synthesises once, D on real and fake (and lazy R1);
        # the generator step maps two z, synthesises once, D once
        passes = ((nets["mapping"], 4.0), (nets["synthesis"], 2.0), (nets["d"], 3.0 + 2.0 / b["r1_interval"]))
        runs.append(Run(passes, (math.ceil(fade) + stable_epochs[stage]) * images_per_epoch, b["batch_size"],
                        updates=2))
    return runs


def _ch13_stylegan(b: Budget) -> list[Run]:
    return _stylegan_grown(b, growing_images(b), b["fade_epochs"], b["stable_epochs"])


def _ch13_comparison(b: Budget) -> list[Run]:
    """The five short runs of the design comparison (one not grown, costed as grown: an upper bound is not)."""
    size = min(int(b["compare_size"]), growing_images(b))
    return 5 * _stylegan_grown(b, size, b["compare_fade_epochs"], b["compare_stable_epochs"])


PHASES: dict[str, list[Phase]] = {
    "ch00": [],  # setup and data tour: no training
    "ch01": [
        Phase("cell 11", "plane_ae: linear AE on the 500-point plane cloud",
              lambda b: [Run(((Net.of("linear_ae", input_dim=3, code_dim=2), 1.0),), b["cloud_epochs"] * 500, 64)]),
        Phase("cell 21", "fashion_linear_ae_{k}: one linear AE per code size",
              lambda b: [Run(((Net.of("linear_ae", input_dim=784, code_dim=k), 1.0),), b["ae_epochs"] * mnist_n(b),
                             256) for k in b["code_sizes"]]),
        Phase("cell 30", "no-bias linear AEs, uncentred and centred cloud",
              lambda b: [Run(((Net.of("linear_ae", input_dim=3, code_dim=2), 1.0),), b["cloud_epochs"] * 500, 64)
                         for _ in range(2)]),
    ],
    "ch02": [
        Phase("cell 7", "stacked_ae (784-100-30)",
              lambda b: [Run(ae(code_size=30, hidden=(100,)), b["epochs"] * mnist_n(b), 128)]),
        Phase("cell 18", "tied_ae", lambda b: [Run(ae(code_size=30, hidden=(100,), tied=True),
                                                   b["epochs"] * mnist_n(b), 128)]),
        Phase("cell 20", "greedy_stage1 (784-100) and greedy_stage2 (100-30)",
              lambda b: [Run(ae(code_size=100, hidden=()), b["greedy_epochs"] * mnist_n(b), 128),
                         Run(ae(input_shape=(100,), code_size=30, hidden=()), b["greedy_epochs"] * mnist_n(b), 128)]),
        Phase("cell 22", "greedy_ae fine-tuning (stage 1 + stage 2 stacked)",
              lambda b: [Run(ae(code_size=30, hidden=(100,)), max(1, b["greedy_epochs"] // 2) * mnist_n(b), 128)]),
        Phase("cells 26, 37", "few-label classifiers: scratch, frozen, fine-tuned per seed; 100-label exercise",
              _ch02_classifiers),
        Phase("cell 29", "deeper_ae (784-300-100-30)",
              lambda b: [Run(ae(code_size=30, hidden=(300, 100)), b["epochs"] * mnist_n(b), 128)]),
    ],
    "ch03": [
        Phase("cell 17", "ch03_dense, ch03_convolutional, ch03_recurrent",
              lambda b: [Run(ae(code_size=b["code_size"], hidden=(100,)), b["epochs"] * mnist_n(b), 250),
                         Run(((Net.of("conv_ae", code_size=b["code_size"]), 1.0),), b["epochs"] * mnist_n(b), 250),
                         Run(((Net.of("rnn_ae", code_size=b["code_size"]), 1.0),), b["epochs"] * mnist_n(b), 250)]),
        Phase("cell 26", "ch03_overcomplete (code 1000)",
              lambda b: [Run(ae(code_size=1000, hidden=()), b["epochs"] * mnist_n(b), 250)]),
        Phase("cell 35", "conv AE per sweep code size on train_size // 5",
              lambda b: [Run(((Net.of("conv_ae", code_size=k), 1.0),), b["epochs"] * (mnist_n(b) // 5), 250)
                         for k in b["sweep_code_sizes"]]),
        Phase("cell 40", "recurrent AE reading rows, then columns, on train_size // 5",
              lambda b: [Run(((Net.of("rnn_ae", code_size=b["code_size"]), 1.0),),
                             b["epochs"] * (mnist_n(b) // 5), 250) for _ in range(2)]),
    ],
    "ch04": [
        Phase("cell 11", "dae_gaussian, dae_dropout (784-256-64)",
              lambda b: [Run(ae(code_size=64, hidden=(256,)), b["epochs"] * mnist_n(b), 128) for _ in range(2)]),
        Phase("cell 28", "sparse_plain, sparse_L1, sparse_KL (784-100-300)",
              lambda b: [Run(ae(code_size=300, hidden=(100,)), b["sparse_epochs"] * mnist_n(b), 128)
                         for _ in range(3)]),
        Phase("cell 33", "500-label classifiers: frozen, fine-tuned, scratch (2x epochs)",
              lambda b: [Run(((Net.of("encoder_clf", code_size=64, hidden=(256,)), 1.0),),
                             500 * 4 * b["clf_epochs"], 32)]),
        Phase("cell 41", "dae_sweep_{10,20,40}",
              lambda b: [Run(ae(code_size=64, hidden=(256,)), b["sweep_epochs"] * mnist_n(b), 128)
                         for _ in range(3)]),
        Phase("cell 45", "sparse_kl_sweep_{weight} (3 weights)",
              lambda b: [Run(ae(code_size=300, hidden=(100,)), b["sweep_epochs"] * mnist_n(b), 128)
                         for _ in range(3)]),
    ],
    "ch05": [
        Phase("cell 5", "plain_ae (784-150-100-10)",
              lambda b: [Run(ae(code_size=10, hidden=(150, 100)), b["ae_epochs"] * mnist_n(b), 128)]),
        Phase("cell 20", "vae_10d", lambda b: [Run(((Net.of("dense_vae", latent_dim=10), 1.0),),
                                                   b["epochs"] * mnist_n(b), 128)]),
        Phase("cell 30", "vae_2d", lambda b: [Run(((Net.of("dense_vae", latent_dim=2), 1.0),),
                                                  b["epochs_2d"] * mnist_n(b), 128)]),
        Phase("cell 32", "beta-VAE for epochs // 4", lambda b: [Run(((Net.of("dense_vae", latent_dim=10), 1.0),),
                                                                    max(1, b["epochs"] // 4) * mnist_n(b), 128)]),
    ],
    "ch06": [
        Phase("cell 19", "conv_vae_mc (latent 16)", lambda b: [Run(((Net.of("conv_vae", latent_dim=16), 1.0),),
                                                                   b["epochs"] * mnist_n(b), 64)]),
        Phase("cell 32", "evaluation: importance-weighted NLL, iw_images x (1 + 10 + iw_k) decoder passes", _ch06_iw),
        Phase("cell 35", "cvae_mc (latent 8, 10 labels)",
              lambda b: [Run(((Net.of("conv_vae", latent_dim=8, num_classes=10), 1.0),),
                             b["cvae_epochs"] * mnist_n(b), 64)]),
        Phase("cell 39", "MNIST domain classifier", lambda b: clf_run(mnist_n(b), b["clf_epochs"], name="mnist")),
        Phase("cells 45, 49", "exercise: KL warm-up VAE and analytic-KL VAE",
              lambda b: [Run(((Net.of("conv_vae", latent_dim=16), 1.0),), b["ex_epochs"] * mnist_n(b), 64)
                         for _ in range(2)]),
    ],
    "ch07": [
        Phase("cell 9", "classic two-phase loop, classic_steps batches of 128",
              lambda b: [Run(_ch07_gan(), b["classic_steps"] * 128, 128, updates=2)]),
        Phase("cell 15", "speed test: two-phase loop and fit, speed_steps batches each",
              lambda b: [Run(_ch07_gan(), b["speed_steps"] * 128, 128, updates=2) for _ in range(2)]),
        Phase("cell 26", "Gaussian-ring study: ring_methods x ring_seeds runs of ring_steps batches",
              lambda b: [Run(_ch07_ring(), b["ring_steps"] * b["ring_batch"], b["ring_batch"], updates=2)
                         for _ in range(len(b["ring_methods"]) * b["ring_seeds"])]),
        Phase("cells 31, 33", "mlp_gan to resume_at, then resumed to epochs (cell 35 only loads)",
              lambda b: [Run(_ch07_gan(), b["epochs"] * mnist_n(b), 128, updates=2)]),
        Phase("cell 41", "Fashion-MNIST domain classifier and FID",
              lambda b: [*clf_run(mnist_n(b), b["clf_epochs"]), fid_run(_ch07_gan()[0][0], b["fid_n"])]),
        Phase("cell 49", "saturating-loss ring GAN, one seed",
              lambda b: [Run(_ch07_ring(), b["ring_steps"] * b["ring_batch"], b["ring_batch"], updates=2)]),
    ],
    "ch08": [
        Phase("cell 10", "dcgan (filters 32, 64), batch 64",
              lambda b: [Run(gan_nets(_dcgan("g"), _dcgan("d")), b["epochs"] * mnist_n(b), 64, updates=2)]),
        Phase("cell 16", "domain classifier, FID and class shares",
              lambda b: [*clf_run(mnist_n(b), b["clf_epochs"]), fid_run(_dcgan("g"), b["fid_n"]),
                         Run(((_dcgan("g"), 1.0), (Net.of("small_cnn", side=28), 1.0)), b["share_n"] * 2
                             + b["pool_n"], 512, train=False)]),
        Phase("cell 27", "cgan with a projection discriminator",
              lambda b: [Run(gan_nets(_dcgan("g", True), _dcgan("d", True)), b["cgan_epochs"] * mnist_n(b), 64,
                             updates=2)]),
    ],
    "ch09": [
        Phase("cell 14", "Fashion-MNIST domain classifier", lambda b: clf_run(mnist_n(b), b["clf_epochs"])),
        Phase("cells 16, 20", "wgan_clip, wgan_gp, wgan_div (MLP, 5 critic steps) with their monitors and FIDs",
              _ch09_wgan),
        Phase("cell 22", "fragile setting: standard GAN and WGAN-GP on the same networks, fragile_seeds each",
              _ch09_fragile),
        Phase("cell 35", "exercise: convolutional WGAN-GP, one epoch on ex_images",
              lambda b: [Run(gan_nets(Net.of("wgan", part="g", penalty="gp", arch="dcgan"),
                                      Net.of("wgan", part="d", penalty="gp", arch="dcgan"), d_steps=5,
                                      penalty_passes=1.0), b["ex_images"], 64, updates=6)]),
        # cell 31 (a 1-D critic, ex_steps x 256 points through 64-64 MLPs) and cell 25's norm_n gradient norms
        # are negligible
    ],
    "ch10": [
        Phase("cell 15", "cyclegan (emoji, 2 U-Nets + 2 PatchGANs); cell 17 only loads",
              lambda b: _ch10_cyclegan(b, b["epochs"])),
        Phase("cell 25", "style judge on the paired training emoji of both styles",
              lambda b: [Run(((Net.of("style_judge", size=b["image_size"]), 1.0),),
                             b["judge_epochs"] * 2 * emoji_split(b["max_emoji"])["paired"], 64)]),
        Phase("cell 28", "paired_ab and paired_ba U-Nets (supervised bound)",
              lambda b: [Run(((Net.of("unet", size=b["image_size"], channels=3, filters=b["g_filters"]), 1.0),),
                             b["paired_epochs"] * emoji_split(b["max_emoji"])["paired"], b["batch_size"])
                         for _ in range(2)]),
        Phase("cell 35", "outline domain classifiers (32x32) and the outlines CycleGAN",
              lambda b: [*clf_run(b["outline_train"], b["outline_classifier_epochs"], side=32, count=2, name="outline"),
                         Run(_cyclegan_nets(32, 1, b["g_filters"], b["d_filters"], d_layers=2),
                             b["outline_epochs"] * b["outline_steps_per_epoch"] * b["outline_batch"],
                             b["outline_batch"], updates=2)]),
        Phase("cell 39", "no_identity CycleGAN for epochs // 6", lambda b: _ch10_cyclegan(b, max(1, b["epochs"] // 6))),
    ],
    "ch11": [
        Phase("cell 9", "style transfer: steps optimisation steps of one size x size image",
              lambda b: [Run(_vgg(b["size"]), b["steps"], 1)]),
        Phase("cells 12, 21, 25, 29", "style-weight sweep, texture, TV ablation, shallow extractor (sweep_size)",
              _ch11_sweep),
        Phase("cell 17", "fast_scream transformation network on fast_crops crops (cell 17's reload only loads)",
              _ch11_fast),
    ],
    "ch12": [
        Phase("cell 24", "fit_progressive: fade-in + stable epochs per stage", _ch12_progan),
        Phase("cell 33", "domain classifier and FID (Fashion-MNIST only; skipped for faces)",
              lambda b: [] if b["dataset"] == "celeba" else [
                  *clf_run(min(b["clf_size"], mnist_train()), b["clf_epochs"]),
                  fid_run(Net.of("progan", part="g", stage=stages_of(32) - 1, **_growing_shape(b)), b["fid_n"])]),
    ],
    "ch13": [
        Phase("comparison", "five short StyleGAN runs, one design each", _ch13_comparison),
        Phase("training", "stylegan, grown (mapping, synthesis, critic; style mixing)", _ch13_stylegan),
        Phase("evaluation", "domain classifier; FIDs of the comparison, the model and the truncations",
              lambda b: [*clf_run(min(b["clf_size"], mnist_train()), b["clf_epochs"])] + ([] if b["dataset"] == "celeba"
              else [Run(((_stylegan_nets(b)["mapping"], 1.0), (_stylegan_nets(b)["synthesis"], 1.0),
                         (Net.of("small_cnn", side=28), 2.0)),
                        b["fid_n"] + 4 * min(1_000, b["fid_n"]) + 5 * b["compare_fid_n"], 512,
                        train=False)])),
    ],
}


# ---------------------------------------------------------------------------------------------- FLOP counting
def _quiet_tensorflow() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging

    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    return tf


def graph_flops(fn: Callable[..., Any], shapes: Sequence[tuple[int, ...]], batch: int = TRACE_BATCH) -> float:
    """Float operations of one forward pass of ``fn`` per sample: the TF profiler on its traced graph.

    ``shapes`` are the inputs' shapes without the batch axis; the graph is traced at ``batch`` samples and the
    count divided by ``batch``.
    """
    tf = _quiet_tensorflow()
    specs = [tf.TensorSpec((batch, *shape), tf.float32) for shape in shapes]
    concrete = tf.function(lambda *xs: fn(*xs)).get_concrete_function(*specs)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = tf.compat.v1.profiler.profile(graph=concrete.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op",
                                         options=options)
    return info.total_float_ops / batch


def model_flops(model: Any, shapes: Sequence[tuple[int, ...]] | None = None) -> float:
    """Forward FLOPs per sample of a Keras model (inputs from ``model.inputs`` unless ``shapes`` are given)."""
    if shapes is None:
        shapes = [tuple(int(d) for d in t.shape[1:]) for t in model.inputs]
    if len(shapes) == 1:
        return graph_flops(lambda x: model(x, training=False), shapes)
    return graph_flops(lambda *xs: model(list(xs), training=False), shapes)


def _unrolled(model: Any) -> Any:
    """Set ``unroll`` on every RNN layer so the profiler sees every time step's matrix products."""
    import keras

    for part in (model.encoder, model.decoder):
        for layer in part.layers:
            if isinstance(layer, keras.layers.RNN):
                layer.unroll = True
            if hasattr(layer, "layer") and isinstance(layer.layer, keras.layers.RNN):  # Bidirectional, TimeDistributed
                layer.layer.unroll = True
    return model


def _build(kind: str, a: dict[str, Any]) -> float:
    """Build the network ``kind`` with arguments ``a`` and count its forward FLOPs per sample."""
    if kind == "linear_ae":
        from helpers.models.autoencoders import linear_autoencoder

        return model_flops(linear_autoencoder(a["input_dim"], a["code_dim"]), [(a["input_dim"],)])
    if kind == "dense_ae":
        from helpers.models.autoencoders import dense_autoencoder

        shape = a.get("input_shape", (28, 28))
        model = dense_autoencoder(shape, code_size=a["code_size"], hidden=a["hidden"], tied=a.get("tied", False))
        return model_flops(model, [shape])
    if kind == "conv_ae":
        from helpers.models.autoencoders import conv_autoencoder

        return model_flops(conv_autoencoder(code_size=a["code_size"]), [(28, 28)])
    if kind == "rnn_ae":
        from helpers.models.autoencoders import recurrent_autoencoder

        return model_flops(_unrolled(recurrent_autoencoder(code_size=a["code_size"])), [(28, 28)])
    if kind == "encoder_clf":
        from helpers.models.autoencoders import dense_autoencoder, encoder_classifier

        encoder = dense_autoencoder(code_size=a["code_size"], hidden=a["hidden"]).encoder
        return model_flops(encoder_classifier(encoder), [(28, 28)])
    if kind == "small_cnn":
        from helpers.metrics import small_cnn_classifier

        return model_flops(small_cnn_classifier(10, (a["side"], a["side"])))
    if kind in ("dense_vae", "conv_vae"):
        from helpers.models.vae import conv_vae, dense_vae

        if kind == "dense_vae":
            vae = dense_vae(latent_dim=a["latent_dim"])
        else:
            vae = conv_vae(latent_dim=a["latent_dim"], num_classes=a.get("num_classes"))
        part = a.get("part", "both")
        return sum(model_flops(net) for name, net in (("encoder", vae.encoder), ("decoder", vae.decoder))
                   if part in ("both", name))
    if kind in ("mlp_gan", "dcgan", "wgan"):
        from helpers.models import gan as gan_models
        from helpers.models import wgan as wgan_models

        if kind == "mlp_gan":
            model = gan_models.mlp_gan(latent_dim=a["latent_dim"], image_shape=a.get("image_shape", (28, 28)),
                                       hidden=a["hidden"], output_activation=a.get("output_activation", "tanh"))
        elif kind == "dcgan":
            conditional = a["conditional"]
            model = gan_models.dcgan(latent_dim=100, filters=(32, 64), num_classes=10 if conditional else None,
                                     projection=conditional)
        elif a["arch"] == "mlp":
            model = wgan_models.wgan(a["penalty"], latent_dim=64, arch="mlp", hidden=(256, 512))
        else:
            model = wgan_models.wgan(a["penalty"], latent_dim=64, arch="dcgan", filters=(32, 64))
        return model_flops(model.generator if a["part"] == "g" else model.discriminator)
    if kind == "unet":
        from helpers.models.cyclegan import unet_generator

        return model_flops(unet_generator(a["size"], channels=a["channels"], filters=a["filters"]))
    if kind == "patch":
        from helpers.models.cyclegan import patch_discriminator

        return model_flops(patch_discriminator(a["size"], channels=a["channels"], filters=a["filters"],
                                               n_layers=a["layers"]))
    if kind == "style_judge":
        from helpers.metrics import style_judge_network

        return model_flops(style_judge_network((a["size"], a["size"], 3)))
    if kind == "vgg":
        from helpers.models import style_transfer as st

        layers = ("block1_conv1", "block2_conv1") if a["shallow"] else st.STYLE_LAYERS
        extractor = st.feature_extractor(layers, st.CONTENT_LAYERS, weights=None, verbose=False)
        return model_flops(extractor, [(a["size"], a["size"], 3)])
    if kind == "style_net":
        from helpers.models import style_transfer as st

        return model_flops(st.transformation_network(a["filters"], residual_blocks=3), [(a["size"], a["size"], 3)])
    if kind == "progan":
        from helpers.models.progan import ProGAN

        model = ProGAN(latent_dim=a["latent_dim"], resolution=a["resolution"],
                       channels=list(a["channels"])[:stages_of(a["resolution"])], image_channels=a["image_channels"])
        stage = a["stage"]
        side = 4 * 2 ** stage
        if a["part"] == "g":
            return graph_flops(lambda z: model.generator(z, stage=stage, alpha=1.0), [(a["latent_dim"],)])
        return graph_flops(lambda x: model.discriminator(x, stage=stage, alpha=1.0),
                           [(side, side, a["image_channels"])])
    if kind == "stylegan":
        from helpers.models.stylegan import StyleGAN

        model = StyleGAN(latent_dim=a["latent_dim"], w_dim=a["w_dim"], mapping_layers=a["mapping_layers"],
                         resolution=a["resolution"], channels=list(a["channels"])[:stages_of(a["resolution"])],
                         image_channels=a["image_channels"])
        stage = a.get("stage", model.stages - 1)
        side = 4 * 2 ** stage
        if a["part"] == "mapping":
            return graph_flops(lambda z: model.mapping(z), [(a["latent_dim"],)])
        if a["part"] == "synthesis":
            return graph_flops(lambda ws: model.synthesis(ws, stage=stage), [(model.synthesis.num_ws, a["w_dim"])])
        return graph_flops(lambda x: model.discriminator(x, stage=stage), [(side, side, a["image_channels"])])
    raise KeyError(f"No builder for network kind {kind!r}")


_FLOPS: dict[Net, float] = {}


def net_flops(net: Net) -> float:
    """Forward FLOPs per sample of ``net`` (counted once, then cached)."""
    if net not in _FLOPS:
        _FLOPS[net] = _build(net.kind, dict(net.args))
    return _FLOPS[net]


# -------------------------------------------------------------------------------------------------- estimates
def runs_of(chapter: str, mode: str) -> list[Run]:
    """Every run of ``chapter`` in ``mode``."""
    budget = BUDGETS[chapter][mode]
    return [run for phase in PHASES[chapter] for run in phase.runs(budget)]


def run_work(run: Run, flops: Callable[[Net], float] = net_flops) -> float:
    """FLOPs of one run: images x forward FLOPs of its passes, x :data:`TRAIN_FACTOR` when training."""
    per_image = sum(passes * flops(net) for net, passes in run.nets)
    return run.images * per_image * (TRAIN_FACTOR if run.train else 1.0)


def run_steps(run: Run) -> int:
    """Optimizer updates (training) or forward batches (evaluation) of one run."""
    return math.ceil(run.images / run.batch) * (run.updates if run.train else 1)


def t4_seconds(work: float, steps: int, utilisation: float) -> float:
    """T4 time: the work at ``utilisation`` of the FP32 peak, plus the per-update floor and the fixed overhead."""
    return work / (T4_PEAK_FLOPS * utilisation) + steps * STEP_OVERHEAD_S + FIXED_OVERHEAD_S


@dataclass
class Estimate:
    """One chapter's accounting."""

    chapter: str
    images_full: float  # training images seen in full mode (GAN: real images of the steps)
    train_flops_full: float
    work_full: float  # training + evaluation FLOPs
    steps_full: int
    work_book: float
    book_seconds: float | None

    @property
    def cpu_rate(self) -> float | None:
        """Measured CPU FLOP/s in book mode (a lower bound: the notebook's time includes everything else)."""
        if not self.book_seconds or not self.work_book:
            return None
        return self.work_book / self.book_seconds

    @property
    def cpu_full_seconds(self) -> float | None:
        """Full mode on this CPU at the measured rate."""
        return None if self.cpu_rate is None else self.work_full / self.cpu_rate

    def t4_range(self) -> tuple[float, float]:
        """(low, high) T4 seconds, for the optimistic and pessimistic utilisation."""
        low, high = (t4_seconds(self.work_full, self.steps_full, u) for u in UTILISATION)
        return low, high


def estimate(chapter: str, book_seconds: float | None, flops: Callable[[Net], float] = net_flops,
             cached: frozenset[str] = frozenset()) -> Estimate:
    """The accounting of ``chapter`` (book and full mode) with its measured book-mode time.

    ``cached``: classifier cache keys that earlier chapters of the book run trained; this chapter's book run
    loaded them, so they are left out of its book-mode work (full mode on Colab trains them again).
    """
    full = runs_of(chapter, "full")
    book = [r for r in runs_of(chapter, "book") if r.cache_key is None or r.cache_key not in cached]
    return Estimate(
        chapter=chapter,
        images_full=sum(r.images for r in full if r.train),
        train_flops_full=sum(run_work(r, flops) for r in full if r.train),
        work_full=sum(run_work(r, flops) for r in full),
        steps_full=sum(run_steps(r) for r in full),
        work_book=sum(run_work(r, flops) for r in book),
        book_seconds=book_seconds,
    )


def estimate_all(chapters: Sequence[str], flops: Callable[[Net], float] = net_flops) -> list[Estimate]:
    """:func:`estimate` for ``chapters`` in book order, passing on the classifiers each book run caches."""
    cached: set[str] = set()
    estimates = []
    for chapter in sorted(chapters):
        estimates.append(estimate(chapter, book_seconds(chapter), flops, frozenset(cached)))
        cached |= {r.cache_key for r in runs_of(chapter, "book") if r.cache_key}
    return estimates


def book_seconds(chapter: str, notebooks: Path = ROOT / "notebooks", tries: int = 5) -> float | None:
    """The measured book-mode time in a notebook's metadata (``genbook.seconds``); retried while it is rewritten."""
    import nbformat

    paths = sorted(notebooks.glob(f"{chapter[2:]}_*.ipynb"))
    if not paths:
        return None
    for attempt in range(tries):
        try:
            seconds = nbformat.read(paths[0], as_version=4).metadata.get("genbook", {}).get("seconds")
            return float(seconds) if seconds is not None else None
        except Exception:  # noqa: BLE001 - a notebook half-written by a running execution: wait and retry
            time.sleep(1.0 + attempt)
    return None


def _fmt_images(n: float) -> str:
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def table(estimates: Sequence[Estimate], markdown: bool) -> str:
    """The estimates as a plain or markdown table."""
    head = ["chapter", "full images seen", "full train TFLOP", "book s (measured)", "CPU GFLOP/s",
            "CPU full-mode h", "T4 updates (k)", "T4 full-mode min"]
    rows = []
    for e in estimates:
        low, high = e.t4_range()
        rate, cpu_full = e.cpu_rate, e.cpu_full_seconds
        rows.append([e.chapter, _fmt_images(e.images_full) if e.images_full else "0",
                     f"{e.train_flops_full / 1e12:,.1f}", f"{e.book_seconds:.0f}" if e.book_seconds else "?",
                     f"{rate / 1e9:.1f}" if rate else "n/a", f"{cpu_full / 3600:.1f}" if cpu_full else "n/a",
                     f"{e.steps_full / 1e3:,.0f}", f"{low / 60:.0f}-{high / 60:.0f}"])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    return "\n".join("  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)) for row in [head, *rows])


def phase_table(chapters: Sequence[str], mode: str = "full") -> str:
    """One line per phase: its notebook cell, what it trains, images seen, FLOPs (training and evaluation)."""
    lines = []
    for chapter in sorted(chapters):
        for phase in PHASES[chapter]:
            runs = phase.runs(BUDGETS[chapter][mode])
            images = sum(r.images for r in runs if r.train)
            work = sum(run_work(r) for r in runs)
            steps = sum(run_steps(r) for r in runs)
            lines.append(f"{chapter} {phase.cell:<22} {_fmt_images(images) if images else '-':>8} images "
                         f"{work / 1e12:>9,.1f} TFLOP {steps / 1e3:>8,.1f} k updates  {phase.what}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the per-chapter table (``--markdown`` for book/instructors.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--chapters", nargs="*", default=sorted(BUDGETS), help="chapters to estimate (default all)")
    parser.add_argument("--phases", action="store_true", help="also list every phase's full-mode images and FLOPs")
    parser.add_argument("--write", action="store_true",
                        help="also write the T4 minutes of the chapters estimated into helpers/estimates.py")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.phases:
        print(phase_table(args.chapters))
        print()
    estimates = estimate_all(args.chapters)
    print(table(estimates, args.markdown))
    print()
    print(f"T4: {T4_PEAK_FLOPS / 1e12:.1f} TFLOP/s FP32 peak at utilisation {UTILISATION[0]:.2f} (low) to "
          f"{UTILISATION[1]:.2f} (high), + {STEP_OVERHEAD_S * 1e3:.0f} ms per optimizer update + "
          f"{FIXED_OVERHEAD_S:.0f} s per chapter. CPU GFLOP/s = book-mode FLOPs / measured notebook seconds "
          "(a lower bound). Training = 3 x forward FLOPs (TF profiler on traced forward passes).")
    print(f"({len(_FLOPS)} networks counted in {time.perf_counter() - began:.0f} s)")
    if args.write:
        print(f"wrote {write_estimates(estimates)}")
    return 0


def write_estimates(estimates: Sequence[Estimate], path: Path = ROOT / "helpers" / "estimates.py") -> Path:
    """Put each chapter's rounded (low, high) T4 minutes and its budget digest into ``helpers/estimates.py``."""
    from helpers import estimates as module

    minutes = dict(module.T4_MINUTES)
    digests = dict(module.BUDGET_DIGESTS)
    for e in estimates:
        low, high = e.t4_range()
        minutes[e.chapter] = (round(low / 60), round(high / 60))
        digests[e.chapter] = module.budget_digest(BUDGETS[e.chapter]["full"])
    start, end = "# --- written by", "# --- end of the written part"
    text = path.read_text()
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    marker = rest.split("\n", 1)[0]
    body = ["T4_MINUTES: dict[str, tuple[int, int]] = {"]
    body += [f'    "{c}": {minutes[c]},' for c in sorted(minutes)]
    body += ["}", "BUDGET_DIGESTS: dict[str, str] = {"]
    body += [f'    "{c}": "{digests[c]}",' for c in sorted(digests)]
    body += ["}"]
    path.write_text(head + start + marker + "\n" + "\n".join(body) + "\n" + end + tail)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
