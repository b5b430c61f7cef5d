"""Run a notebook top to bottom in place with papermill and stamp it (mode, time, date, versions, code hash).

    python tools/execute.py notebooks/01_pca_linear_autoencoder.ipynb [--mode book] [--keep-checkpoints]

By default the notebook trains from scratch (a fresh checkpoint folder), so the committed outputs and
the recorded time are those of a real top-to-bottom run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbstamp import STAMP_KEY, code_hash  # noqa: E402


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("tensorflow", "keras", "numpy", "matplotlib", "scikit-learn"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "missing"
    return out


def execute(path: Path, mode: str, output: Path | None = None, fresh: bool = True,
            timeout: int | None = None) -> float:
    """Execute ``path`` (into ``output``, default in place) in ``mode``; return the seconds taken.

    ``timeout`` limits each cell (seconds); a failing cell raises papermill's PapermillExecutionError.
    """
    env_backup = dict(os.environ)
    os.environ["GENBOOK_MODE"] = mode
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["GENBOOK_HEADLESS"] = "1"
    # Outputs that may be committed (book, full) must hold their figures: a non-interactive backend inherited
    # from the caller (MPLBACKEND=Agg, as CI sets for its own scripts) would leave every figure out. Smoke
    # outputs are never committed, so smoke runs keep the caller's backend and skip rendering PNGs.
    if mode != "smoke":
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    with tempfile.TemporaryDirectory(prefix="genbook-ckpt-") as ckpt:
        if fresh:
            os.environ["GENBOOK_CHECKPOINT_DIR"] = ckpt
        target = output or path
        start = time.perf_counter()
        try:
            papermill.execute_notebook(str(path), str(target), cwd=str(path.parent), kernel_name="python3",
                                       progress_bar=False, log_output=False, execution_timeout=timeout)
        finally:
            os.environ.clear()
            os.environ.update(env_backup)
        seconds = time.perf_counter() - start
    nb = nbformat.read(target, as_version=4)
    nb.metadata[STAMP_KEY] = {
        "mode": mode,
        "seconds": round(seconds, 1),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "versions": versions(),
        "code_hash": code_hash(nb),
    }
    nbformat.write(nb, target)
    return seconds


def peak_kernel_memory_mb() -> float:
    """The peak resident memory of the largest child process so far (the notebook kernel), in MiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--mode", default="book", choices=["smoke", "book", "full", "preflight"])
    parser.add_argument("--output-dir", type=Path, help="write executed copies here instead of in place")
    parser.add_argument("--keep-checkpoints", action="store_true", help="reuse checkpoints from earlier runs")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        if not nb.exists():
            parser.error(f"{nb} does not exist")
        out = None
        if args.output_dir:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            out = args.output_dir / nb.name
        seconds = execute(nb, args.mode, out, fresh=not args.keep_checkpoints)
        print(f"{nb.name}: {args.mode} mode, {seconds:.1f} s, peak kernel memory {peak_kernel_memory_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
