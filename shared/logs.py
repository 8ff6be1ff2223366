"""structlog set-up: JSON lines on stderr, with the article id and trace id bound per entry.

Standard-library loggers (FastStream's own, httpx, ...) are rendered by the same processors,
so every line a stage writes is one JSON object, whoever wrote it.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.types import EventDict, WrappedLogger

from shared.secret_text import masked

# FastStream's logger comes with a colourized handler of its own and does not propagate.
_LIBRARY_LOGGERS = ("faststream",)


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time of writing, not at configuration: a
    test capturing stderr (or anything else swapping it) must not leave loggers holding a
    closed stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()


def mask_passwords(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Every text of a line, tracebacks included, with passwords masked: errors of psycopg
    and redis can quote the connection URL they were given."""
    for key, value in event.items():
        if isinstance(value, str) and ("://" in value or "password" in value):
            event[key] = masked(value)
    return event


def configure_logging(level: str = "WARNING", *, json: bool = True) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.WARNING
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, mask_passwords, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line (print writes the line and its newline apart): processes sharing
        # a log file never splice their lines.
        logger_factory=structlog.WriteLoggerFactory(file=_STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_STDERR)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_passwords,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.WARNING))
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers[:] = [handler]
        library.propagate = False
        # Start-up and shutdown lines are worth seeing; per-message lines are at DEBUG.
        library.setLevel(min(numeric, logging.INFO))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
