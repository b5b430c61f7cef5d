"""Automatic feedback on the exercises.

Every ``check_*`` function takes the student's answer and the reference objects it needs, and returns a
:class:`CheckResult`. Its ``repr`` is the message, so a notebook cell that ends with the call shows it:

    checks.check_sampling_layer(MySampling)      # correct: ... / not yet: ...

A wrong answer never raises; the message says what is wrong and, where a typical mistake explains it,
how to fix it. Only a misuse of the checker itself (a reference argument of the wrong kind) raises a
``TypeError`` or ``ValueError`` saying how to call it.

The checkers live in one module per part of the book (``_toc.yml``); this package re-exports them all, so
``from helpers import checks`` and ``checks.check_*`` work as they always did:

=====================  ==============================================================
module                 exercises of
=====================  ==============================================================
``verdict``            none: :class:`CheckResult`, :func:`require` and the shared helpers
``getting_started``    chapter 0
``autoencoders``       chapters 1 to 4
``variational``        chapters 5 and 6
``gans``               chapters 7 to 9
``image_to_image``     chapters 10 and 11
``growing``            chapters 12 and 13
=====================  ==============================================================

=============================  ==============================================================
exercise                       checker
=============================  ==============================================================
ch00-ink                       :func:`check_class_ink`
ch01-axes                      :func:`check_pca_axes`
ch01-bias                      :func:`check_no_bias`
ch01-symmetry                  :func:`check_symmetry`
ch02-depth                     :func:`check_deeper_autoencoder`
ch02-tsne-pca                  :func:`check_pca_projection`
ch02-fewer-labels              :func:`check_fewer_labels`
ch03-params                    :func:`check_param_counts`
ch03-code-size                 :func:`check_code_sweep`
ch03-columns                   :func:`check_column_reader`
ch03-shift                     :func:`check_shifted_images`
ch04-pretrain                  :func:`check_pretrained_copy`
ch04-retrieval                 :func:`check_neighbour_agreement`
ch04-noise-sweep               :func:`check_noise_sweep`
ch04-kl-weight                 :func:`check_kl_sweep`
ch04-cross-noise               :func:`check_cross_noise_inputs`
chapter 5, ``MySampling``      :func:`check_sampling_layer`
ch05-beta                      :func:`check_beta_vae`
ch05-kl-check                  :func:`check_kl_estimate`
ch06-warmup                    :func:`check_warmup_vae`
ch06-analytic                  :func:`check_analytic_run`
ch06-temperature               :func:`check_class_diversity`
ch06-swap                      :func:`check_label_swap`
ch07-dstar                     :func:`check_optimal_discriminator`
ch07-saturating                :func:`check_saturating_gan`
ch07-kid                       :func:`check_kid`
ch08-class-morph               :func:`check_label_blend`
ch08-memorise                  :func:`check_nearest`
ch08-arithmetic                :func:`check_darkness_direction`
ch09-one-sided                 :func:`check_one_sided_penalty`
ch09-critic-1d                 :func:`check_critic_estimate`
ch09-dcgan-critic              :func:`check_conv_wgan`
ch10-identity                  :func:`check_colour_drift`
ch10-pool                      :func:`check_pool_share`
ch10-moments                   :func:`check_moment_matching`
ch11-texture                   :func:`check_texture_synthesis`
ch11-tv                        :func:`check_tv_runs`
ch11-layers                    :func:`check_shallow_extractor`
ch12-he                        :func:`check_he_scale`
ch12-pixelnorm-z               :func:`check_scale_invariance`
ch12-mbstd                     :func:`check_mbstd_features`
ch13-truncation-variety        :func:`check_class_entropy`
ch13-z-versus-w                :func:`check_path_change`
ch13-no-noise                  :func:`check_noise_restored`
=============================  ==============================================================
"""

from __future__ import annotations

from .autoencoders import (
    check_code_sweep,
    check_column_reader,
    check_cross_noise_inputs,
    check_deeper_autoencoder,
    check_fewer_labels,
    check_kl_sweep,
    check_neighbour_agreement,
    check_no_bias,
    check_noise_sweep,
    check_param_counts,
    check_pca_axes,
    check_pca_projection,
    check_pretrained_copy,
    check_shifted_images,
    check_symmetry,
)
from .gans import (
    check_conv_wgan,
    check_critic_estimate,
    check_darkness_direction,
    check_kid,
    check_label_blend,
    check_nearest,
    check_one_sided_penalty,
    check_optimal_discriminator,
    check_saturating_gan,
)
from .getting_started import check_class_ink
from .growing import (
    check_class_entropy,
    check_he_scale,
    check_mbstd_features,
    check_noise_restored,
    check_path_change,
    check_scale_invariance,
)
from .image_to_image import (
    check_colour_drift,
    check_moment_matching,
    check_pool_share,
    check_shallow_extractor,
    check_texture_synthesis,
    check_tv_runs,
)
from .variational import (
    LOG_2PI,
    check_analytic_run,
    check_beta_vae,
    check_class_diversity,
    check_kl_estimate,
    check_label_swap,
    check_sampling_layer,
    check_warmup_vae,
)
from .verdict import CheckResult, require
from .verdict import _correct as _correct  # the verdicts themselves, for tests that build one
from .verdict import _wrong as _wrong

__all__ = [
    "CheckResult",
    "require",
    "LOG_2PI",
    "check_class_ink",
    "check_pca_axes",
    "check_symmetry",
    "check_no_bias",
    "check_deeper_autoencoder",
    "check_pca_projection",
    "check_fewer_labels",
    "check_param_counts",
    "check_code_sweep",
    "check_column_reader",
    "check_shifted_images",
    "check_pretrained_copy",
    "check_neighbour_agreement",
    "check_noise_sweep",
    "check_kl_sweep",
    "check_cross_noise_inputs",
    "check_sampling_layer",
    "check_beta_vae",
    "check_kl_estimate",
    "check_warmup_vae",
    "check_analytic_run",
    "check_class_diversity",
    "check_label_swap",
    "check_optimal_discriminator",
    "check_saturating_gan",
    "check_kid",
    "check_label_blend",
    "check_nearest",
    "check_darkness_direction",
    "check_one_sided_penalty",
    "check_critic_estimate",
    "check_conv_wgan",
    "check_colour_drift",
    "check_pool_share",
    "check_moment_matching",
    "check_texture_synthesis",
    "check_tv_runs",
    "check_shallow_extractor",
    "check_he_scale",
    "check_scale_invariance",
    "check_mbstd_features",
    "check_class_entropy",
    "check_path_change",
    "check_noise_restored",
]
