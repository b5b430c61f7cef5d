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


@pytest.fixture(scope="module")
def fashion():
    """2,000 Fashion-MNIST training images (and the full validation and test sets), loaded once for the module."""
    from helpers import data

    return data.load_dataset("fashion_mnist", train_size=2_000)


@pytest.fixture(scope="module")
def fashion_classifier(fashion, tmp_path_factory):
    """``domain_classifier`` trained once (two epochs on the 2,000 images) for the module's tests, cached in a module
    folder: ``(classifier, cache folder)``."""
    from helpers.metrics import domain_classifier

    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GENBOOK_CACHE_DIR", str(cache))
        return domain_classifier("fashion_test", fashion.x_train, fashion.y_train, epochs=2), cache


def test_domain_classifier_is_cached_and_scores_labels(fashion, fashion_classifier, monkeypatch):
    from helpers.metrics import domain_classifier, label_accuracy

    ds, (clf, cache) = fashion, fashion_classifier  # trained by domain_classifier on first use
    acc = label_accuracy(clf, ds.x_test[:1_000], ds.y_test[:1_000])
    assert acc > 0.6  # far above the 0.1 of chance after two epochs on 2,000 images
    monkeypatch.setenv("GENBOOK_CACHE_DIR", str(cache))
    again = domain_classifier("fashion_test", ds.x_train, ds.y_train, epochs=2)  # loads, no training
    np.testing.assert_allclose(again.predict(ds.x_test[:5], verbose=0), clf.predict(ds.x_test[:5], verbose=0),
                               rtol=1e-5)
    assert label_accuracy(clf, ds.x_test[:1_000], (ds.y_test[:1_000] + 1) % 10) < 0.2


def _gaussian_fd(m1, c1, m2, c2):
    from scipy.linalg import sqrtm

    return float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * np.real(sqrtm(c1 @ c2))))


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    from helpers.metrics import frechet_distance

    rng = np.random.default_rng(0)
    m1, m2 = np.zeros(3), np.array([1.0, -0.5, 0.2])
    c1 = np.diag([1.0, 2.0, 0.5])
    c2 = np.array([[1.5, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 0.8]])
    a = rng.multivariate_normal(m1, c1, size=50_000)
    b = rng.multivariate_normal(m2, c2, size=50_000)
    assert frechet_distance(a, b) == pytest.approx(_gaussian_fd(m1, c1, m2, c2), abs=0.03)


def test_frechet_distance_is_zero_for_identical_sets_symmetric_and_grows_with_a_shift():
    from helpers.metrics import frechet_distance

    a = np.random.default_rng(1).normal(size=(2_000, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    b = np.random.default_rng(2).normal(size=(2_000, 4)) + 0.3
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    shifts = [frechet_distance(a, a + s) for s in (0.0, 0.5, 1.0, 2.0)]
    assert shifts == sorted(shifts) and shifts[-1] == pytest.approx(4 * 4.0, rel=1e-6)
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(a, b[:, :3])


def test_frechet_distance_is_silent_and_exact_with_dead_features():
    """Dead ReLU units make the covariances singular; the distance ignores them, with no warning."""
    import warnings

    from helpers.metrics import frechet_distance

    rng = np.random.default_rng(3)
    live_a, live_b = rng.normal(size=(500, 6)), rng.normal(size=(500, 6)) * 1.3 + 0.2
    dead = np.zeros((500, 4))  # always-zero features, as an untrained or collapsed unit gives
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's sqrtm of the singular product warned here
        with_dead = frechet_distance(np.hstack([live_a, dead]), np.hstack([live_b, dead]))
    assert with_dead == pytest.approx(frechet_distance(live_a, live_b), rel=1e-9)
    cov_a, cov_b = np.cov(live_a, rowvar=False), np.cov(live_b, rowvar=False)
    assert with_dead == pytest.approx(_gaussian_fd(live_a.mean(0), cov_a, live_b.mean(0), cov_b), rel=1e-9)


def test_kid_is_unbiased_around_zero_for_one_distribution_and_positive_for_two():
    from helpers.metrics import kernel_inception_distance

    rng = np.random.default_rng(3)
    same = [kernel_inception_distance(rng.normal(size=(400, 8)), rng.normal(size=(400, 8)), n_subsets=5,
                                      subset_size=200, seed=s)[0] for s in range(8)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-3
    assert min(same) < 0 < max(same)  # unbiased: the estimate scatters on both sides of zero
    shifted, _ = kernel_inception_distance(rng.normal(size=(400, 8)), rng.normal(size=(400, 8)) + 0.5,
                                           n_subsets=5, subset_size=200)
    assert shifted > 10 * np.std(same)


def test_classifier_fid_reports_the_real_floor_and_coverage(fashion, fashion_classifier):
    from helpers.metrics import class_coverage, classifier_fid

    ds, (clf, _) = fashion, fashion_classifier  # the module's domain classifier, trained once
    real = ds.x_test[:1_000]
    good = classifier_fid(clf, ds.x_valid[:500], real, n=500)
    noise = classifier_fid(clf, np.random.default_rng(0).random((500, 28, 28)).astype("float32"), real, n=500)
    assert good["floor"] < noise["fid"] and good["fid"] < noise["fid"]
    assert good["fid"] < 3 * good["floor"] + 1.0
    with pytest.raises(ValueError, match="needs 500 generated and 1000 real"):
        classifier_fid(clf, real[:500], real[:999], n=500)
    coverage = class_coverage(clf, real)
    assert coverage.shape == (10,) and coverage.sum() == pytest.approx(1.0) and np.sum(coverage > 0.02) >= 8
    collapsed = class_coverage(clf, np.repeat(real[:1], 200, axis=0))  # a "generator" with one output
    assert collapsed.max() == pytest.approx(1.0)


def test_mode_coverage_counts_modes_and_good_samples():
    from helpers.data import make_gaussian_ring
    from helpers.metrics import mode_coverage

    ring = make_gaussian_ring(2000, seed=0)
    covered, share = mode_coverage(ring)
    assert covered == 8 and share > 0.97
    one_mode = np.array([2.0, 0.0]) + 0.02 * np.random.default_rng(1).normal(size=(500, 2))
    assert mode_coverage(one_mode) == (1, pytest.approx(0.99, abs=0.02))
    far = np.random.default_rng(2).normal(size=(500, 2)) * 0.1 + 10.0
    assert mode_coverage(far) == (0, 0.0)
    half = np.concatenate([ring[:1000], far])
    covered, share = mode_coverage(half)
    assert covered == 8 and share == pytest.approx(1000 / 1500 * mode_coverage(ring[:1000])[1], rel=1e-6)
    rare = np.concatenate([one_mode, np.array([[0.0, 2.0]] * 5)])  # 1% of samples on a second mode
    assert mode_coverage(rare)[0] == 1 and mode_coverage(rare, min_share=0.005)[0] == 2
    assert mode_coverage(rare, min_share=0)[0] == 2  # the published criterion: one good sample is enough
    assert mode_coverage(one_mode, min_share=0)[0] == 1  # but a mode with none is not covered
    with pytest.raises(ValueError, match="min_share"):
        mode_coverage(ring, min_share=-0.1)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        mode_coverage(np.zeros((3, 3)))


def test_retrieval_ranks_find_true_pairs_and_count_ties_against_the_query():
    from helpers.metrics import retrieval_ranks, retrieval_top1

    rng = np.random.default_rng(0)
    b = rng.uniform(size=(50, 4, 4, 3))
    assert retrieval_top1(b + 0.001, b, group_size=20) == 1.0  # near copies find their pair
    ranks = retrieval_ranks(np.zeros_like(b), np.zeros_like(b), group_size=20)
    np.testing.assert_array_equal(ranks, 19)  # all tied: the worst rank
    shuffled = retrieval_ranks(b[::-1], b, group_size=10)  # a wrong pairing is mostly not found
    assert np.mean(shuffled == 0) < 0.5
    assert ranks.min() >= 0 and shuffled.max() <= 9


def test_retrieval_ranks_are_seeded_and_never_draw_the_true_pair_twice():
    from helpers.metrics import retrieval_ranks

    rng = np.random.default_rng(1)
    b = rng.normal(size=(30, 5))
    q = b + rng.normal(scale=1.0, size=b.shape)
    np.testing.assert_array_equal(retrieval_ranks(q, b, 10, seed=3), retrieval_ranks(q, b, 10, seed=3))
    # with every candidate in the group, the rank is the number of others at least as near
    full = retrieval_ranks(q, b, group_size=30)
    d = ((q[:, None] - b[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(full, (d <= np.diag(d)[:, None]).sum(1) - 1)


def test_retrieval_bad_input():
    from helpers.metrics import retrieval_ranks

    with pytest.raises(ValueError, match="same shape"):
        retrieval_ranks(np.zeros((5, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="group_size"):
        retrieval_ranks(np.zeros((5, 3)), np.zeros((5, 3)), group_size=6)


def test_small_cnn_classifier_takes_padded_images_and_refuses_colour():
    from helpers.metrics import small_cnn_classifier

    assert small_cnn_classifier(10, (32, 32, 1)).output_shape == (None, 10)
    with pytest.raises(ValueError, match="greyscale"):
        small_cnn_classifier(10, (32, 32, 3))


def test_style_judge_tells_the_two_vendors_real_drawings_apart():
    from helpers import data
    from helpers.metrics import StyleJudge

    # 24 px costs about 0.6 of 32 px with the same margin: held-out accuracy 0.81-0.91 over 15 runs (judge seeds 0-4,
    # split seeds 0-2), 0.82-0.91 over 10 at 32 px
    emoji = data.load_emoji_domains(24, max_emoji=600, seed=0, paired=True)
    judge = StyleJudge(emoji.pairs_a, emoji.pairs_b, epochs=15, seed=0)
    assert judge.accuracy(emoji.test_a, emoji.test_b) >= 0.75  # held-out emoji, never seen in either style
    p_b = judge.probability_b(emoji.test_b)
    assert p_b.shape == (len(emoji.test_b),) and np.all((p_b >= 0) & (p_b <= 1))
    assert judge.share(emoji.test_a, "a") == pytest.approx(1 - judge.share(emoji.test_a, "b"))
    assert judge.share(emoji.test_b, "b") > judge.share(emoji.test_a, "b")


def test_style_judge_refuses_other_shapes_and_styles_with_a_clear_error():
    from helpers.metrics import StyleJudge

    rng = np.random.default_rng(0)
    dark, light = rng.uniform(0, 0.3, (32, 8, 8, 3)), rng.uniform(0.7, 1, (32, 8, 8, 3))
    judge = StyleJudge(dark, light, epochs=20, seed=0)
    assert judge.accuracy(dark, light) == 1.0
    with pytest.raises(ValueError, match=r"shape \(n, 8, 8, 3\), got \(4, 16, 16, 3\); resize"):
        judge.share(rng.uniform(size=(4, 16, 16, 3)), "b")
    with pytest.raises(ValueError, match=r"shape \(n, 8, 8, 3\), got \(8, 8, 3\)"):
        judge.probability_b(dark[0])
    with pytest.raises(ValueError, match="style is 'a' or 'b'"):
        judge.share(dark, "twitter")
    with pytest.raises(ValueError, match="one shape"):
        StyleJudge(dark, light[:, :4], epochs=1)
