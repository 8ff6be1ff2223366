"""Passwords out of text that may be logged or shown: error messages, URLs, tracebacks.

A driver's error can quote the connection string it was given (libpq's `missing "="
after "postgresql+psycopg://user:pw@..."`), so text from an exception is masked before it
reaches a log line, a dead letter or the terminal.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host: the password runs to the last `@` before the host part, so
# one holding a raw `@` is masked whole.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/?#@\"'<>]*:)(?P<password>[^\s/?#\"'<>]*)@"
)
# libpq key=value connection strings: password=secret or password='sec ret'.
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'\"]+)")


def masked(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _CONNINFO_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)
