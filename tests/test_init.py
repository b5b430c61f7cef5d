"""Tests of helpers/__init__.py: the version check an old runtime meets first."""

import re
from importlib import metadata
from pathlib import Path

import pytest

import helpers


def test_minimum_versions_are_the_bounds_pyproject_declares():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)[1]
    declared = dict(re.findall(r'"([A-Za-z0-9_.\-]+)>=([0-9.]+)"', block))
    assert declared == helpers.MINIMUM_VERSIONS


def test_too_old_names_each_library_and_what_it_needs():
    installed = {"tensorflow": "2.15.1", "keras": "2.15.0", "numpy": "2.4.6", "scipy": None}
    assert helpers.too_old(installed) == ["tensorflow 2.15.1 (needs >= 2.16.1)", "keras 2.15.0 (needs >= 3.5)"]
    assert helpers.too_old({"tensorflow": "2.16.1rc0", "keras": "3.5.0"}) == []
    assert helpers.too_old({"keras": "3.4.1"}) == ["keras 3.4.1 (needs >= 3.5)"]
    assert helpers.too_old({"matplotlib": "3.10.0"}, {"matplotlib": "3.9"}) == []  # 10 > 9, not "1" < "9"


def test_an_old_runtime_stops_with_one_message(monkeypatch):
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: {"keras": "2.15.0"}.get(name) or real(name))
    with pytest.raises(ImportError, match=r"keras 2\.15\.0 \(needs >= 3\.5\).*--upgrade keras, then"):
        helpers.check_versions()


def test_the_current_runtime_passes():
    helpers.check_versions()
