"""Typed errors a stage raises about its input.

`Rejected` means retrying cannot help (the input itself is wrong): the entry goes to the
dead-letter stream at once. Any other exception is taken as transient and retried.
"""

from __future__ import annotations


class Rejected(Exception):
    """The input can never be processed; `reason` is a short machine-readable tag."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class Unavailable(Exception):
    """Something the stage depends on (the database, a remote service) is down.

    The entry is fine and stays pending however long the outage lasts: it is never
    dead-lettered for this, and the stage pauses instead of burning through its input."""


class Deferred(Exception):
    """Not now, and not the entry's fault: a host asked us to wait, or its turn is far off.

    The entry stays pending and is handled again later, as a failed one is, but this never
    counts toward `max_deliveries`, and unlike `Unavailable` the stage goes on with other
    entries."""


class Backlogged(Exception):
    """No room on a stream within the time a caller could wait (its backlog is at
    NEWSFLOW_MAX_BACKLOG): nothing was published; the caller may try again later."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
