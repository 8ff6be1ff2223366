"""A model's refusal said in one line: each problem as `field: reason` (the reason alone
for the model as a whole), in the model's own words, without pydantic's framing, links
or the refused value (which can be a URL with its password)."""

from __future__ import annotations

from pydantic import ValidationError


def validation_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)[:500]
