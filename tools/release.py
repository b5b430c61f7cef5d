"""One source of truth for a release: the version in ``pyproject.toml`` and the repository in ``_config.yml``.

Every notebook's install cell, ``helpers.__version__`` and the install lines quoted in ``book/colab.md`` must
name ``git+<repository>@v<version>``.

    python tools/release.py check          # CI: fails, naming each place that disagrees
    python tools/release.py bump 0.2.0     # rewrites every place, then prints the tag commands

The install cell runs only on Colab or Kaggle (``"google.colab" in sys.modules`` or
``KAGGLE_KERNEL_RUN_TYPE`` in the environment), so a bump does not change what a
local run executes: a notebook whose committed outputs were fresh before the bump has its stamp's code hash
renewed; a stale one is left stale for ``check_outputs.py`` to report.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbstamp import STAMP_KEY, code_hash  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "genbook-helpers"
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
# A pip requirement of the package from git at a tag: "genbook-helpers @ git+<url>@v<version>".
SPEC = re.compile(rf"{PACKAGE} @ git\+(?P<url>[^\s\"'@]+)@v(?P<version>[0-9A-Za-z.\-]+)")
VERSION_LINE = re.compile(r'^version\s*=\s*"(?P<version>[^"]+)"', re.MULTILINE)
INIT_LINE = re.compile(r'^__version__\s*=\s*"(?P<version>[^"]+)"', re.MULTILINE)
QUOTED_TAG = re.compile(r"release tag `v(?P<version>[0-9A-Za-z.\-]+)`")


def project_version(root: Path = ROOT) -> str:
    """The version that ``pyproject.toml`` declares (its ``[project]`` table)."""
    match = VERSION_LINE.search((root / "pyproject.toml").read_text())
    if not match:
        raise SystemExit("pyproject.toml declares no version = \"x.y.z\" line.")
    return match["version"]


def repository_url(root: Path = ROOT) -> str:
    """The repository of the rendered book (``_config.yml``: ``repository.url``)."""
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise SystemExit("_config.yml has no repository.url.")
    return str(url).rstrip("/")


def install_spec(url: str, version: str) -> str:
    """The requirement every install cell names."""
    return f"{PACKAGE} @ git+{url}@v{version}"


def install_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells that pip-install the package."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and SPEC.search(cell.source)]


def check(root: Path = ROOT) -> list[str]:
    """Every place that disagrees with ``pyproject.toml``'s version and ``_config.yml``'s repository."""
    version, url = project_version(root), repository_url(root)
    want = install_spec(url, version)
    problems = []
    if not SEMVER.match(version):
        problems.append(f"pyproject.toml: version {version!r} is not x.y.z")
    init = INIT_LINE.search((root / "helpers" / "__init__.py").read_text())
    if not init or init["version"] != version:
        problems.append(f"helpers/__init__.py: __version__ is {init['version'] if init else None!r}, "
                        f"pyproject.toml says {version!r}")
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells = install_cells(nb)
        if not cells:
            problems.append(f"{path.name}: no install cell naming {want!r}")
        for i in cells:
            for match in SPEC.finditer(nb.cells[i].source):
                if match[0] != want:
                    problems.append(f"{path.name}, cell {i}: installs {match[0]!r}, expected {want!r}")
    for path in sorted((root / "book").glob("*.md")):
        text = path.read_text()
        for match in SPEC.finditer(text):
            if match[0] != want:
                problems.append(f"book/{path.name}: quotes {match[0]!r}, expected {want!r}")
        for match in QUOTED_TAG.finditer(text):
            if match["version"] != version:
                problems.append(f"book/{path.name}: names the release tag v{match['version']}, expected v{version}")
    return problems


def _retag(text: str, url: str, version: str) -> str:
    text = SPEC.sub(install_spec(url, version), text)
    return QUOTED_TAG.sub(f"release tag `v{version}`", text)


def bump(version: str, root: Path = ROOT) -> list[Path]:
    """Set the release to ``version`` everywhere; returns the files changed."""
    if not SEMVER.match(version):
        raise SystemExit(f"VERSION must look like 1.2.3, got {version!r}.")
    url = repository_url(root)
    changed = []
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    new = VERSION_LINE.sub(f'version = "{version}"', text, count=1)
    init = root / "helpers" / "__init__.py"
    init_text = init.read_text()
    new_init = INIT_LINE.sub(f'__version__ = "{version}"', init_text, count=1)
    for path, old, fresh in ((pyproject, text, new), (init, init_text, new_init)):
        if fresh != old:
            path.write_text(fresh)
            changed.append(path)
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        stamp = nb.metadata.get(STAMP_KEY, {})
        was_fresh = stamp.get("code_hash") == code_hash(nb)
        edited = False
        for i in install_cells(nb):
            source = _retag(nb.cells[i].source, url, version)
            if source != nb.cells[i].source:
                nb.cells[i].source, edited = source, True
        if edited:
            if was_fresh:  # only the Colab-only install line changed: the recorded run still matches
                stamp["code_hash"] = code_hash(nb)
            nbformat.write(nb, path)
            changed.append(path)
    for path in sorted((root / "book").glob("*.md")):
        text = path.read_text()
        new = _retag(text, url, version)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def _report(problems: list[str]) -> bool:
    """Print each problem; True when there were none."""
    for problem in problems:
        print(f"release: {problem}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="fail when the version or repository disagree anywhere")
    bump_parser = sub.add_parser("bump", help="set a new version everywhere")
    bump_parser.add_argument("version")
    args = parser.parse_args(argv)
    if args.command == "check":
        if not _report(check()):
            print("release: run `make release VERSION=x.y.z` to set one version everywhere.")
            return 1
        spec = install_spec(repository_url(), project_version())
        print(f"release: every notebook, helpers and the book install {spec}")
        return 0
    changed = bump(args.version)
    for path in changed:
        print(f"updated {path.relative_to(ROOT)}")
    if not _report(check()):
        return 1
    print(f"\nNow commit, then tag and push the release:\n"
          f"  git commit -am 'Release v{args.version}'\n"
          f"  git tag -a v{args.version} -m 'Release v{args.version}'\n"
          f"  git push origin main v{args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
