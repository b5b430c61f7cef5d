"""The smoke run of the notebooks is nbval's run: this plugin times each notebook and enforces smoke's limits.

``make nbval`` (the CI stage ``nbval-smoke``) executes every notebook once, top to bottom in smoke mode, with
``pytest --nbval-lax notebooks/``: nbval fails a notebook whose cell raises and compares the outputs of the
cells marked ``# NBVAL_CHECK_OUTPUT``. This plugin adds what the separate smoke stage used to check:

* each notebook's wall time (kernel start included: nbval starts the kernel in the first cell's set-up);
* a notebook over ``--smoke-limit`` seconds (60, DESIGN.md's target) is reported SLOW; one over
  ``--smoke-hard-limit`` (90; the shared machine's speed varies) fails the run;
* a summary line per notebook, ``ok NAME: S s``, as ``tools/smoke.py`` prints it.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

_SECONDS: dict[str, float] = defaultdict(float)
_FAILED: set[str] = set()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("genbook smoke", "time limits of the smoke run of the notebooks")
    group.addoption("--smoke-limit", type=float, default=60.0, help="target seconds per notebook (reported SLOW)")
    group.addoption("--smoke-hard-limit", type=float, default=90.0, help="seconds after which a notebook fails")


def _notebook(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path.rsplit("/", 1)[-1] if path.endswith(".ipynb") else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = _notebook(report.nodeid)
    if name is None:
        return
    _SECONDS[name] += report.duration
    if report.failed:
        _FAILED.add(name)


def _too_slow(config: pytest.Config) -> list[str]:
    hard = config.getoption("--smoke-hard-limit")
    return [name for name, seconds in _SECONDS.items() if seconds > hard]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _SECONDS:
        return
    limit, hard = config.getoption("--smoke-limit"), config.getoption("--smoke-hard-limit")
    write = terminalreporter.write_line
    terminalreporter.section("smoke run: seconds per notebook (kernel start included)")
    slow = []
    for name in sorted(_SECONDS):
        seconds = _SECONDS[name]
        if name in _FAILED:
            status = "FAIL"
        elif seconds > hard:
            status = f"TOO SLOW (hard limit {hard:.0f} s)"
        elif seconds > limit:
            status = f"SLOW (over the {limit:.0f} s target)"
            slow.append(name)
        else:
            status = "ok"
        write(f"{status:>4} {name}: {seconds:.1f} s")
    if slow:
        write(f"smoke: over the {limit:.0f} s target on this machine today: {', '.join(slow)}")
    failed = _FAILED | set(_too_slow(config))
    write(f"smoke: {len(_SECONDS) - len(failed)} passed, {len(failed)} failed; {sum(_SECONDS.values()):.0f} s in all")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _too_slow(session.config) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
