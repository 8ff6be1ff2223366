"""The database and Redis URLs, checked once when the settings are read.

A URL with a scheme nothing here can use, a port that is not a number, or (DATABASE_URL) a
% escape libpq would refuse, is refused at start-up with a message that names the variable
and shows the URL with its password masked, instead of reaching a driver that would quote
it back whole in an error at every restart.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from shared.secret_text import MASK, masked

# psycopg (libpq) takes postgresql:// and postgres://; SQLAlchemy-style postgresql+psycopg://
# is accepted as a convenience and handed on as postgresql://.
DATABASE_SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
}
REDIS_SCHEMES = {"redis": "redis", "rediss": "rediss", "unix": "unix"}
# libpq decodes every part of a postgresql:// URL and refuses a % that starts no escape, or
# %00, quoting the part in its error: a password with a bare % (`50%off`) was printed whole.
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})|%00")


def masked_url(url: str) -> str:
    """The URL as written, with `***` for its password."""
    parts = _split(url)
    if parts is None or parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return SplitResult(
        parts.scheme, f"{user}:{MASK}@{host}", parts.path, parts.query, parts.fragment
    ).geturl()


def checked_url(variable: str, url: str, schemes: dict[str, str]) -> str:
    """`url` with its scheme normalized; ValueError (password masked) if it cannot be used."""
    parts = _split(url)
    shown = masked_url(url)
    if parts is None or not parts.scheme:
        raise ValueError(f"{variable} is not a URL: {shown}")
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        supported = ", ".join(f"{s}://" for s in schemes)
        raise ValueError(
            f"{variable} has an unsupported scheme {scheme}:// in {shown}; use {supported}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(
            f"{variable} has a port that is not a number from 0 to 65535: {shown}"
        ) from None
    if port is None and parts.netloc.rpartition("@")[2].endswith(":"):
        raise ValueError(f"{variable} has an empty port: {shown}")
    return schemes[scheme] + url[len(parts.scheme) :]


def checked_database_url(url: str) -> str:
    """`checked_url` for DATABASE_URL, whose escapes libpq must also accept."""
    checked = checked_url("DATABASE_URL", url, DATABASE_SCHEMES)
    if _BAD_ESCAPE.search(url):
        raise ValueError(
            "DATABASE_URL has a % that starts no escape (or %00), which PostgreSQL refuses; "
            f"write a % in the password as %25: {masked(masked_url(url))}"
        )
    return checked


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None
