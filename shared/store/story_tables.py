"""The stories of an article table, kept by the sink in the article's own transaction.

`{table}_story_members`: which story each article is in (one row per article, the story
id always canonical) and when it was seen (published_at, else when it was received).
`{table}_story_aliases`: a merged story's old id -> the id it was merged into, flattened
(an alias always names a canonical story), so an old id stays resolvable.
`{table}_stories`: one row per canonical story, derived from its members every time one
joins, leaves or is merged in, never incremented: storing an article twice (a replay)
recomputes the same row, and an article that moves story leaves both consistent.

The representative headline is the title of the story's first article (earliest seen,
ties by id): the report that broke the story, and it does not change as articles join.

What one stored article costs barely grows with its story: the count, first and last seen,
sources and languages are exact aggregates over the story's range of the members' indexes
(each member carries its article's `source` and `language`, so no article row is read for
them); the headline is the first titled one of the story's `HEADLINE_CANDIDATES` earliest
members; the top entities, places and countries count the story's `TOP_SAMPLE` most recent
members (by seen_at, then id), not all of them. Each is still a function of the members
alone, so a replay recomputes the same row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

Row = tuple[Any, ...]
STORIES_BACKFILLED = "stories_v1"
TOP_STORY_VALUES = 10
# The most recent members whose entities, places and countries are counted: a bound on
# what a story of thousands of articles reads per article stored.
TOP_SAMPLE = 200
# The earliest members looked at for a title; a story whose first ones are all untitled
# takes its first member (an untitled headline) rather than read on.
HEADLINE_CANDIDATES = 20
# The article's columns each member row repeats, so a story's sources and languages are
# counted on the members index alone.
MEMBER_COLUMNS = ("source", "language")
STORY_TABLES = ("stories", "story_members", "story_aliases")


class StatementRunner(Protocol):
    """Statements inside the transaction that stores the article."""

    async def rows(self, sql: str, params: Sequence[object]) -> list[Row]: ...

    async def execute(self, sql: str, params: Sequence[object]) -> None: ...

    async def lock_stories(self) -> None:
        """Until the transaction ends, no other writer changes stories: two sinks storing
        two articles of one story would each recompute it without the other's."""


def story_schema(table: str, time_type: str) -> str:
    """The three tables, `time_type` being the store's type of a time column."""
    t = table
    return f"""
CREATE TABLE IF NOT EXISTS {t}_story_members (
    article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, seen_at {time_type} NOT NULL,
    source TEXT, language TEXT
);
CREATE TABLE IF NOT EXISTS {t}_story_aliases (alias TEXT PRIMARY KEY, story_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS {t}_story_aliases_story_idx ON {t}_story_aliases (story_id);
CREATE TABLE IF NOT EXISTS {t}_stories (
    id TEXT PRIMARY KEY,
    headline TEXT,
    headline_article_id TEXT NOT NULL,
    first_seen {time_type} NOT NULL,
    last_seen {time_type} NOT NULL,
    article_count INTEGER NOT NULL,
    source_count INTEGER NOT NULL,
    sources TEXT NOT NULL,
    languages TEXT NOT NULL,
    entities TEXT NOT NULL,
    places TEXT NOT NULL,
    countries TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_stories_size_idx ON {t}_stories (article_count, id);
CREATE INDEX IF NOT EXISTS {t}_stories_recent_idx ON {t}_stories (last_seen, id);
"""


def members_upgrade(table: str, columns: Collection[str]) -> list[str]:
    """Statements bringing a members table with `columns` up to date: one made by an earlier
    release gains `MEMBER_COLUMNS`, filled from its articles; every one gets the index that
    a story's row is read through (after the columns it covers exist)."""
    members = f"{table}_story_members"
    missing = [c for c in MEMBER_COLUMNS if c not in columns]
    statements = [f"ALTER TABLE {members} ADD COLUMN {c} TEXT" for c in missing]
    if missing:
        filled = ", ".join(
            f"{c} = (SELECT a.{c} FROM {table} a WHERE a.id = {members}.article_id)"
            for c in MEMBER_COLUMNS
        )
        statements.append(f"UPDATE {members} SET {filled}")
    return [
        *statements,
        # The count, the first and last seen, the earliest and the most recent members are
        # read off the story's range of the first; its sources and languages off the second's,
        # already grouped (no sort of every member).
        f"CREATE INDEX IF NOT EXISTS {members}_seen_idx"
        f" ON {members} (story_id, seen_at, article_id)",
        f"CREATE INDEX IF NOT EXISTS {members}_counts_idx"
        f" ON {members} (story_id, {', '.join(MEMBER_COLUMNS)})",
        # The earlier release's index on story_id alone: both above lead with it.
        f"DROP INDEX IF EXISTS {members}_story_idx",
    ]


@dataclass(frozen=True)
class StoryLinkRow:
    """What the stored event says of its story (events.StoryLink, read from JSON)."""

    id: str
    merged: tuple[str, ...]
    seen_at: datetime

    @classmethod
    def of(cls, event: dict[str, Any]) -> StoryLinkRow | None:
        story = (event.get("enrichment") or {}).get("story")
        if not isinstance(story, dict) or not story.get("id"):
            return None
        article = event.get("article") or {}
        seen = article.get("published_at") or (event.get("source") or {}).get("received_at")
        seen_at = datetime.fromisoformat(seen) if seen else datetime.now(UTC)
        merged = tuple(str(m) for m in story.get("merged") or [] if m and m != story["id"])
        return cls(id=str(story["id"]), merged=merged, seen_at=seen_at)


class StoryWrites:
    """The story rows of one article's upsert, in SQL both stores accept: `mark` is the
    parameter mark, `time` turns a datetime into what the store's time column takes."""

    def __init__(self, table: str, mark: str, time: Callable[[datetime], object]) -> None:
        self.t = table
        self.m = mark
        self.time = time

    async def write(self, run: StatementRunner, article_id: str, event: dict[str, Any]) -> None:
        t, m = self.t, self.m
        member = f"SELECT story_id FROM {t}_story_members WHERE article_id = {m}"
        link = StoryLinkRow.of(event)
        if link is None and not await run.rows(member, (article_id,)):
            return
        await run.lock_stories()
        # Read again under the lock: a merge may have moved the article meanwhile.
        touched = {str(row[0]) for row in await run.rows(member, (article_id,))}
        if link is None:
            await run.execute(
                f"DELETE FROM {t}_story_members WHERE article_id = {m}", (article_id,)
            )
        else:
            for old in link.merged:
                touched |= await self._merge(run, old, link.id)
            story = await self.resolve(run, link.id)
            # The member repeats its article's columns as just stored (the article's row is
            # written first, in this transaction).
            copied = ", ".join(MEMBER_COLUMNS)
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in ("story_id", "seen_at", *MEMBER_COLUMNS)
            )
            await run.execute(
                f"INSERT INTO {t}_story_members (article_id, story_id, seen_at, {copied})"
                f" SELECT id, {m}, {m}, {copied} FROM {t} WHERE id = {m}"
                f" ON CONFLICT (article_id) DO UPDATE SET {updates}",
                (story, self.time(link.seen_at), article_id),
            )
            touched.add(story)
        for story_id in sorted(touched):
            await self.recompute(run, story_id)

    async def resolve(self, run: StatementRunner, story_id: str) -> str:
        found = await run.rows(
            f"SELECT story_id FROM {self.t}_story_aliases WHERE alias = {self.m}", (story_id,)
        )
        return str(found[0][0]) if found else story_id

    async def _merge(self, run: StatementRunner, old_id: str, into_id: str) -> set[str]:
        """`old_id` (and whatever it was already merged into) becomes an alias of
        `into_id`'s story; its articles move there. The stories to recompute."""
        t, m = self.t, self.m
        old, into = await self.resolve(run, old_id), await self.resolve(run, into_id)
        if old == into:
            # Already one story (a replay, or merged the other way round earlier).
            return set()
        for alias in {old_id, old}:
            await run.execute(f"DELETE FROM {t}_story_aliases WHERE alias = {m}", (alias,))
            await run.execute(
                f"INSERT INTO {t}_story_aliases (alias, story_id) VALUES ({m}, {m})",
                (alias, into),
            )
        for side in ("story_aliases", "story_members"):
            await run.execute(
                f"UPDATE {t}_{side} SET story_id = {m} WHERE story_id = {m}", (into, old)
            )
        return {old, into}

    async def recompute(self, run: StatementRunner, story_id: str) -> None:
        """The story's row from its members: deleted when none is left."""
        t, m = self.t, self.m
        members = f"{t}_story_members"
        ((count, first_seen, last_seen),) = await run.rows(
            f"SELECT count(*), min(seen_at), max(seen_at) FROM {members} WHERE story_id = {m}",
            (story_id,),
        )
        if not count:
            await run.execute(f"DELETE FROM {t}_stories WHERE id = {m}", (story_id,))
            return
        earliest = await run.rows(
            f"SELECT s.article_id, a.title FROM {members} s JOIN {t} a ON a.id = s.article_id"
            f" WHERE s.story_id = {m} ORDER BY s.seen_at, s.article_id"
            f" LIMIT {HEADLINE_CANDIDATES}",
            (story_id,),
        )
        headline_id, headline = next((r for r in earliest if r[1]), earliest[0])
        counted = await self._member_counts(run, story_id)
        top = await self._top(run, story_id)
        values = (
            story_id, headline, headline_id, first_seen, last_seen, count,
            len(counted["source"]), _json(counted["source"]), _json(counted["language"]),
            _json([{"text": a, "type": b, "count": n} for a, b, n in top["entities"]]),
            _json([{"name": a, "geonames_id": _int(b), "count": n} for a, b, n in top["places"]]),
            _json([{"code": a, "count": n} for a, _, n in top["countries"]]),
        )  # fmt: skip
        columns = (
            "id, headline, headline_article_id, first_seen, last_seen, article_count,"
            " source_count, sources, languages, entities, places, countries"
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns.split(", ")[1:])
        await run.execute(
            f"INSERT INTO {t}_stories ({columns}) VALUES ({', '.join([m] * len(values))})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}",
            values,
        )

    async def _member_counts(self, run: StatementRunner, story_id: str) -> dict[str, list[str]]:
        """Each of `MEMBER_COLUMNS`' distinct values in the story, most articles first (ties
        by value), all of them: the page says how many more sources there are. One ordered
        pass over the story's range of the counts index, whatever the story's size."""
        shown = ", ".join(MEMBER_COLUMNS)
        rows = await run.rows(
            f"SELECT {shown}, count(*) FROM {self.t}_story_members WHERE story_id = {self.m}"
            f" GROUP BY {shown}",
            (story_id,),
        )
        counts: dict[str, Counter[str]] = {c: Counter() for c in MEMBER_COLUMNS}
        for *values, n in rows:
            for column, value in zip(MEMBER_COLUMNS, values, strict=True):
                if value:
                    counts[column][str(value)] += int(n)
        return {
            column: sorted(counted, key=lambda value: (-counted[value], value))
            for column, counted in counts.items()
        }

    async def _top(
        self, run: StatementRunner, story_id: str
    ) -> dict[str, list[tuple[str, str | None, int]]]:
        """The commonest entities, places and countries of the story's `TOP_SAMPLE` most
        recent members, by articles naming them: one statement (a round trip per side table
        was most of a story's cost)."""
        t, m = self.t, self.m
        recent = (
            f"WITH recent AS (SELECT article_id FROM {t}_story_members WHERE story_id = {m}"
            f" ORDER BY seen_at DESC, article_id DESC LIMIT {TOP_SAMPLE}) "
        )
        parts = []
        for side, first, second in _TOP_SIDES:
            shown = f"x.{first}, {second}"
            parts.append(
                f"SELECT * FROM (SELECT '{side}' AS side, x.{first} AS a, {second} AS b,"
                f" count(*) AS n FROM recent s JOIN {t}_{side} x"
                f" ON x.article_id = s.article_id GROUP BY {shown}"
                f" ORDER BY count(*) DESC, {shown} LIMIT {TOP_STORY_VALUES}) {side}_top"
            )
        found: dict[str, list[tuple[str, str | None, int]]] = {s: [] for s, _, _ in _TOP_SIDES}
        for side, a, b, n in await run.rows(recent + " UNION ALL ".join(parts), (story_id,)):
            found[side].append((str(a), None if b is None else str(b), int(n)))
        return found


# Side table, the value shown, a second column (as text, so the three parts unite; the
# countries' is unused).
_TOP_SIDES = (
    ("entities", "text", "x.type"),
    ("places", "name", "CAST(x.geonames_id AS TEXT)"),
    ("countries", "code", "x.key"),
)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _json(value: object) -> str:
    return orjson.dumps(value).decode()
