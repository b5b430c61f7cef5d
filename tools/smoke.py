"""Run every notebook in smoke mode into ``_build/smoke/`` and print each one's time.

Fails when a notebook raises, or takes longer than ``--hard-limit`` seconds (kernel start included);
a notebook over the ``--limit`` target (60 s, DESIGN.md) is reported as SLOW.

``--mode preflight`` runs the preflight of full mode instead (full's shapes, smoke's amounts; see
``helpers.config.PREFLIGHT_AMOUNTS``), each notebook in its own process so that the kernel's peak memory
can be reported beside its time, with limits of 180 s (target) and 420 s (failure).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute import execute  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", default="smoke", choices=["smoke", "preflight"])
    parser.add_argument("--out", type=Path, help="where the executed notebooks go (default _build/<mode>)")
    parser.add_argument("--limit", type=float, help="target seconds per notebook (DESIGN.md: 60 in smoke mode)")
    parser.add_argument("--hard-limit", type=float,
                        help="seconds after which a notebook fails; between --limit and this it is reported SLOW, "
                             "since the shared CI machine's speed varies from day to day (smoke: 90)")
    args = parser.parse_args(argv)
    preflight = args.mode == "preflight"
    args.out = args.out or Path("_build") / args.mode
    args.limit = args.limit or (180.0 if preflight else 60.0)
    args.hard_limit = args.hard_limit or (420.0 if preflight else 90.0)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    failed, slow = [], []
    for path in paths:
        start = time.perf_counter()
        memory = ""
        try:
            if preflight:
                memory = f", peak kernel memory {_run_alone(path, args.out)} MiB"
            else:
                execute(path, "smoke", args.out / path.name)
        except Exception as err:  # noqa: BLE001 - report every notebook, then fail
            failed.append(path.name)
            print(f"FAIL {path.name}: {type(err).__name__}: {str(err)[-2000:]}")
            continue
        seconds = time.perf_counter() - start
        if seconds > args.hard_limit:
            failed.append(path.name)
            status = f"TOO SLOW (hard limit {args.hard_limit:.0f} s)"
        elif seconds > args.limit:
            slow.append(path.name)
            status = f"SLOW (over the {args.limit:.0f} s target)"
        else:
            status = "ok"
        print(f"{status:>4} {path.name}: {seconds:.1f} s{memory}", flush=True)
    if slow:
        print(f"{args.mode}: over the {args.limit:.0f} s target on this machine today: {', '.join(slow)}")
    print(f"{args.mode}: {len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _run_alone(path: Path, out: Path) -> str:
    """Run one notebook in the preflight in a fresh process; return its kernel's peak memory (MiB)."""
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("execute.py")), "--mode", "preflight",
                             "--output-dir", str(out), str(path)], capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError((result.stdout + result.stderr)[-2000:])
    match = re.search(r"peak kernel memory (\d+) MiB", result.stdout)
    return match[1] if match else "?"


if __name__ == "__main__":
    raise SystemExit(main())
