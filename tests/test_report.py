import numpy as np
import pytest

from helpers import report


def test_record_prints_stores_and_converts_numpy(capsys):
    assert report.record("ch99_ratio", np.float32(1.23456), fmt=".3f") is None
    value = report.RECORDED["ch99_ratio"]
    assert value == pytest.approx(1.23456, rel=1e-6) and type(value) is float
    assert capsys.readouterr().out.strip() == "ch99_ratio = 1.235"
    report.record("ch99_count", np.int64(3), unit="modes")
    assert type(report.RECORDED["ch99_count"]) is int
    assert capsys.readouterr().out.strip() == "ch99_count = 3 modes"


def test_record_rejects_names_the_book_cannot_cite():
    with pytest.raises(ValueError, match="identifiers"):
        report.record("ch 01 ratio", 1.0)


def test_claim_stops_a_book_run_and_only_reports_in_smoke(monkeypatch, capsys):
    from helpers import config

    monkeypatch.setattr(config, "_current_mode", "book")
    assert report.claim("the loss falls", 2.0 < 3.0) is True
    assert "claim holds: the loss falls" in capsys.readouterr().out
    with pytest.raises(report.ClaimFailed, match="the loss rises"):
        report.claim("the loss rises", 2.0 > 3.0)
    monkeypatch.setattr(config, "_current_mode", "smoke")
    assert report.claim("the loss rises", np.bool_(False)) is False
    assert "not checked at this budget (smoke mode)" in capsys.readouterr().out
    assert report.CLAIMS[-1] == ("the loss rises", False)
