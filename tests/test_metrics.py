import numpy as np
import pytest

from helpers.metrics import principal_angles


def test_same_subspace_different_basis_has_zero_angles():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 2))
    b = a @ rng.normal(size=(2, 2))  # another (non-orthonormal) basis of the same plane
    np.testing.assert_allclose(principal_angles(a, b), 0.0, atol=1e-5)


def test_known_angle_between_planes():
    theta = np.radians(30)
    a = np.array([[1, 0], [0, 1], [0, 0]], dtype=float)
    b = np.array([[1, 0], [0, np.cos(theta)], [0, np.sin(theta)]])
    angles = principal_angles(a, b)
    np.testing.assert_allclose(angles, [30.0, 0.0], atol=1e-8)
    np.testing.assert_allclose(principal_angles(a, b, degrees=False)[0], theta)


def test_orthogonal_lines_are_ninety_degrees():
    assert principal_angles(np.array([[1.0], [0.0]]), np.array([[0.0], [2.0]]))[0] == pytest.approx(90.0)


def test_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match="same d"):
        principal_angles(np.ones((3, 2)), np.ones((4, 2)))


def test_pixel_mse_and_psnr():
    from helpers.metrics import pixel_mse, psnr

    a = np.zeros((2, 4, 4))
    b = np.full((2, 4, 4), 0.1)
    assert pixel_mse(a, b) == pytest.approx(0.01)
    assert psnr(a, b) == pytest.approx(20.0)
    assert psnr(a, a) == float("inf")
    with pytest.raises(ValueError, match="differ in shape"):
        pixel_mse(a, b[:1])


def test_domain_classifier_is_cached_and_scores_labels():
    from helpers import data
    from helpers.metrics import domain_classifier, label_accuracy

    ds = data.load_dataset("fashion_mnist", train_size=2_000)
    clf = domain_classifier("fashion_test", ds.x_train, ds.y_train, epochs=2)
    acc = label_accuracy(clf, ds.x_test[:1_000], ds.y_test[:1_000])
    assert acc > 0.6  # far above the 0.1 of chance after two epochs on 2,000 images
    again = domain_classifier("fashion_test", ds.x_train, ds.y_train, epochs=2)  # loads, no training
    np.testing.assert_allclose(again.predict(ds.x_test[:5], verbose=0), clf.predict(ds.x_test[:5], verbose=0),
                               rtol=1e-5)
    assert label_accuracy(clf, ds.x_test[:1_000], (ds.y_test[:1_000] + 1) % 10) < 0.2
