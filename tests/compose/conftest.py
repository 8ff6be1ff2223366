"""Prints what the compose tests measured (engine, build, up) at the end of the run."""

from __future__ import annotations

import os

import pytest

from tests.compose.stack import REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    engine = os.environ.get("NEWSFLOW_ENGINE_START_S")
    if not REPORT and not engine:
        return
    terminalreporter.section("compose stack (real Docker engine)")
    if engine:
        terminalreporter.write_line(f"engine start (.ci/run, engine.sh): {float(engine):.1f} s")
    for line in REPORT:
        terminalreporter.write_line(line)
