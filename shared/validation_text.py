"""A model's refusal said in one line: each problem as `field: reason` (the reason alone
for the model as a whole), in the model's own words, without pydantic's framing, links
or the refused value (which can be a URL with its password)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError


def validation_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        message = reason_of(error)
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)[:500]


def reason_of(error: Mapping[str, Any]) -> str:
    """One error's reason in the model's own words: a validator's ValueError comes framed
    by pydantic as "Value error, ..."."""
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
