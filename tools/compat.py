"""Compatibility runs: every notebook at the oldest and the newest versions the package allows.

    python tools/compat.py oldest newest      # make compat
    python tools/compat.py newest             # the CI stage

The oldest environment runs every notebook in smoke mode; the newest runs the preflight of full mode (full's
shapes at smoke's amounts, ``tools/smoke.py --mode preflight``), since Colab is the newest releases at full
mode's shapes. The main environment's own smoke run is CI's nbval stage, so each environment executes
every notebook once.

Each environment is a fresh virtual environment on this machine's Python:

* ``oldest``: every dependency in ``pyproject.toml``'s ``[project] dependencies`` (and the notebooks' own
  extra, scikit-image) at the lowest version its bound allows that has a wheel for this Python, chosen
  by uv's ``--resolution lowest-direct``; what those need comes at its newest;
* ``newest``: the newest release of everything, without ``constraints.txt``.

The helpers are then installed by the notebooks' own first-cell command (``%pip install --quiet
"genbook-helpers @ git+<repository>@v<version>"``) with the repository pointed at a local clone of HEAD
tagged with that version, as Colab would fetch the release. The notebooks run from that clone, so nothing
of the working tree is imported. A markdown table of the results goes to ``<out>/compat.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import release  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The notebooks' own needs beyond the package: chapter 11's content images (the book extra) and a kernel
# that papermill can drive. These come at their newest in both environments, except scikit-image's bound.
NOTEBOOK_EXTRAS = ("scikit-image>=0.20",)
RUNNERS = ("papermill", "ipykernel", "nbformat")
# What each environment runs: the oldest the smoke run, the newest the preflight of full mode.
MODES = {"oldest": "smoke", "newest": "preflight"}
REPORTED = ("python", "tensorflow", "keras", "numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets")


def declared_dependencies(root: Path = ROOT) -> list[str]:
    """The ``[project] dependencies`` of ``pyproject.toml``, as written (``name>=bound``)."""
    text = (root / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    if not block:
        raise SystemExit("pyproject.toml has no [project] dependencies list.")
    return re.findall(r'"([^"]+)"', block[1])


def _name(requirement: str) -> str:
    """The distribution name of a requirement such as ``keras>=3.5``."""
    return re.split(r"[<>=!~ ]", requirement)[0]


def install_command(url: str, root: Path = ROOT) -> list[str]:
    """The first notebook's ``%pip install`` line as pip arguments, its repository replaced by ``url``."""
    first = sorted((root / "notebooks").glob("*.ipynb"))[0]
    nb = nbformat.read(first, as_version=4)
    cells = release.install_cells(nb)
    if not cells:
        raise SystemExit(f"{first.name} has no install cell.")
    line = next(line for line in nb.cells[cells[0]].source.splitlines() if "%pip install" in line)
    args = line.strip().split("%pip install", 1)[1].split()
    joined = " ".join(args)  # the requirement is quoted and holds spaces: "genbook-helpers @ git+...@vX"
    spec = release.SPEC.search(joined)
    options = [a for a in joined[: spec.start()].replace('"', " ").split() if a.startswith("-")]
    return ["install", *options, f"{release.PACKAGE} @ git+{url}@v{spec['version']}"]


def run(cmd: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Run ``cmd`` with its output appended to ``log``; raise on failure, naming the log."""
    start = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        result = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode:
        raise SystemExit(f"compat: `{' '.join(cmd[:4])} ...` failed (exit {result.returncode}); see {log}")
    return time.perf_counter() - start


def tagged_clone(out: Path, log: Path) -> tuple[Path, str]:
    """A clone of HEAD with the release tag, as the notebooks' install line expects to find it."""
    clone = out / "repo"
    shutil.rmtree(clone, ignore_errors=True)
    run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], log)
    version = release.project_version(clone)
    run(["git", "-C", str(clone), "tag", "-f", f"v{version}", "HEAD"], log)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()
    if dirty:
        print("compat: the working tree has uncommitted changes; the environments test HEAD only")
    return clone, version


def build(name: str, out: Path, clone: Path, python: str, log: Path) -> Path:
    """Create environment ``name`` and install the helpers into it; returns its Python."""
    venv = out / name / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)], log)
    py = venv / "bin" / "python"
    uv = [sys.executable, "-m", "uv", "pip", "install", "--python", str(py), "--only-binary", ":all:"]
    if name == "oldest":
        run([*uv, "--resolution", "lowest-direct", *declared_dependencies(clone), *NOTEBOOK_EXTRAS], log)
        run([*uv, *RUNNERS], log)  # the runners at their newest, keeping the versions above
    else:
        run([*uv, "--upgrade", *map(_name, [*declared_dependencies(clone), *NOTEBOOK_EXTRAS]), *RUNNERS], log)
    run([str(py), "-m", "pip", *install_command(f"file://localhost{clone}", clone)], log)
    return py


def kernel_versions(notebook: Path) -> dict[str, str]:
    """The versions the setup chapter's kernel printed (``config.environment_report``)."""
    found: dict[str, str] = {}
    if not notebook.exists():
        return found
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                key, _, value = line.strip().partition(": ")
                if key in REPORTED:
                    found[key] = value
    return found


def smoke(name: str, py: Path, clone: Path, out: Path, log: Path) -> dict:
    """Every notebook of the clone in environment ``name``'s mode (:data:`MODES`) with its Python."""
    where = subprocess.run([str(py), "-c", "import helpers; print(helpers.__file__, helpers.__version__)"],
                           capture_output=True, text=True, cwd=out, check=False)
    if where.returncode or str(clone) in where.stdout:
        raise SystemExit(f"compat: {name} imports helpers from the wrong place: {where.stdout}{where.stderr}")
    results_dir = out / name / "notebooks"
    shutil.rmtree(results_dir, ignore_errors=True)
    env = {**os.environ, "GENBOOK_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": ""}
    command = [str(py), "tools/smoke.py", "--mode", MODES[name], "--out", str(results_dir)]
    with log.open("a") as handle:
        handle.write(f"\n$ {' '.join(command)}\n")
    result = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, check=False)
    with log.open("a") as handle:
        handle.write(result.stdout + result.stderr)
    notebooks = {}
    for line in result.stdout.splitlines():
        match = re.match(r"\s*(ok|SLOW.*?|TOO SLOW.*?|FAIL) (\S+\.ipynb): (.*)$", line)
        if match:
            status, nb, rest = match.groups()
            notebooks[nb] = {"ok": not status.startswith(("FAIL", "TOO")), "detail": rest[:300]}
    return {"helpers": where.stdout.strip(), "versions": kernel_versions(results_dir / "00_setup.ipynb"),
            "notebooks": notebooks, "passed": result.returncode == 0}


def report(results: dict[str, dict], out: Path) -> str:
    names = list(results)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in REPORTED:
        lines.append(f"| {key} | " + " | ".join(results[n]["versions"].get(key, "?") for n in names) + " |")
    notebooks = sorted({nb for r in results.values() for nb in r["notebooks"]})
    for nb in notebooks:
        cells = []
        for n in names:
            entry = results[n]["notebooks"].get(nb)
            cells.append("not run" if entry is None else ("ok, " if entry["ok"] else "**fails**: ") + entry["detail"])
        lines.append(f"| {nb} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (out / "compat.md").write_text(text)
    (out / "compat.json").write_text(json.dumps(results, indent=1))
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="+", choices=("oldest", "newest"))
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "compat")
    parser.add_argument("--python", default=sys.executable, help="the interpreter the environments are made from")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = out / "compat.log"
    log.write_text("")
    clone, version = tagged_clone(out, log)
    results = {}
    for name in args.envs:
        start = time.perf_counter()
        py = build(name, out, clone, args.python, log)
        built = time.perf_counter() - start
        results[name] = smoke(name, py, clone, out, log)
        results[name]["build_seconds"] = round(built, 1)
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
        print(f"compat {name}: built in {built:.0f} s, notebooks ({MODES[name]}) "
              f"{sum(r['ok'] for r in results[name]['notebooks'].values())}/{len(results[name]['notebooks'])} "
              f"ok, {results[name]['seconds']:.0f} s in all (v{version}, {results[name]['helpers']})")
    print(report(results, out))
    return 0 if all(r["passed"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
