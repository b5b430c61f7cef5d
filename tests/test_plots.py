import numpy as np
import pytest

from helpers import plots

RNG = np.random.default_rng(0)


def test_image_grid_lays_out_rows_and_titles():
    fig = plots.image_grid(RNG.random((10, 28, 28)), ncols=4, titles=[str(i) for i in range(10)])
    axes = fig.get_axes()
    assert len(axes) == 12  # 3 rows of 4
    assert sum(1 for ax in axes if ax.images) == 10
    assert axes[3].get_title() == "3"


def test_image_grid_accepts_vectors_and_channels():
    assert len(plots.image_grid(RNG.random((3, 784))).get_axes()) == 3
    assert len(plots.image_grid(RNG.random((2, 8, 8, 1))).get_axes()) == 2
    assert len(plots.image_grid(RNG.random((2, 8, 8, 3))).get_axes()) == 2


def test_bad_image_shapes_are_explained():
    with pytest.raises(ValueError, match="square"):
        plots.image_grid(RNG.random((3, 10)))
    with pytest.raises(ValueError, match="Expected images"):
        plots.image_grid(RNG.random((3, 8, 8, 2)))
    with pytest.raises(ValueError, match="at least one"):
        plots.image_grid(np.zeros((0, 8, 8)))


def test_reconstructions_two_rows():
    x = RNG.random((5, 28, 28))
    fig = plots.plot_reconstructions(x, x, n=4)
    assert len(fig.get_axes()) == 8
    assert fig.get_axes()[0].get_ylabel() == "original"
    with pytest.raises(ValueError, match="differ in shape"):
        plots.plot_reconstructions(x, x[:, :10, :10])


def test_history_plots_validation_dashed():
    ax = plots.plot_history({"loss": [3, 2, 1], "val_loss": [3.5, 2.5, 2]}, logy=True)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]
    assert lines[1].get_linestyle() == "--" and ax.get_yscale() == "log"
    with pytest.raises(KeyError, match="has loss"):
        plots.plot_history({"loss": [1]}, keys=["kl"])
    with pytest.raises(ValueError):
        plots.plot_history({})


def test_latent_scatter_with_thumbnails():
    from matplotlib.offsetbox import AnnotationBbox

    points = RNG.normal(size=(200, 2))
    labels = RNG.integers(0, 10, size=200)
    ax = plots.latent_scatter(points, labels, class_names=[str(i) for i in range(10)],
                              images=RNG.random((200, 28, 28)), n_thumbnails=12, min_distance=0.1)
    boxes = [a for a in ax.artists if isinstance(a, AnnotationBbox)]
    assert 0 < len(boxes) <= 12
    assert len(ax.get_legend().get_texts()) == 10


def test_latent_scatter_checks_its_inputs():
    with pytest.raises(ValueError, match="2-D points"):
        plots.latent_scatter(RNG.normal(size=(5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="labels"):
        plots.latent_scatter(RNG.normal(size=(5, 2)), np.zeros(4))


def test_tile_lays_out_a_padded_grid():
    canvas = plots.tile(np.ones((5, 4, 4)), ncols=3, pad=1)
    assert canvas.shape == (2 * 5 + 1, 3 * 5 + 1)
    assert canvas[0].sum() == 0 and canvas[1, 1] == 1.0 and canvas[6:, 11:].sum() == 0  # 6th slot empty


def test_gif_round_trip(tmp_path):
    from PIL import Image

    frames = [np.full((4, 4), v) for v in (0.0, 0.5, 1.0)]
    path = plots.save_gif(frames, tmp_path / "a.gif", scale=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (8, 8)
    html = plots.show_gif(path, width=100).data
    assert html.startswith('<img src="data:image/gif;base64,') and 'width="100"' in html
    with pytest.raises(ValueError, match="at least one frame"):
        plots.save_gif([], tmp_path / "b.gif")
