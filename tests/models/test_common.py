import numpy as np
import pytest

from helpers.models.common import one_hot, unpack_batch

X = np.zeros((3, 2, 2), dtype="float32")


def test_unconditional_batches_in_every_form_fit_passes():
    for data in (X, (X,), (X, X)):
        x, onehot = unpack_batch(data, None)
        assert tuple(x.shape) == (3, 2, 2) and onehot is None


def test_conditional_batches_give_one_hot_labels():
    x, onehot = unpack_batch((X, np.array([[2], [0], [1]])), 3, "GAN")
    np.testing.assert_array_equal(np.asarray(onehot), np.eye(3)[[2, 0, 1]])
    with pytest.raises(ValueError, match="conditional GAN trains on"):
        unpack_batch(X, 3, "GAN")
    assert np.asarray(one_hot(np.array([1, 1]), 2)).tolist() == [[0.0, 1.0], [0.0, 1.0]]
