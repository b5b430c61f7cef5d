"""The verdict machinery of helpers.checks (CheckResult, require) and the package's re-exports."""

import re

import pytest

from helpers import checks


def test_check_result_shows_its_message():
    result = checks.CheckResult(False, "not yet: normalise them")
    assert repr(result) == str(result) == "not yet: normalise them"
    assert not result and checks.CheckResult(True, "correct")


def test_require_prints_verdicts_and_fails_on_a_wrong_one(capsys):
    right, wrong = checks._correct("fine"), checks._wrong("the sign is flipped")
    checks.require(right, None)
    assert capsys.readouterr().out.splitlines() == ["correct: fine",
                                                    "skipped: this check does not apply to the data of this run."]
    with pytest.raises(AssertionError, match="not yet: the sign is flipped"):
        checks.require(right, wrong)
    with pytest.raises(TypeError, match="results of checks.check_"):
        checks.require(True)


def test_the_package_re_exports_every_checker_of_its_modules():
    from helpers.checks import autoencoders, gans, getting_started, growing, image_to_image, variational

    defined = {name for module in (getting_started, autoencoders, variational, gans, image_to_image, growing)
               for name, obj in vars(module).items() if name.startswith("check_") and obj.__module__ == module.__name__}
    assert defined == {name for name in dir(checks) if name.startswith("check_")}
    assert defined == {name for name in checks.__all__ if name.startswith("check_")}
    assert defined == set(re.findall(r":func:`(check_\w+)`", checks.__doc__))  # the exercise table lists them all
