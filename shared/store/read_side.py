"""The read side's methods of the article store, the same for both backends: each is the
SQL of read_sql.py and story_sql.py over the backend's own executor, which `open` sets."""

from __future__ import annotations

from collections.abc import AsyncIterator

from shared.store.article_query import ArticleQuery, Interval
from shared.store.read_models import TOTAL_CAP, ArticlePage, ArticleSummary, Bucket, FacetCount
from shared.store.read_sql import ReadQueries
from shared.store.story_models import StoryDetail, StoryPage
from shared.store.story_query import StoryQuery
from shared.store.story_sql import StoryReads


class SqlReadSide:
    reads: ReadQueries
    story_reads: StoryReads

    def open_reads(self, reads: ReadQueries) -> None:
        self.reads = reads
        self.story_reads = StoryReads(reads)

    async def search(self, query: ArticleQuery, total_cap: int | None = TOTAL_CAP) -> ArticlePage:
        return await self.reads.search(query, total_cap)

    async def counts(self, query: ArticleQuery, interval: Interval) -> list[Bucket]:
        return await self.reads.counts(query, interval)

    async def top(self, query: ArticleQuery, facet: str, limit: int = 20) -> list[FacetCount]:
        return await self.reads.top(query, facet, limit)

    def export(self, query: ArticleQuery) -> AsyncIterator[ArticleSummary]:
        return self.reads.export(query)

    async def stories(self, query: StoryQuery, total_cap: int | None = TOTAL_CAP) -> StoryPage:
        return await self.story_reads.search(query, total_cap)

    async def story(self, story_id: str) -> StoryDetail | None:
        return await self.story_reads.get(story_id)
