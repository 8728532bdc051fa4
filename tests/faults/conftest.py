"""The fault suite (issue #16): every test under tests/faults is marked `faults`, so `make test`
leaves it out and `make faults` (which CI runs after `make test`) runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.faults)


# Each fault test prints its counts (trials, refusals, requests, latencies). pytest keeps the
# output of a passing test to itself, so the lines are gathered here and printed once at the end
# under "fault suite counts": `make faults` and CI show them whether the tests passed or not.
_COUNTS: list[str] = []


def pytest_runtest_logreport(report) -> None:
    # A report holds the output of the phases before it too: read the call's (or a failed setup's).
    if not report.nodeid.startswith("tests/faults/"):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for line in report.capstdout.splitlines():
            if line.strip() and line.rstrip() not in _COUNTS:
                _COUNTS.append(line.rstrip())


def pytest_terminal_summary(terminalreporter) -> None:
    if not _COUNTS:
        return
    terminalreporter.section("fault suite counts")
    for line in _COUNTS:
        terminalreporter.write_line(f"COUNTS: {line}")
