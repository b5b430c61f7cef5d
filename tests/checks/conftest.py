"""Shared by the tests of helpers.checks: ``passes`` and ``fails`` assert a verdict and return it.

The test modules import them (``from .conftest import fails, passes``): this folder is a package.
"""

from helpers import checks


def passes(result):
    assert isinstance(result, checks.CheckResult)
    assert result.passed, result.message
    assert result.message.startswith("correct")
    return result


def fails(result, *fragments):
    assert isinstance(result, checks.CheckResult)
    assert not result.passed, result.message
    assert result.message.startswith("not yet")
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result
