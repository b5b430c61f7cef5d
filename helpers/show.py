"""Show the real source of a helpers object inside a notebook and the rendered book."""

from __future__ import annotations

import inspect
import textwrap


def source_of(obj: object) -> str:
    """The source text of a function, class or method, dedented."""
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (TypeError, OSError) as err:
        raise TypeError(f"No Python source is available for {obj!r}: pass a function, class or method "
                        "defined in a .py file.") from err


def show_source(obj: object):
    """Display the highlighted source of ``obj`` (a ``IPython.display.Code``); print it outside IPython."""
    source = source_of(obj)
    try:
        from IPython import get_ipython
        from IPython.display import Code
    except ImportError:  # pragma: no cover - IPython ships with every notebook environment
        print(source)
        return None
    if get_ipython() is None:
        print(source)
        return None
    return Code(source, language="python")
