"""Passwords out of text that may be logged or shown: error messages, URLs, tracebacks.

A driver's error can quote the connection string it was given (libpq's `missing "="
after "postgresql+psycopg://user:pw@..."`), so text from an exception is masked before it
reaches a log line, a dead letter or the terminal. URLs a user gave (a source's, a feed's)
can carry a credential in their query too (`?api_key=...`): `masked_urls` withholds those
values as well, wherever such a URL is shown or passed on.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host: the password runs to the last `@` before the host part, so
# one holding a raw `@` is masked whole.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/?#@\"'<>]*:)(?P<password>[^\s/?#\"'<>]*)@"
)
# A query parameter named like a credential (token, key, password, signature...), in a URL
# or in text quoting one: its value runs to the next `&`, `#`, quote or blank, or to a
# colon that ends the URL (`<url>: <error>`, as a feed's error is written).
SECRET_NAME = re.compile(r"token|key|secret|passw|auth|sig", re.IGNORECASE)
_QUERY_VALUE = re.compile(
    r"(?P<head>[?&;](?P<name>[^=&#;\s\"'<>]+)=)(?P<value>(?:[^&#;:\s\"'<>]|:(?![\s]|$))*)"
)
# libpq key=value connection strings: password=secret or password='sec ret'.
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'\"]+)")


def masked(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _CONNINFO_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)


def masked_urls(text: str) -> str:
    """`masked`, and the values of secret-named query parameters withheld: for a URL a
    user gave, or text quoting one (a feed's error)."""

    def value(match: re.Match[str]) -> str:
        if SECRET_NAME.search(match["name"]) and match["value"]:
            return f"{match['head']}{MASK}"
        return match[0]

    return _QUERY_VALUE.sub(value, masked(text))
