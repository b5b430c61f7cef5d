"""helpers.estimates: the T4 table is current with the budgets, within full mode's 45 minutes, and readable."""

import pytest

from helpers import estimates
from helpers.config import BUDGETS


@pytest.mark.parametrize("chapter", sorted(BUDGETS))
def test_every_chapter_has_a_current_estimate(chapter):
    assert chapter in estimates.T4_MINUTES, "run `python tools/colab_estimate.py --write`"
    assert estimates.is_current(chapter), (
        f"{chapter}'s full budget changed since its T4 estimate: run `python tools/colab_estimate.py --write`")


@pytest.mark.parametrize("chapter", sorted(BUDGETS))
def test_full_mode_fits_45_minutes_on_a_t4(chapter):
    low, high = estimates.t4_minutes(chapter)
    assert 0 < low <= high <= 45


def test_the_digest_follows_the_budget():
    row = dict(BUDGETS["ch07"]["full"])
    before = estimates.budget_digest(row)
    row["ring_steps"] += 1
    assert estimates.budget_digest(row) != before


def test_text_and_a_clear_error(monkeypatch):
    monkeypatch.setitem(estimates.T4_MINUTES, "chXX", (17, 40))
    monkeypatch.setitem(estimates.T4_MINUTES, "chYY", (4, 4))
    assert estimates.t4_text("chXX") == "17 to 40"
    assert estimates.t4_text("chYY") == "4"
    with pytest.raises(KeyError, match="colab_estimate.py --write"):
        estimates.t4_minutes("ch99")
