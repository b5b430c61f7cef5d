import keras
import numpy as np
import pytest

from helpers import config, losses, training
from helpers.models import style_transfer as st

RNG = np.random.default_rng(0)
SMALL = dict(style_layers=("block1_conv1", "block2_conv1"), content_layers=("block2_conv2",))


@pytest.fixture(scope="module")
def extractor():
    import os

    os.environ["GENBOOK_OFFLINE"] = "1"
    config.set_seed(0)
    return st.feature_extractor(**SMALL, weights="auto", verbose=False)


def test_offline_extractor_uses_random_weights_and_says_so(capsys):
    ex = st.feature_extractor(**SMALL, weights="auto")
    assert ex.vgg_weights is None and "texture statistics" in capsys.readouterr().out
    style, content = st.split_features(ex, np.zeros((2, 32, 32, 3), "float32"))
    assert [tuple(f.shape) for f in style] == [(2, 32, 32, 64), (2, 16, 16, 128)]
    assert [tuple(f.shape) for f in content] == [(2, 16, 16, 128)]
    assert not ex.trainable_weights
    with pytest.raises(ValueError, match="no layers"):
        st.feature_extractor(style_layers=("block9_conv1",), weights=None, verbose=False)


def test_vgg_preprocessing_matches_keras():
    x = RNG.random((2, 4, 4, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(st.VGGPreprocess()(x))
    np.testing.assert_allclose(ours, keras.applications.vgg19.preprocess_input(x * 255.0), atol=1e-3)


def test_transfer_style_lowers_the_style_loss_and_keeps_pixels_in_range(extractor):
    content, style = RNG.random((32, 32, 3)).astype("float32"), RNG.random((32, 32, 3)).astype("float32") ** 3
    result = st.transfer_style(extractor, content, style, steps=6, every=3, learning_rate=0.05)
    assert result.history["style"][-1] < result.history["style"][0]
    assert result.history["content"][0] == pytest.approx(0.0, abs=1e-6)  # starts as the content image
    assert set(result.snapshots) == {0, 3, 6} and 0 <= result.image.min() and result.image.max() <= 1
    with pytest.raises(ValueError, match="init"):
        st.transfer_style(extractor, content, style, steps=1, init="zeros")


def test_transformation_network_keeps_the_size_and_range():
    net = st.transformation_network(filters=4, residual_blocks=1)
    for shape in [(1, 16, 16, 3), (2, 24, 32, 3)]:
        out = keras.ops.convert_to_numpy(net(np.zeros(shape, "float32")))
        assert out.shape == shape and 0 <= out.min() and out.max() <= 1


def test_fast_style_transfer_trains_saves_and_reloads(extractor, tmp_path):
    style = RNG.random((32, 32, 3)).astype("float32")
    crops = st.random_crops([RNG.random((40, 48, 3)).astype("float32")], n=8, size=16)

    def make():
        config.set_seed(0)
        model = st.FastStyleTransfer(st.transformation_network(4, 1), extractor, style)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        return model

    model = make()
    grams = st.style_targets(extractor, style)
    np.testing.assert_allclose(model.style_grams[1].numpy(), keras.ops.convert_to_numpy(grams[1]), rtol=1e-5)
    before = [w.numpy().copy() for w in model.transformer.trainable_weights]
    history = training.fit_or_load(model, crops, name="fast", epochs=1, batch_size=4, directory=tmp_path, verbose=0)
    assert set(history) == {"loss", "style_loss", "content_loss", "tv_loss"}
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(before, model.transformer.trainable_weights,
                                                                   strict=True))
    restored = make()
    training.fit_or_load(restored, crops, name="fast", epochs=1, batch_size=4, directory=tmp_path, verbose=0)
    np.testing.assert_allclose(model.stylise(crops[:2]), restored.stylise(crops[:2]), atol=1e-6)
    with pytest.raises(ValueError, match="divisible by 4"):
        model.stylise(np.zeros((1, 18, 16, 3), "float32"))


def test_fast_style_transfer_round_trips_through_a_keras_file(extractor, tmp_path):
    config.set_seed(0)
    style = RNG.random((32, 32, 3)).astype("float32")
    model = st.FastStyleTransfer(st.transformation_network(4, 1), extractor, style, style_weight=3.0)
    images = RNG.random((2, 16, 16, 3)).astype("float32")
    model.save(tmp_path / "fast.keras")
    loaded = keras.saving.load_model(tmp_path / "fast.keras")
    assert isinstance(loaded, st.FastStyleTransfer) and loaded.style_weight == 3.0
    assert loaded.extractor.style_layers == SMALL["style_layers"]
    np.testing.assert_allclose(loaded.stylise(images), model.stylise(images), atol=1e-6)
    for a, b in zip(loaded.style_grams, model.style_grams, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    features = [keras.ops.convert_to_numpy(f) for f in loaded.extractor(images)]
    expected = [keras.ops.convert_to_numpy(f) for f in extractor(images)]
    for a, b in zip(features, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_random_crops_are_seeded_and_checked():
    img = RNG.random((20, 30, 3)).astype("float32")
    np.testing.assert_array_equal(st.random_crops([img], 3, 8, seed=1), st.random_crops([img], 3, 8, seed=1))
    with pytest.raises(ValueError, match="smaller than the crop"):
        st.random_crops([img], 1, 25)


def test_losses_of_identical_images_are_zero(extractor):
    x = RNG.random((1, 16, 16, 3)).astype("float32")
    style, content = st.split_features(extractor, x)
    assert float(losses.content_loss(content[0], content[0])) == pytest.approx(0.0, abs=1e-7)
    grams = [losses.gram_matrix(f) for f in style]
    assert float(losses.style_loss(style, grams)) == pytest.approx(0.0, abs=1e-7)


def test_vgg_weights_are_random_offline_and_in_the_preflight(monkeypatch):
    from helpers.models.style_transfer import vgg19_weights

    monkeypatch.delenv("GENBOOK_OFFLINE", raising=False)
    monkeypatch.setenv("GENBOOK_MODE", "preflight")
    assert vgg19_weights("auto") is None
    monkeypatch.setenv("GENBOOK_MODE", "full")
    assert vgg19_weights("auto") == "imagenet" and vgg19_weights(None) is None
    monkeypatch.setenv("GENBOOK_OFFLINE", "1")
    assert vgg19_weights("auto") is None
