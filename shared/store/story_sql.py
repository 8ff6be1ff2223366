"""The stories read side's SQL, written once for both stores (as read_sql.py is for
articles, whose dialect and filters it reuses): a page of stories having at least one
matching article, and one story, an old (merged) id resolving to its story."""

from __future__ import annotations

from datetime import datetime

from shared.store.article_query import ArticleQuery
from shared.store.read_models import TOTAL_CAP
from shared.store.read_sql import ReadQueries, Sql
from shared.store.story_models import (
    STORY_ARTICLES,
    STORY_COLUMNS,
    StoryDetail,
    StoryPage,
    story_of,
)
from shared.store.story_query import StoryKey, StoryQuery, decode_story_cursor, encode_story_cursor

_ORDER = {
    "size": ("s.article_count", "s.article_count DESC, s.id"),
    "recent": ("s.last_seen", "s.last_seen DESC, s.id"),
}


class StoryReads:
    def __init__(self, articles: ReadQueries) -> None:
        self.articles = articles
        self.d, self.t, self.run = articles.d, articles.t, articles.run

    def _where(self, query: StoryQuery) -> Sql:
        t = self.t
        sql = Sql().add(f"FROM {t}_stories s WHERE TRUE")
        if query.filters.has_filters:
            matching = self.articles.filtered(query.filters)
            sql.add(
                f"AND s.id IN (SELECT m.story_id FROM {t}_story_members m"
                f" WHERE m.article_id IN (SELECT a.id {matching}))",
                *matching.params,
            )
        return sql

    def _after(self, sql: Sql, query: StoryQuery) -> None:
        if query.cursor is None:
            return
        key, after_id = decode_story_cursor(query.cursor, query.sort)
        column, m = _ORDER[query.sort][0], self.d.mark
        value = key if query.sort == "size" else self.d.time_param(datetime.fromisoformat(str(key)))
        sql.add(f"AND ({column} < {m} OR ({column} = {m} AND s.id > {m}))", value, value, after_id)

    async def search(self, query: StoryQuery, total_cap: int | None = TOTAL_CAP) -> StoryPage:
        query.check()
        where = self._where(query)
        cap = f" LIMIT {int(total_cap) + 1}" if total_cap is not None else ""
        counted = await self.run.rows(
            f"SELECT count(*) FROM (SELECT 1 {where}{cap}) matched", where.params
        )
        total = int(counted[0][0])
        lower_bound = total_cap is not None and total > total_cap
        page = self._where(query)
        self._after(page, query)
        page.add(f"ORDER BY {_ORDER[query.sort][1]} LIMIT {query.limit + 1}")
        rows = await self.run.rows(f"SELECT {STORY_COLUMNS} {page}", page.params)
        items = [story_of(row) for row in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = rows[query.limit - 1]
            key: StoryKey = int(last[5]) if query.sort == "size" else str(self.d.time_key(last[4]))
            next_cursor = encode_story_cursor(query.sort, key, last[0])
        return StoryPage(
            total=min(total, total_cap) if lower_bound and total_cap is not None else total,
            items=items,
            next=next_cursor,
            total_is_lower_bound=lower_bound,
        )

    async def resolve(self, story_id: str) -> str:
        m = self.d.mark
        found = await self.run.rows(
            f"SELECT story_id FROM {self.t}_story_aliases WHERE alias = {m}", (story_id,)
        )
        return str(found[0][0]) if found else story_id

    async def get(self, story_id: str) -> StoryDetail | None:
        """The story, or the one it was merged into; None when neither is stored."""
        t, m = self.t, self.d.mark
        canonical = await self.resolve(story_id)
        rows = await self.run.rows(
            f"SELECT {STORY_COLUMNS} FROM {t}_stories s WHERE s.id = {m}", (canonical,)
        )
        if not rows:
            return None
        aliases = await self.run.rows(
            f"SELECT alias FROM {t}_story_aliases WHERE story_id = {m} ORDER BY alias",
            (canonical,),
        )
        articles = await self.articles.search(
            ArticleQuery(stories=(canonical,), sort="oldest", limit=STORY_ARTICLES), None
        )
        return StoryDetail(
            **story_of(rows[0]).model_dump(),
            aliases=[str(row[0]) for row in aliases],
            articles=articles.items,
        )
