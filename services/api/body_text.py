"""Text a JSON body can carry but nothing after the api can hold.

JSON's `\\ud800` decodes to a lone surrogate: valid in Python text, but not UTF-8, so it
can be neither written to a stream nor stored (orjson and the drivers refuse it, as a
500 once the request has been taken). A NUL is refused where it would reach a database
as it is; where the sink drops it from every text (a published article), it may pass.
"""

from __future__ import annotations


def unstorable_text(value: object, where: str = "body", *, nul_allowed: bool = False) -> str | None:
    """What is wrong with the first unstorable text in a decoded JSON value, if any."""
    if isinstance(value, str):
        if not nul_allowed and "\x00" in value:
            return f"{where} holds a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where} is not valid Unicode (a lone surrogate)"
    elif isinstance(value, dict):
        for key, inner in value.items():
            inner_where = f"{where}.{key}" if where != "body" else str(key)
            if fault := unstorable_text(inner, inner_where, nul_allowed=nul_allowed):
                return fault
    elif isinstance(value, list | tuple):
        for inner in value:
            if fault := unstorable_text(inner, where, nul_allowed=nul_allowed):
                return fault
    return None
