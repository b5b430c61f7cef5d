import numpy as np

from helpers import widgets


def _decoder(calls):
    def decode(z, label):
        calls.append((z.copy(), label))
        return np.full((1, 8, 8), z[0, 0] / 6 + 0.5)
    return decode


def test_interactive_explorer_decodes_on_every_change(monkeypatch):
    monkeypatch.delenv("GENBOOK_HEADLESS", raising=False)
    calls = []
    box = widgets.latent_explorer(_decoder(calls), latent_dim=5, n_sliders=3, class_names=["a", "b"])
    controls = box.children[0].children
    assert len(controls) == 4 and len(calls) == 1
    controls[0].value = 1.5
    controls[3].value = 1
    assert calls[-2][0][0, 0] == 1.5 and calls[-1][1] == 1
    assert calls[-1][0].shape == (1, 5)


def test_headless_explorer_is_a_static_figure(monkeypatch):
    monkeypatch.setenv("GENBOOK_HEADLESS", "1")
    calls = []
    import matplotlib.pyplot as plt

    assert widgets.latent_explorer(_decoder(calls), latent_dim=2, n_sliders=4, static_steps=5) is None
    assert len(plt.gcf().get_axes()) == 2 * 5  # n_sliders capped at latent_dim
    assert len(calls) == 10 and calls[0][1] is None
