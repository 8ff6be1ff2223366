"""Bad arguments, said in one line: click's usage errors, and text that is not UTF-8."""

from __future__ import annotations

import sys
from typing import Any

import typer

from newsflow_cli.console import print_failure
from newsflow_cli.running import EXIT_CANNOT_RUN, EXIT_FAILED, one_line


def _ancestor_of_bad_parameter(name: str) -> type[Exception]:
    # typer re-exports click's BadParameter, or (typer >= 0.29) that of its own copy of
    # click; either way its ancestors are the usage error and the error click reports.
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_COMMAND_LINE_ERROR = _ancestor_of_bad_parameter("ClickException")


def utf8_text(value: str | None) -> str | None:
    """Parameter callback for text sent to a server: argv bytes that are not UTF-8 arrive
    as surrogates, which no server can be sent."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise typer.BadParameter("is not valid UTF-8") from None
    return value


def usage_error_line(exc: Exception) -> str:
    """`newsflow search: Missing argument 'QUERY'. (see newsflow search --help)`."""
    message: str = exc.format_message()  # type: ignore[attr-defined]
    ctx: Any = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    return f"{ctx.command_path}: {message} (see {ctx.command_path} --help)"


def run_command_table(app: typer.Typer) -> None:
    """Run the CLI; exit with the command's code, a usage error printed as one line."""
    try:
        code = app(prog_name="newsflow", standalone_mode=False)
    except typer.Abort:
        print_failure("aborted")
        sys.exit(EXIT_FAILED)
    except _COMMAND_LINE_ERROR as exc:
        # `newsflow` or `newsflow dlq` alone: the help is the answer, printed already.
        if type(exc).__name__ != "NoArgsIsHelpError":
            print_failure(one_line(usage_error_line(exc)))
        sys.exit(getattr(exc, "exit_code", EXIT_CANNOT_RUN))
    sys.exit(code if isinstance(code, int) else 0)
