"""What the sink does to a row before either database sees it.

A NUL character is valid in JSON and in Python text but PostgreSQL refuses it in `text`
and in `jsonb` (`\\u0000`), so an article with one in any field would be lost there and
kept by SQLite. It never carries meaning in an article: it is dropped from every text, on
both stores, so both hold the same. The id is the exception: dropping a character from it
could make it another article's id, so such a row is refused instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from shared.errors import Rejected
from shared.store.article_store import ArticleRow

_NUL = "\x00"
# How orjson writes NUL inside a JSON string; a text holding a literal backslash-u0000
# matches too, and then the event is merely re-encoded unchanged.
_NUL_ESCAPE = "\\u0000"


def without_nul(row: ArticleRow) -> ArticleRow:
    if _NUL in row.id:
        raise Rejected("store_rejected", "the article id contains a NUL character")
    texts: dict[str, Any] = {
        field.name: value.replace(_NUL, "")
        for field in dataclasses.fields(row)
        if isinstance(value := getattr(row, field.name), str) and _NUL in value
    }
    if _NUL_ESCAPE in row.event_json:
        texts["event_json"] = orjson.dumps(_strip_nul(orjson.loads(row.event_json))).decode()
    return dataclasses.replace(row, **texts) if texts else row


def _strip_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace(_NUL, "")
    if isinstance(value, list):
        return [_strip_nul(item) for item in value]
    if isinstance(value, dict):
        return {str(_strip_nul(key)): _strip_nul(item) for key, item in value.items()}
    return value
