"""Tested helpers for the course book *Generative Deep Learning with Keras*.

Notebooks import the modules they need: ``from helpers import config, data, plots, report``. Importing the
package first checks that the installed libraries are at least the versions the book is tested with, so that
an old runtime stops here with one message instead of deep inside a model.
"""

from __future__ import annotations

import re
from importlib import metadata

__version__ = "0.1.0"

# The oldest versions the compatibility run (``make compat``) tests; pyproject.toml declares the same bounds.
MINIMUM_VERSIONS: dict[str, str] = {
    "tensorflow": "2.16.1",
    "keras": "3.5",
    "numpy": "1.23.5",
    "scipy": "1.9.2",
    "scikit-learn": "1.2",
    "matplotlib": "3.9",
    "ipywidgets": "7.7.1",
    "h5py": "3.10",
}


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string: '2.16.0rc1' -> (2, 16, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match[0].split(".")) if match else ()


def too_old(installed: dict[str, str | None], minimum: dict[str, str] = MINIMUM_VERSIONS) -> list[str]:
    """The libraries in ``installed`` (name -> version, ``None`` when missing) older than ``minimum``."""
    found = []
    for name, needed in minimum.items():
        version = installed.get(name)
        if version is not None and _release(version) < _release(needed):
            found.append(f"{name} {version} (needs >= {needed})")
    return found


def check_versions() -> None:
    """Raise ``ImportError`` naming every library older than :data:`MINIMUM_VERSIONS`."""
    installed = {}
    for name in MINIMUM_VERSIONS:
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed[name] = None  # a missing library fails at its own import, with its own name
    old = too_old(installed)
    if old:
        raise ImportError(
            "This runtime's libraries are older than the book's helpers support: " + "; ".join(old) + ". "
            "Upgrade them (on Colab: %pip install --upgrade " + " ".join(n.split(" ")[0] for n in old) + ", then "
            "Runtime -> Restart session), or see the book's page 'Running on Colab'."
        )


check_versions()
