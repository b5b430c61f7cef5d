import numpy as np
import pytest

from helpers import config, training
from helpers.models.growing import fit_progressive, num_stages, upsample
from helpers.models.stylegan import MappingNetwork, StyleGAN

RNG = np.random.default_rng(0)
X = RNG.random((16, 16, 16, 1)).astype("float32")
X8 = X[:, :8, :8]  # for the 8x8 models that train: two stages (4x4, then 8x8 faded in) trace fewer, smaller steps
FIRST_VERSION = {"style_layer": "adain", "const_init": "ones", "upsampling": "nearest"}
GROWTH = {"fade_epochs": [0, 1], "stable_epochs": [1, 1], "batch_size": 8, "name": "grown", "verbose": 0}


def _tiny(resolution=16, **kwargs):
    config.set_seed(0)
    model = StyleGAN(latent_dim=8, w_dim=6, mapping_layers=3, resolution=resolution,
                     channels=(8, 8, 4)[:num_stages(resolution)], seed=0, **kwargs)
    model.compile()
    return model


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """The first version (AdaIN, constant of ones, nearest upsampling) grown to 8x8, once for the module's tests:
    ``(model, histories, weights before training, checkpoint folder)``."""
    model = _tiny(resolution=8, **FIRST_VERSION)
    before = [w.numpy().copy() for w in model.trainable_weights]
    directory = tmp_path_factory.mktemp("stylegan")
    histories = fit_progressive(model, X8, directory=directory, **GROWTH)
    return model, histories, before, directory


def test_mapping_network_maps_z_to_w():
    mapping = MappingNetwork(latent_dim=8, w_dim=6)
    assert len(mapping.dense) == 8  # the paper's eight layers by default
    w = mapping(RNG.normal(size=(5, 8)).astype("float32"))
    assert tuple(w.shape) == (5, 6)
    with pytest.raises(ValueError, match=r"\(batch, 8\) noise"):
        mapping(np.zeros((5, 7), "float32"))


def test_synthesis_shapes_noise_scales_and_fixed_noise():
    model = _tiny()
    assert model.num_ws == 6
    assert all(np.all(n.noise_scale.numpy() == 0) for n in model.synthesis.noises)  # noise scales start at zero
    noise = model.noise_maps(3, seed=1)
    assert [m.shape[1] for m in noise] == [4, 4, 8, 8, 16, 16]
    a = model.generate(3, seed=2, noise=noise)
    assert a.shape == (3, 16, 16, 1) and 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, model.generate(3, seed=2, noise=noise))
    with pytest.raises(ValueError, match="ws of shape"):
        model.synthesis(np.zeros((2, 5, 6), "float32"))


def test_truncation_and_mixing():
    model = _tiny()
    model.w_avg.assign(np.ones(6, "float32"))
    w = model.mapping_ema(model.latent(2, seed=0))
    np.testing.assert_allclose(model.truncate(w, 0.0).numpy(), np.ones((2, 6)), atol=1e-6)
    np.testing.assert_allclose(model.truncate(w, 1.0).numpy(), w.numpy(), atol=1e-6)
    za, zb = model.latent(2, seed=0), model.latent(2, seed=1)
    ws = model.mixed_ws(za, zb, 2, 4).numpy()
    wa, wb = model.mapping_ema(za).numpy(), model.mapping_ema(zb).numpy()
    for i in range(6):
        np.testing.assert_allclose(ws[:, i], wb if 2 <= i < 4 else wa, atol=1e-6)
    with pytest.raises(ValueError, match="start <= stop"):
        model.mixed_ws(za, zb, 4, 2)


def test_train_step_updates_generator_critic_and_w_avg(grown):
    model, histories, before, directory = grown  # the first version, grown to 8x8 (the shared fixture)
    assert all(set(h) == {"d_loss", "g_loss", "real_score", "fake_score", "r1"} for h in histories)
    assert all(np.isfinite(h["d_loss"]).all() for h in histories)
    changed = {w.path for w, b in zip(model.trainable_weights, before, strict=True) if not np.array_equal(b, w.numpy())}
    assert model.mapping.dense[0].kernel.path in changed
    assert model.discriminator.score.kernel.path in changed  # the critic trains too
    assert np.abs(model.w_avg.numpy()).sum() > 0
    assert any(np.abs(n.noise_scale.numpy()).sum() > 0 for n in model.synthesis.noises)
    again = _tiny(resolution=8, **FIRST_VERSION)
    fit_progressive(again, X8, directory=directory, **GROWTH)  # loads every stage's checkpoint
    noise = model.noise_maps(2, seed=0)
    np.testing.assert_allclose(again.generate(2, seed=3, noise=noise), model.generate(2, seed=3, noise=noise),
                               atol=1e-6)
    np.testing.assert_allclose(again.w_avg.numpy(), model.w_avg.numpy())
    with pytest.raises(ValueError, match="trains on"):
        model.fit(np.zeros((8, 4, 4, 1), "float32"), epochs=1, verbose=0)


def test_config_round_trip():
    model = _tiny(mixing_prob=0.5, r1_gamma=0.5, style_layer="adain", upsampling="nearest")
    clone = StyleGAN.from_config(model.get_config())
    assert (clone.num_ws, clone.mixing_prob, clone.w_dim, clone.r1_gamma) == (6, 0.5, 6, 0.5)
    assert clone.design == {"style_layer": "adain", "const_init": "normal", "upsampling": "nearest"}
    assert clone.count_params() == model.count_params()


@pytest.mark.parametrize("style_layer", ["adain", "modulated"])
def test_skip_generator_fades_in_each_new_to_rgb(style_layer):
    model = _tiny(style_layer=style_layer)
    synthesis = model.synthesis
    ws = model.broadcast(model.mapping(model.latent(3, seed=1)))
    for stage in (1, 2):
        previous = upsample(synthesis(ws, stage=stage - 1), interpolation="bilinear").numpy()
        np.testing.assert_allclose(synthesis(ws, stage=stage, alpha=0.0).numpy(), previous, rtol=1e-5, atol=1e-5)
        full = synthesis(ws, stage=stage, alpha=1.0).numpy()
        half = synthesis(ws, stage=stage, alpha=0.5).numpy()
        np.testing.assert_allclose(half, (previous + full) / 2, rtol=1e-4, atol=1e-5)
        assert full.shape[1] == 4 * 2 ** stage and np.abs(full - previous).max() > 1e-3


def test_design_choices_change_the_network():
    adain, modulated = _tiny(style_layer="adain", const_init="ones"), _tiny()
    assert np.all(adain.synthesis.const.numpy() == 1.0)
    assert abs(float(modulated.synthesis.const.numpy().std()) - 1.0) < 0.3  # N(0, 1): varied from the start
    assert len(adain.synthesis.adains) == adain.num_ws and not modulated.synthesis.adains
    assert adain.count_params() != modulated.count_params()
    for bad in ({"style_layer": "adaptive"}, {"const_init": "zeros"}, {"upsampling": "cubic"}):
        with pytest.raises(ValueError, match="is one of"):
            _tiny(**bad)


def test_grows_stage_by_stage_and_refuses_an_ungrown_checkpoint(grown, tmp_path):
    model, histories, _, _ = grown  # grown by fit_progressive with GROWTH's schedule
    assert [len(h["d_loss"]) for h in histories] == [1, 2]
    assert int(model.images_seen.numpy()) == 16 * 3 and model.stage == 1
    assert model.generate(3, seed=1).shape == (3, 8, 8, 1)
    model.set_stage(0)
    assert model.generate(3, seed=1).shape == (3, 4, 4, 1)
    model.set_stage(1)  # as the fixture left it, for the other tests
    weights, state = training.checkpoint_paths(tmp_path, "ungrown")  # as the ungrown model's fit_or_load left them
    model.save_weights(weights)
    state.write_text('{"epoch": 1, "history": {}}')
    with pytest.raises(training.CheckpointError, match="trained without growing.*Delete"):
        fit_progressive(model, X8, fade_epochs=[0, 1], stable_epochs=[1, 1], name="ungrown", directory=tmp_path,
                        verbose=0)
    with pytest.raises(ValueError, match="for each of the 2 stages"):
        fit_progressive(model, X8, fade_epochs=[0, 1, 1], stable_epochs=[1, 1, 1], directory=tmp_path)
    with pytest.raises(ValueError, match="one positive channel count per resolution"):
        _tiny_channels = StyleGAN(latent_dim=8, w_dim=6, resolution=16, channels=(8, 8))


def test_mixing_crossover_stays_within_the_layers_a_stage_uses():
    model = _tiny(mixing_prob=1.0)
    model.set_stage(0)
    ws, w1 = model._mixing_ws(64)
    ws = ws.numpy()
    assert np.allclose(ws[:, 0], w1.numpy())  # layer 0 always takes the first style
    assert not np.allclose(ws[:, 1], w1.numpy())  # at 4x4 the crossover is after layer 0, always


def test_style_mixing_explorer_interactive_and_static(monkeypatch):
    from helpers import widgets

    calls = []

    def render(a, b, cross, psi):
        calls.append((a, b, cross, psi))
        return np.full((8, 8), psi)

    monkeypatch.delenv("GENBOOK_HEADLESS", raising=False)
    box = widgets.style_mixing_explorer(render, num_layers=8, seeds=(3, 4))
    seed_a, seed_b, cross, psi = box.children[0].children
    assert calls == [(3, 4, 4, 1.0)]
    cross.value = 2
    psi.value = 0.5
    assert calls[-1] == (3, 4, 2, 0.5)
    monkeypatch.setenv("GENBOOK_HEADLESS", "1")
    calls.clear()
    assert widgets.style_mixing_explorer(render, num_layers=4, static_psis=(0.5, 1.0)) is None
    assert len(calls) == 3 * 2 and {c[2] for c in calls} == {4, 2, 0}


def test_from_budget_follows_the_chapter_row():
    from helpers.models.stylegan import stylegan_from_budget

    row = config.budget("ch13", "smoke")
    model = stylegan_from_budget(row, resolution=16, seed=0)
    assert len(model.mapping.dense) == row["mapping_layers"] and model.mixing_prob == row["mixing_prob"]
    assert model.channels == tuple(row["channels"][:3]) and model.learning_rate == row["learning_rate"]


def test_wgan_gp_loss_and_samples_from_the_moving_average():
    model = _tiny(resolution=8, loss="wgan_gp", ema_half_life=1e9, ema_ramp=None)  # trains at 8x8, its last stage
    noise = model.noise_maps(2, seed=0)
    start = model.generate(2, seed=3, noise=noise)
    history = model.fit(X8, batch_size=8, epochs=1, verbose=0).history
    assert {"wasserstein", "gp"} <= set(history) and np.isfinite(history["d_loss"]).all()
    np.testing.assert_allclose(model.generate(2, seed=3, noise=noise), start, atol=1e-4)
    assert np.abs(model.generate(2, seed=3, noise=noise, ema=False) - start).max() > 1e-4
