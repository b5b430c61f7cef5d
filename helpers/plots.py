"""Figures the chapters share: image grids, reconstructions and loss curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _as_images(images: np.ndarray) -> np.ndarray:
    """Images as (N, H, W) or (N, H, W, 3); vectors of a square number of pixels are reshaped."""
    x = np.asarray(images)
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"Cannot show vectors of {x.shape[1]} values as square images; reshape them first.")
        x = x.reshape(-1, side, side)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (3, 4)):
        raise ValueError(f"Expected images shaped (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {np.shape(images)}.")
    return x


def image_grid(images: np.ndarray, ncols: int = 8, titles: Sequence[str] | None = None,
               scale: float = 1.2, cmap: str = "binary", suptitle: str | None = None) -> plt.Figure:
    """Show images in a grid with ``ncols`` columns, optionally titled; pixel values in [0, 1]."""
    x = _as_images(images)
    n = len(x)
    if n == 0:
        raise ValueError("image_grid needs at least one image.")
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * (1.25 if titles else 1)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(np.clip(x[i], 0, 1), cmap=cmap if x.ndim == 3 else None, vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_reconstructions(originals: np.ndarray, reconstructions: np.ndarray, n: int = 8,
                         labels: Sequence[str] = ("original", "reconstruction"), scale: float = 1.2) -> plt.Figure:
    """Originals on the top row, their reconstructions below."""
    a, b = _as_images(originals)[:n], _as_images(reconstructions)[:n]
    if a.shape != b.shape:
        raise ValueError(f"Originals {a.shape} and reconstructions {b.shape} differ in shape.")
    fig, axes = plt.subplots(2, len(a), figsize=(len(a) * scale, 2 * scale + 0.3), squeeze=False)
    for row, (imgs, label) in enumerate(zip((a, b), labels, strict=True)):
        for col, img in enumerate(imgs):
            ax = axes[row, col]
            ax.imshow(np.clip(img, 0, 1), cmap="binary" if img.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(history: Mapping[str, Sequence[float]] | object, keys: Sequence[str] | None = None,
                 logy: bool = False, title: str | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """Loss curves from a Keras ``History`` or a dict of lists; ``val_`` curves are dashed."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping) or not data:
        raise ValueError("plot_history needs a keras History or a non-empty dict of metric lists.")
    keys = list(keys) if keys is not None else [k for k in data if not k.startswith("val_")]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for key in keys:
        if key not in data:
            raise KeyError(f"No metric {key!r} in the history; it has {', '.join(data)}.")
        epochs = np.arange(1, len(data[key]) + 1)
        (line,) = ax.plot(epochs, data[key], label=key)
        if f"val_{key}" in data:
            ax.plot(epochs, data[f"val_{key}"], "--", color=line.get_color(), label=f"val_{key}")
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def latent_scatter(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str] | None = None,
                   images: np.ndarray | None = None, n_thumbnails: int = 0, min_distance: float = 0.05,
                   title: str | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """2-D codings coloured by class, optionally with image thumbnails at well-separated points.

    Thumbnails are placed greedily at points at least ``min_distance`` (as a fraction of the plot's
    extent) from earlier thumbnails, up to ``n_thumbnails``.
    """
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"latent_scatter plots 2-D points, got shape {points.shape}; reduce them first (t-SNE).")
    if len(labels) != len(points):
        raise ValueError(f"{len(points)} points but {len(labels)} labels.")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7))
    scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, s=6, cmap="tab10", vmin=-0.5, vmax=9.5)
    if class_names is not None:
        handles = [plt.Line2D([], [], marker="o", ls="", color=scatter.cmap(scatter.norm(c)), label=name)
                   for c, name in enumerate(class_names)]
        ax.legend(handles=handles, fontsize=8, loc="best", markerscale=1.2)
    if images is not None and n_thumbnails > 0:
        thumbs = _as_images(images)
        span = points.max(axis=0) - points.min(axis=0)
        scaled = (points - points.min(axis=0)) / np.where(span > 0, span, 1)
        placed: list[np.ndarray] = []
        for i in range(len(points)):
            if len(placed) >= n_thumbnails:
                break
            if all(np.linalg.norm(scaled[i] - p) >= min_distance for p in placed):
                placed.append(scaled[i])
                box = AnnotationBbox(OffsetImage(thumbs[i], cmap="binary", zoom=0.8), points[i], pad=0.1,
                                     frameon=True)
                ax.add_artist(box)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def tile(images: np.ndarray, ncols: int = 4, pad: int = 1) -> np.ndarray:
    """One image made of ``images`` laid out in a grid with ``ncols`` columns and ``pad`` white pixels between."""
    x = _as_images(images)
    n = len(x)
    nrows = int(np.ceil(n / ncols))
    h, w = x.shape[1:3]
    canvas = np.zeros((nrows * (h + pad) + pad, ncols * (w + pad) + pad, *x.shape[3:]), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return np.clip(canvas, 0, 1)


def save_gif(frames: Sequence[np.ndarray], path, duration_ms: int = 300, scale: int = 3, invert: bool = True):
    """Write frames (2-D or RGB arrays in [0, 1]) as a looping animated GIF, each pixel ``scale`` times larger."""
    from pathlib import Path

    from PIL import Image

    if not frames:
        raise ValueError("save_gif needs at least one frame.")
    images = []
    for frame in frames:
        arr = np.clip(np.asarray(frame, dtype=np.float32), 0, 1)
        arr = 1.0 - arr if invert and arr.ndim == 2 else arr  # dark ink on white, like the 'binary' colour map
        img = Image.fromarray((arr * 255).round().astype(np.uint8))
        images.append(img.resize((img.width * scale, img.height * scale), Image.NEAREST))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def show_gif(path, width: int | None = None):
    """Display a GIF inline (as an HTML image, so it survives in the rendered book)."""
    import base64
    from pathlib import Path

    from IPython.display import HTML

    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    size = f' width="{width}"' if width else ""
    return HTML(f'<img src="data:image/gif;base64,{data}"{size} alt="{Path(path).name}"/>')
