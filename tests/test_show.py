import pytest

from helpers import show
from helpers.metrics import principal_angles


def test_source_of_a_helpers_function():
    src = show.source_of(principal_angles)
    assert src.startswith("def principal_angles(") and "subspace_angles" in src


def test_show_source_prints_outside_ipython(capsys):
    assert show.show_source(principal_angles) is None
    assert "def principal_angles" in capsys.readouterr().out


def test_show_source_rejects_builtins():
    with pytest.raises(TypeError, match="No Python source"):
        show.source_of(len)
