"""The read side's query over stories: the articles' filters (a story matches when at least
one of its articles does), a sort by size or recency, and keyset pages."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.store.article_query import MAX_LIMIT, ArticleQuery, QueryError, cursor_time

StorySort = Literal["recent", "size"]
STORY_SORTS: tuple[StorySort, ...] = ("recent", "size")
# The key of a page's last story: its article count (size) or last_seen as ISO text.
StoryKey = int | str


class StoryQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    filters: ArticleQuery = ArticleQuery()
    sort: StorySort = "recent"
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    cursor: str | None = None

    def check(self) -> None:
        self.filters.check()
        if self.cursor is not None:
            decode_story_cursor(self.cursor, self.sort)


def encode_story_cursor(sort: StorySort, key: StoryKey, story_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort, key, story_id])).decode().rstrip("=")


def decode_story_cursor(cursor: str, sort: StorySort) -> tuple[StoryKey, str]:
    """Checked field by field: the cursor comes back from the caller."""
    refused = QueryError("cursor is not one this API gave for this sort")
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise refused from None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == sort):
        raise refused
    _, key, story_id = value
    # No stored id holds a NUL (PostgreSQL refuses one in a parameter): a made-up cursor.
    if not isinstance(story_id, str) or "\x00" in story_id:
        raise refused
    if sort == "size":
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < 2**62:
            raise refused
        return key, story_id
    if not isinstance(key, str):
        raise refused
    try:
        return cursor_time(key), story_id
    except QueryError:
        raise refused from None
