"""The read side's SQL, written once for both stores.

A query becomes one FROM and one WHERE, the same for a page, its total, the counts, the
top lists and the export; the few things the two databases spell differently (parameter
marks, full-text match, rank, snippet, time values, the day of a time) are a `Dialect`.
Every value is a bound parameter; the only text put into SQL is the table name, checked
as an identifier when the store is opened (shared.store.backends.checked_table_name).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import orjson

from shared.store.article_query import (
    ArticleQuery,
    CursorKey,
    Facet,
    Interval,
    QueryError,
    decode_cursor,
    encode_cursor,
    to_fts5,
    to_websearch,
)
from shared.store.read_models import (
    RELEVANCE_WINDOW,
    SNIPPET_CHARS,
    TOTAL_CAP,
    ArticlePage,
    ArticleSummary,
    Bucket,
    FacetCount,
    summary_of,
    zero_filled,
)

Row = tuple[Any, ...]
MAX_TOP = 200
NEWEST_FIRST = "a.published_at DESC NULLS LAST, a.id"


class Executor(Protocol):
    async def rows(self, sql: str, params: Sequence[object]) -> list[Row]: ...

    def stream(self, sql: str, params: Sequence[object]) -> AsyncIterator[Row]: ...


@dataclass(frozen=True)
class Dialect:
    mark: str  # a parameter
    # (table) -> (FROM text with the search joined in, its params from the q rendering)
    from_search: Callable[[str], str]
    search_param: Callable[[ArticleQuery], str]
    from_plain: Callable[[str], str]
    rank: Callable[[str], str]
    snippet: Callable[[str], str]
    time_param: Callable[[datetime], object]
    time_key: Callable[[Any], str | None]  # a stored time -> the cursor's key
    day: str  # the UTC day of a.published_at as YYYY-MM-DD text
    event_text: str  # what read_models.summary_of reads of a.event, as JSON text
    tone: str  # the enrichment's GDELT-style tone as a number, NULL when it has none
    # Past RELEVANCE_WINDOW matches, rank only the newest that many (PostgreSQL: ranking
    # reads each match's text vector). SQLite's bm25 ranks every match in less time than
    # finding the newest ones takes (100,000 articles, `the`: 254 ms against 393-511 ms).
    ranks_newest_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def postgres_dialect() -> Dialect:
    return Dialect(
        mark="%s",
        from_search=lambda t: f"{t} a CROSS JOIN websearch_to_tsquery('simple', %s) AS q",
        search_param=lambda query: to_websearch(_parsed(query)),
        from_plain=lambda t: f"{t} a",
        rank=lambda t: "ts_rank(a.search, q)::float8",
        snippet=lambda t: (
            "ts_headline('simple', left(a.body, 20000), q, "
            "'MaxFragments=1,MaxWords=35,MinWords=15,StartSel=\ue000,StopSel=\ue001')"
        ),
        time_param=lambda value: value,
        time_key=lambda value: value.isoformat() if value is not None else None,
        day="to_char(a.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        event_text=_summary_json("a.event->{}", "a.event->'article'->>'text'", "left"),
        tone="(a.event->'enrichment'->'tone'->>'tone')::float8",
        ranks_newest_only=True,
    )


def sqlite_dialect() -> Dialect:
    from shared.store.facet_rows import stored_time

    return Dialect(
        mark="?",
        from_search=lambda t: f"{t}_fts JOIN {t} a ON a.rowid = {t}_fts.rowid",
        search_param=lambda query: to_fts5(_parsed(query)),
        from_plain=lambda t: f"{t} a",
        rank=lambda t: f"-bm25({t}_fts, 2.0, 1.0)",
        snippet=lambda t: f"snippet({t}_fts, 1, '\ue000', '\ue001', ' … ', 30)",
        time_param=stored_time,
        time_key=lambda value: value,
        day="substr(a.published_at, 1, 10)",
        event_text=_summary_json(
            "a.event -> '$.{}'", "a.event ->> '$.article.text'", "substr", builder="json_object"
        ),
        tone="(a.event ->> '$.enrichment.tone.tone')",
        extra={"match": "{t}_fts MATCH ?"},
    )


# The parts of the event an article summary shows (read_models.summary_of). Built in SQL,
# so a page or an export reads these and not the whole event with its text and offsets:
# decoding each article's JSON in Python made the export 3,000-6,000 rows/s.
_SUMMARY_PARTS = {
    "article": ("publisher", "published_at"),
    "enrichment": ("countries", "entities", "topics", "tone"),
}


def _summary_json(part: str, text: str, prefix: str, builder: str = "jsonb_build_object") -> str:
    """`part` spells the JSON at a path (SQLite's `$.article.publisher`, or PostgreSQL's
    chain of `->` keys), `text` the article's text, `prefix` the function taking its start;
    a missing part is JSON null, as summary_of reads it."""

    def at(section: str, key: str) -> str:
        if builder == "json_object":
            return part.format(f"{section}.{key}")
        return part.format(f"'{section}'->'{key}'")

    sections = []
    for section, keys in _SUMMARY_PARTS.items():
        fields = [f"'{key}', {at(section, key)}" for key in keys]
        if section == "article":
            start = "1, " if prefix == "substr" else ""
            fields.append(f"'text', {prefix}({text}, {start}{SNIPPET_CHARS})")
        sections.append(f"'{section}', {builder}({', '.join(fields)})")
    built = f"{builder}({', '.join(sections)})"
    return built if builder == "json_object" else f"{built}::text"


def _parsed(query: ArticleQuery) -> Any:
    search = query.websearch
    assert search is not None
    return search


@dataclass
class Sql:
    text: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, text: str, *params: object) -> Sql:
        self.text.append(text)
        self.params.extend(params)
        return self

    def __str__(self) -> str:
        return " ".join(self.text)


# facet -> (side table or None for a column, the value shown, the column filters match)
_FACETS: dict[Facet, tuple[str | None, str]] = {
    "sources": (None, "a.source"),
    "languages": (None, "a.language"),
    "countries": ("countries", "x.code"),
    "entities": ("entities", "x.text"),
    "topics": ("topics", "x.label"),
    "places": ("places", "x.name"),
    "authors": ("authors", "x.name"),
}


class ReadQueries:
    """search, counts, top and export of one table, over a store's executor."""

    def __init__(self, dialect: Dialect, table: str, executor: Executor) -> None:
        self.d = dialect
        self.t = table
        self.run = executor

    def _from_where(self, query: ArticleQuery) -> Sql:
        d, t, m = self.d, self.t, self.d.mark
        sql = Sql()
        if query.q:
            param = d.search_param(query)
            if "match" in d.extra:
                sql.add(f"FROM {d.from_search(t)} WHERE {d.extra['match'].format(t=t)}", param)
            else:
                sql.add(f"FROM {d.from_search(t)} WHERE a.search @@ q", param)
        else:
            sql.add(f"FROM {d.from_plain(t)} WHERE TRUE")
        if query.date_from:
            sql.add(f"AND a.published_at >= {m}", d.time_param(query.date_from))
        if query.date_to:
            sql.add(f"AND a.published_at <= {m}", d.time_param(query.date_to))
        # Read from the stored event (no column of its own): a tone range narrows what the
        # other filters found rather than being the whole search.
        if query.tone_min is not None:
            sql.add(f"AND {d.tone} >= {m}", query.tone_min)
        if query.tone_max is not None:
            sql.add(f"AND {d.tone} <= {m}", query.tone_max)
        for column, values in (("a.source", query.sources), ("a.language", query.languages)):
            if values:
                sql.add(f"AND {column} IN ({_marks(m, values)})", *values)
        side: list[tuple[str, str, tuple[str, ...]]] = [
            ("countries", "code", query.countries),
            ("entities", "key", tuple(v.lower() for v in query.entities)),
            ("places", "key", tuple(v.lower() for v in query.places)),
        ]
        for table, column, values in side:
            if values:
                sql.add(
                    f"AND EXISTS (SELECT 1 FROM {t}_{table} s WHERE s.article_id = a.id"
                    f" AND s.{column} IN ({_marks(m, values)}))",
                    *values,
                )
        if query.topics:
            keys = tuple(v.lower() for v in query.topics)
            sql.add(
                f"AND EXISTS (SELECT 1 FROM {t}_topics s WHERE s.article_id = a.id"
                f" AND (s.code IN ({_marks(m, query.topics)})"
                f" OR s.key IN ({_marks(m, keys)})))",
                *query.topics,
                *keys,
            )
        if query.stories:
            # An id merged into another story stands for it: its aliases resolve.
            sql.add(
                f"AND EXISTS (SELECT 1 FROM {t}_story_members s WHERE s.article_id = a.id"
                f" AND (s.story_id IN ({_marks(m, query.stories)}) OR s.story_id IN"
                f" (SELECT x.story_id FROM {t}_story_aliases x"
                f" WHERE x.alias IN ({_marks(m, query.stories)}))))",
                *query.stories,
                *query.stories,
            )
        return sql

    def filtered(self, query: ArticleQuery) -> Sql:
        """`FROM ... WHERE ...` of the articles matching the query's filters (the stories
        read side selects the stories of these)."""
        return self._from_where(query)

    def _sort_key(self, query: ArticleQuery) -> tuple[str, str]:
        """(the key's SQL, ORDER BY) for the query's sort; ties go by id. A checked query
        (`ArticleQuery.check` refuses relevance without q)."""
        sort = query.effective_sort
        if sort == "relevance":
            return self.d.rank(self.t), f"{self.d.rank(self.t)} DESC, a.id"
        if sort == "newest":
            return "a.published_at", NEWEST_FIRST
        return "a.published_at", "a.published_at ASC NULLS LAST, a.id"

    def _after(self, sql: Sql, query: ArticleQuery, key_sql: str) -> None:
        if query.cursor is None:
            return
        sort = query.effective_sort
        key, after_id = decode_cursor(query.cursor, sort)
        m = self.d.mark
        if sort == "relevance":
            sql.add(
                f"AND ({key_sql} < {m} OR ({key_sql} = {m} AND a.id > {m}))", key, key, after_id
            )
        elif key is None:  # past the dated articles, among those without a date
            sql.add(f"AND a.published_at IS NULL AND a.id > {m}", after_id)
        else:
            stamp = self.d.time_param(datetime.fromisoformat(str(key)))
            op = "<" if sort == "newest" else ">"
            sql.add(
                f"AND (a.published_at {op} {m} OR (a.published_at = {m} AND a.id > {m})"
                " OR a.published_at IS NULL)",
                stamp,
                stamp,
                after_id,
            )

    def _columns(self, snippet: bool) -> str:
        marked = self.d.snippet(self.t) if snippet else "NULL"
        t = self.t
        # The article's story, canonical (the members table is kept so), its size and its
        # sources: index look-ups per row of a page.
        story = f"(SELECT m.story_id FROM {t}_story_members m WHERE m.article_id = a.id)" + "".join(
            f", (SELECT st.{column} FROM {t}_story_members m JOIN {t}_stories st"
            " ON st.id = m.story_id WHERE m.article_id = a.id)"
            for column in ("article_count", "source_count")
        )
        return f"a.id, a.url, a.title, a.source, a.language, {self.d.event_text}, {marked}, {story}"

    async def search(self, query: ArticleQuery, total_cap: int | None = TOTAL_CAP) -> ArticlePage:
        query.check()
        key_sql, order = self._sort_key(query)
        where = self._from_where(query)
        if total_cap is None:
            total_rows = await self.run.rows(f"SELECT count(*) {where}", where.params)
        else:
            # One past the cap says whether there are more.
            total_rows = await self.run.rows(
                f"SELECT count(*) FROM (SELECT 1 {where} LIMIT {int(total_cap) + 1}) capped",
                where.params,
            )
        total = int(total_rows[0][0])
        lower_bound = total_cap is not None and total > total_cap
        page = self._from_where(query)
        relevance = query.effective_sort == "relevance"
        if relevance and self.d.ranks_newest_only and total > RELEVANCE_WINDOW:
            # The newest RELEVANCE_WINDOW matches are ranked: found through the newest-first
            # index (a common word) or the text index (a rare one), then only they are read.
            # Fewer matches are ranked all, without finding them twice.
            page.add(
                f"AND a.id IN (SELECT a.id {where} ORDER BY {NEWEST_FIRST}"
                f" LIMIT {RELEVANCE_WINDOW})",
                *where.params,
            )
        self._after(page, query, key_sql)
        page.add(f"ORDER BY {order} LIMIT {query.limit + 1}")
        select = f"SELECT {self._columns(bool(query.q))}, {key_sql} {page}"
        rows = await self.run.rows(select, page.params)
        items = [_summary(row) for row in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = rows[query.limit - 1]
            key: CursorKey = (
                last[10] if query.effective_sort == "relevance" else self.d.time_key(last[10])
            )
            next_cursor = encode_cursor(query.effective_sort, key, last[0])
        return ArticlePage(
            total=min(total, total_cap) if lower_bound and total_cap is not None else total,
            items=items,
            next=next_cursor,
            total_is_lower_bound=lower_bound,
        )

    async def counts(self, query: ArticleQuery, interval: Interval) -> list[Bucket]:
        query.check()
        where = self._from_where(query)
        rows = await self.run.rows(
            f"SELECT {self.d.day}, count(*) {where} AND a.published_at IS NOT NULL GROUP BY 1",
            where.params,
        )
        per_day = {date.fromisoformat(day): int(count) for day, count in rows}
        first = query.date_from.date() if query.date_from else None
        last = query.date_to.date() if query.date_to else None
        return zero_filled(per_day, interval, first, last)

    async def top(self, query: ArticleQuery, facet: str, limit: int = 20) -> list[FacetCount]:
        query.check()
        if facet not in _FACETS:
            raise QueryError(f"facet must be one of {', '.join(_FACETS)}")
        if not 1 <= limit <= MAX_TOP:
            raise QueryError(f"limit must be 1 to {MAX_TOP}")
        table, value = _FACETS[facet]
        where = self._from_where(query)
        text = str(where)
        if table is not None:
            # The side table joins the FROM, before the WHERE.
            head, _, tail = text.partition(" WHERE ")
            text = f"{head} JOIN {self.t}_{table} x ON x.article_id = a.id WHERE {tail}"
        rows = await self.run.rows(
            f"SELECT {value}, count(*) {text} AND {value} IS NOT NULL"
            f" GROUP BY {value} ORDER BY 2 DESC, 1 LIMIT {limit}",
            where.params,
        )
        return [FacetCount(value=str(v), count=int(c)) for v, c in rows]

    async def export(self, query: ArticleQuery) -> AsyncIterator[ArticleSummary]:
        """Every match, in the query's order, without snippet marks (a text's start)."""
        query.check()
        _, order = self._sort_key(query)
        where = self._from_where(query)
        select = f"SELECT {self._columns(False)} {where} ORDER BY {order}"
        async for row in self.run.stream(select, where.params):
            yield _summary(row)


def _marks(mark: str, values: Sequence[object]) -> str:
    return ", ".join([mark] * len(values))


def _summary(row: Row) -> ArticleSummary:
    return summary_of(
        (row[0], row[1], row[2], row[3], row[4]),
        orjson.loads(row[5]),
        row[6],
        (row[7], row[8], row[9]),
    )
