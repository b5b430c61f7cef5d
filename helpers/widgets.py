"""Interactive explorers built on ipywidgets (7 and 8), with a static figure where no widget can run.

When notebooks are executed headless for the book (``GENBOOK_HEADLESS=1``, set by ``tools/execute.py``),
the explorers draw a static figure instead, because the rendered book cannot run Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from helpers import config


def headless() -> bool:
    """True when no one can interact with the output (book builds, CI): :func:`helpers.config.headless`."""
    return config.headless()


def latent_explorer(decode: Callable[[np.ndarray, int | None], np.ndarray], latent_dim: int, n_sliders: int = 4,
                    class_names: Sequence[str] | None = None, value_range: float = 3.0, static_steps: int = 7):
    """Sliders over the first ``n_sliders`` latent dimensions (and a class dropdown), decoding live.

    ``decode(z, label)`` maps a (1, latent_dim) array (and a class index, or ``None``) to one image.
    Returns the widget (a notebook displays it as the cell's value). When :func:`headless`, it draws a
    static figure instead, which varies each slider in turn, and returns ``None``.
    """
    n_sliders = min(n_sliders, latent_dim)
    if headless():
        _static_explorer(decode, latent_dim, n_sliders, class_names, value_range, static_steps)
        return None
    import ipywidgets as widgets

    sliders = [widgets.FloatSlider(value=0.0, min=-value_range, max=value_range, step=0.1,
                                   description=f"z[{i}]", continuous_update=False) for i in range(n_sliders)]
    controls: list = list(sliders)
    dropdown = None
    if class_names is not None:
        dropdown = widgets.Dropdown(options=[(name, i) for i, name in enumerate(class_names)], value=0,
                                    description="class")
        controls.append(dropdown)
    output = widgets.Output()

    def redraw(*_):
        z = np.zeros((1, latent_dim), dtype="float32")
        z[0, :n_sliders] = [s.value for s in sliders]
        image = np.squeeze(decode(z, None if dropdown is None else dropdown.value))
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            ax.imshow(image, cmap="binary", vmin=0, vmax=1)
            ax.axis("off")
            plt.show()

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
    return widgets.HBox([widgets.VBox(controls), output])


def _static_explorer(decode, latent_dim, n_sliders, class_names, value_range, steps):
    values = np.linspace(-value_range, value_range, steps)
    fig, axes = plt.subplots(n_sliders, steps, figsize=(steps * 1.1, n_sliders * 1.15), squeeze=False)
    label = 0 if class_names is not None else None
    for row in range(n_sliders):
        for col, v in enumerate(values):
            z = np.zeros((1, latent_dim), dtype="float32")
            z[0, row] = v
            axes[row, col].imshow(np.squeeze(decode(z, label)), cmap="binary", vmin=0, vmax=1)
            axes[row, col].axis("off")
            if row == 0:
                axes[row, col].set_title(f"{v:+.1f}", fontsize=8)
        axes[row, 0].text(-0.3, 0.5, f"z[{row}]", transform=axes[row, 0].transAxes, ha="right", va="center")
    title = "Static view of the latent explorer: each row moves one latent dimension, the others stay at 0"
    if class_names is not None:
        title += f" (class {class_names[0]})"
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def style_mixing_explorer(render: Callable[[int, int, int, float], np.ndarray], num_layers: int,
                          seeds: tuple[int, int] = (0, 1), max_seed: int = 999,
                          static_crossovers: Sequence[int] | None = None,
                          static_psis: Sequence[float] = (0.5, 0.75, 1.0)):
    """Pick two seeds, the crossover layer and the truncation psi, and see the style-mixed image (StyleGAN).

    ``render(seed_a, seed_b, crossover, psi)`` returns one image in [0, 1] whose synthesis layers below
    ``crossover`` take seed A's style and the others seed B's (``crossover = num_layers``: A alone, ``0``: B
    alone). Returns the widget; when :func:`headless`, draws a static figure instead (rows: crossover
    points for the given ``seeds``, columns: ``static_psis``) and returns ``None``.
    """
    if headless():
        crossovers = list(static_crossovers) if static_crossovers is not None else list(range(num_layers, -1, -2))
        fig, axes = plt.subplots(len(crossovers), len(static_psis),
                                 figsize=(1.4 * len(static_psis) + 1.2, 1.4 * len(crossovers)), squeeze=False)
        for row, cross in enumerate(crossovers):
            for col, psi in enumerate(static_psis):
                axes[row, col].imshow(np.squeeze(render(seeds[0], seeds[1], cross, psi)), cmap="binary", vmin=0,
                                      vmax=1)
                axes[row, col].set_xticks([])
                axes[row, col].set_yticks([])
                if row == 0:
                    axes[row, col].set_title(f"psi {psi}", fontsize=8)
            axes[row, 0].set_ylabel(f"A below\nlayer {cross}", fontsize=8)
        fig.suptitle(f"Static view of the style-mixing explorer: seeds A={seeds[0]}, B={seeds[1]}", fontsize=9)
        fig.tight_layout()
        return None
    import ipywidgets as widgets

    seed_a = widgets.IntSlider(value=seeds[0], min=0, max=max_seed, description="seed A", continuous_update=False)
    seed_b = widgets.IntSlider(value=seeds[1], min=0, max=max_seed, description="seed B", continuous_update=False)
    cross = widgets.IntSlider(value=num_layers // 2, min=0, max=num_layers, description="crossover",
                              continuous_update=False)
    psi = widgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description="psi", continuous_update=False)
    output = widgets.Output()

    def redraw(*_):
        image = np.squeeze(render(seed_a.value, seed_b.value, cross.value, psi.value))
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            ax.imshow(image, cmap="binary" if image.ndim == 2 else None, vmin=0, vmax=1)
            ax.axis("off")
            plt.show()

    for control in (seed_a, seed_b, cross, psi):
        control.observe(redraw, names="value")
    redraw()
    return widgets.HBox([widgets.VBox([seed_a, seed_b, cross, psi]), output])
