"""Tests of tools/colab_estimate.py: the FLOP counter, the scaling of the estimate and the chapter table."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import colab_estimate as ce  # noqa: E402

from helpers.config import BUDGETS, MODES  # noqa: E402


def _unit_flops(net: ce.Net) -> float:
    """A stand-in FLOP count (no TensorFlow): one MFLOP per network pass."""
    return 1e6


def test_dense_layer_flops_match_the_profiler():
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(30)])
    flops = ce.model_flops(model)
    assert abs(flops - 2 * 784 * 30) / (2 * 784 * 30) < 0.05
    assert flops == 2 * 784 * 30 + 30  # the multiply-adds of the MatMul plus the bias adds, per image


@pytest.mark.parametrize("train", [True, False])
def test_work_and_t4_time_scale_linearly_with_images(train):
    net = ce.Net.of("dense_ae", code_size=30)
    runs = [ce.Run(((net, 2.0),), images, 100, updates=2, train=train) for images in (10_000, 20_000, 40_000)]
    work = [ce.run_work(r, _unit_flops) for r in runs]
    assert work[0] == 10_000 * 2 * 1e6 * (ce.TRAIN_FACTOR if train else 1.0)
    assert work[1] == pytest.approx(2 * work[0]) and work[2] == pytest.approx(4 * work[0])
    steps = [ce.run_steps(r) for r in runs]
    assert steps == [s * (2 if train else 1) for s in (100, 200, 400)]
    for u in ce.UTILISATION:
        times = [ce.t4_seconds(w, s, u) - ce.FIXED_OVERHEAD_S for w, s in zip(work, steps, strict=True)]
        assert times[1] == pytest.approx(2 * times[0]) and times[2] == pytest.approx(4 * times[0])
    low, high = (ce.t4_seconds(work[0], steps[0], u) for u in ce.UTILISATION)
    assert low < high


def test_every_budget_chapter_has_phases_that_evaluate_in_every_mode():
    assert set(ce.PHASES) == set(BUDGETS)
    for chapter, phases in ce.PHASES.items():
        if chapter != "ch00":
            assert phases, f"{chapter} declares no training"
        for mode in MODES:
            for run in ce.runs_of(chapter, mode):
                assert run.images >= 0 and run.batch >= 1 and run.nets
    full = ce.estimate("ch02", book_seconds=100.0, flops=_unit_flops)
    assert full.images_full > 0 and full.work_full >= full.train_flops_full > 0
    assert full.cpu_rate == pytest.approx(full.work_book / 100.0)


def test_cached_classifiers_count_once_in_book_mode_and_every_time_in_full_mode():
    first = ce.estimate("ch08", 100.0, _unit_flops)
    reused = ce.estimate("ch08", 100.0, _unit_flops, cached=frozenset(
        r.cache_key for r in ce.runs_of("ch08", "book") if r.cache_key))
    assert reused.work_book < first.work_book
    assert reused.work_full == first.work_full


def test_markdown_table_has_a_row_per_chapter():
    estimates = [ce.estimate(chapter, 60.0, _unit_flops) for chapter in sorted(BUDGETS)]
    lines = ce.table(estimates, markdown=True).splitlines()
    assert len(lines) == 2 + len(BUDGETS)
    assert all(line.startswith("| ") or line.startswith("|---") for line in lines)


def test_data_sizes_come_from_helpers_data():
    assert ce.mnist_train() == 55_000  # 60,000 Fashion-MNIST training images less load_dataset's 5,000
    assert ce.notebook_constant("10_cyclegan", "CATEGORIES")[0] == "Smileys & Emotion"
    with pytest.raises(LookupError, match="assigns no literal"):
        ce.notebook_constant("10_cyclegan", "NO_SUCH_NAME")


def test_every_cell_a_phase_names_is_a_code_cell_of_its_notebook():
    import re

    import nbformat

    notebooks = {p.name[:2]: p for p in (ce.ROOT / "notebooks").glob("*.ipynb")}
    for chapter, phases in ce.PHASES.items():
        cells = nbformat.read(notebooks[chapter[2:]], as_version=4).cells
        for phase in phases:
            for number in re.findall(r"\d+", phase.cell if phase.cell.startswith("cell") else ""):
                assert cells[int(number)].cell_type == "code", f"{chapter} {phase.cell}: cell {number} is not code"
