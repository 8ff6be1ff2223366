"""Where the CLI writes: tables and text to stdout, JSON lines as bytes, failures to stderr."""

from __future__ import annotations

import sys

import orjson
from rich.console import Console
from rich.text import Text

# Piped output is laid out for 100 columns, not the 80 rich assumes without a terminal.
out = Console(width=None if sys.stdout.isatty() else 100)
err = Console(stderr=True)


def write_json_line(document: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.buffer.flush()


def print_failure(message: str) -> None:
    """One line, never wrapped, and never read as rich markup (messages quote exceptions)."""
    err.print(Text(message, style="red"), soft_wrap=True)
