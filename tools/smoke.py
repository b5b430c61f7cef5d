"""Run every notebook in smoke mode into ``_build/smoke/`` and print each one's time.

Fails when a notebook raises, or takes longer than ``--hard-limit`` seconds (kernel start included);
a notebook over the ``--limit`` target (60 s, DESIGN.md) is reported as SLOW.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute import execute  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("_build/smoke"))
    parser.add_argument("--limit", type=float, default=60.0, help="target seconds per notebook (DESIGN.md)")
    parser.add_argument("--hard-limit", type=float, default=90.0,
                        help="seconds after which a notebook fails; between --limit and this it is reported SLOW, "
                             "since the shared CI machine's speed varies from day to day")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    failed, slow = [], []
    for path in paths:
        start = time.perf_counter()
        try:
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
        print(f"{status:>4} {path.name}: {seconds:.1f} s")
    if slow:
        print(f"smoke: over the {args.limit:.0f} s target on this machine today: {', '.join(slow)}")
    print(f"smoke: {len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
