"""Run every notebook in smoke mode into ``_build/smoke/`` and print each one's time.

Fails when a notebook raises, or takes longer than ``--limit`` seconds (kernel start included).
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
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed per notebook")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in paths:
        start = time.perf_counter()
        try:
            execute(path, "smoke", args.out / path.name)
        except Exception as err:  # noqa: BLE001 - report every notebook, then fail
            failed.append(path.name)
            print(f"FAIL {path.name}: {type(err).__name__}: {str(err)[-2000:]}")
            continue
        seconds = time.perf_counter() - start
        status = "ok" if seconds <= args.limit else f"TOO SLOW (limit {args.limit:.0f} s)"
        if seconds > args.limit:
            failed.append(path.name)
        print(f"{status:>4} {path.name}: {seconds:.1f} s")
    print(f"smoke: {len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
