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
