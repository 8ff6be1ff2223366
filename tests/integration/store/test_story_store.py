"""The stories' contract, the same test on PostgreSQL and on SQLite: the stories table kept
in the article's transaction, replays, moves and merges, the read side's page and filters,
the `story` filter and the story on article summaries, and the migration."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, timedelta

import psycopg
import pytest

from shared.article_match import matches
from shared.events import ArticleEvent, StoryLink
from shared.store.article_query import ArticleQuery, QueryError
from shared.store.article_store import ArticleStore
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from shared.store.story_query import StoryQuery
from shared.store.story_tables import STORIES_BACKFILLED, TOP_SAMPLE
from tests.integration.store.articles import ARTICLES, article_event, day
from tests.store_tables import EARLIER_SCHEMA, behind_the_store

pytestmark = pytest.mark.integration

BY_ID = {event.id: event for event in ARTICLES}


def in_story(event: ArticleEvent, story_id: str, *merged: str) -> ArticleEvent:
    assert event.enrichment is not None
    link = StoryLink(id=story_id, size=1, new=False, merged=list(merged))
    return event.model_copy(
        update={"enrichment": event.enrichment.model_copy(update={"story": link})}
    )


# The missile story: three articles from two sources; markets alone; the harvest two.
STORIES = {"art001": "missile", "art002": "missile", "art006": "missile", "art003": "markets"}
STORIES |= {"art004": "harvest", "art005": "harvest"}


@pytest.fixture
async def loaded(store: ArticleStore) -> ArticleStore:
    for event in ARTICLES:
        await store.upsert(in_story(event, STORIES[event.id]))
    return store


async def sizes(store: ArticleStore, **filters: object) -> dict[str, int]:
    page = await store.stories(StoryQuery(filters=ArticleQuery.checked(**filters), limit=200))
    assert page.total == len(page.items)
    return {story.id: story.article_count for story in page.items}


async def test_a_story_is_derived_from_its_articles(loaded: ArticleStore) -> None:
    story = await loaded.story("missile")
    assert story is not None
    assert (story.article_count, story.source_count) == (3, 2)
    assert story.sources == ["UNN", "TASS"] and story.languages == ["en", "ru"]
    # The first seen article (art001 and art006 tie on the time; the id breaks it).
    assert (story.headline, story.headline_article_id) == ("Missile test near Pyongyang", "art001")
    assert (story.first_seen, story.last_seen) == (day(1, 6), day(1, 20))
    assert [(e.text, e.count) for e in story.entities][:2] == [
        ("Kim Jong Un", 3),
        ("Moon Jae-in", 1),
    ]
    assert [(c.code, c.count) for c in story.countries] == [("KP", 3), ("KR", 1), ("RU", 1)]
    assert {p.name for p in story.places} == {"Pyongyang", "Moscow"}
    assert [a.id for a in story.articles] == ["art001", "art006", "art002"]
    assert {a.story_id for a in story.articles} == {"missile"}
    assert {(a.story_size, a.story_sources) for a in story.articles} == {(3, 2)}
    assert await loaded.story("nothing") is None


async def test_an_undated_article_is_seen_when_it_arrived(loaded: ArticleStore) -> None:
    story = await loaded.story("harvest")
    assert story is not None and story.first_seen == day(3, 1)
    assert story.last_seen == BY_ID["art005"].source.received_at.astimezone(UTC)


async def test_storing_an_article_again_changes_no_story(loaded: ArticleStore) -> None:
    before = await sizes(loaded)
    first = await loaded.story("missile")
    for event in ARTICLES:
        await loaded.upsert(in_story(event, STORIES[event.id]))
    assert await sizes(loaded) == before == {"missile": 3, "markets": 1, "harvest": 2}
    assert await loaded.story("missile") == first


async def test_an_article_that_moves_story_leaves_both_consistent(loaded: ArticleStore) -> None:
    await loaded.upsert(in_story(BY_ID["art002"], "markets"))
    await loaded.upsert(in_story(BY_ID["art003"], "harvest"))
    assert await sizes(loaded) == {"missile": 2, "markets": 1, "harvest": 3}
    missile = await loaded.story("missile")
    assert missile is not None and missile.sources == ["UNN"] and missile.last_seen == day(1, 6)
    # An article re-enriched without a story leaves its story; an empty story is gone.
    await loaded.upsert(BY_ID["art002"])
    assert "markets" not in await sizes(loaded)
    assert await loaded.story("markets") is None


async def test_a_merge_keeps_the_old_id_resolvable(loaded: ArticleStore) -> None:
    await loaded.upsert(in_story(BY_ID["art003"], "missile", "markets"))
    assert await sizes(loaded) == {"missile": 4, "harvest": 2}
    via_old = await loaded.story("markets")
    assert via_old is not None and via_old.id == "missile" and via_old.aliases == ["markets"]
    assert via_old.article_count == 4
    # A late article that still names the old story lands in the new one.
    late = article_event(7, "Markets late", "Late news.", published=day(2, 5), source="AP")
    await loaded.upsert(in_story(late, "markets"))
    assert await sizes(loaded) == {"missile": 5, "harvest": 2}
    page = await loaded.search(ArticleQuery.checked(stories=["markets"], limit=200))
    assert {item.id for item in page.items} == {"art001", "art002", "art003", "art006", "art007"}
    assert {item.story_id for item in page.items} == {"missile"}
    # The merge replayed, or told the other way round, changes nothing: they are one story.
    await loaded.upsert(in_story(BY_ID["art003"], "missile", "markets"))
    await loaded.upsert(in_story(BY_ID["art003"], "markets", "missile"))
    assert await sizes(loaded) == {"missile": 5, "harvest": 2}


async def test_a_merge_of_a_merged_story_is_followed(loaded: ArticleStore) -> None:
    await loaded.upsert(in_story(BY_ID["art003"], "missile", "markets"))
    await loaded.upsert(in_story(BY_ID["art004"], "harvest", "missile"))
    assert await sizes(loaded) == {"harvest": 6}
    for old in ("markets", "missile"):
        story = await loaded.story(old)
        assert story is not None and story.id == "harvest"
        assert story.aliases == ["markets", "missile"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"missile", "markets", "harvest"}),
        ({"countries": ["RU"]}, {"missile"}),
        ({"q": "missile"}, {"missile", "markets"}),
        ({"sources": ["Local"]}, {"harvest"}),
        ({"languages": ["de"]}, {"harvest"}),
        ({"entities": ["moon jae-in"]}, {"missile", "markets"}),
        ({"topics": ["medtop:04000000"]}, {"markets"}),
        ({"date_from": "2020-01-15", "date_to": "2020-02-28"}, {"missile", "markets"}),
        ({"stories": ["markets"]}, {"markets"}),
        ({"q": "nothingmatchesthis"}, set()),
    ],
)
async def test_stories_having_a_matching_article(
    loaded: ArticleStore, filters: dict[str, object], expected: set[str]
) -> None:
    assert set(await sizes(loaded, **filters)) == expected


@pytest.mark.parametrize(
    ("sort", "order"),
    [("size", ["missile", "harvest", "markets"]), ("recent", ["harvest", "markets", "missile"])],
)
async def test_sorts_and_keyset_pages(loaded: ArticleStore, sort: str, order: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = await loaded.stories(StoryQuery(sort=sort, limit=1, cursor=cursor))  # type: ignore[arg-type]
        assert page.total == 3
        seen += [story.id for story in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == order


@pytest.mark.parametrize("cursor", ["e30", "!!", "WyJzaXplIiwieCIsImEiXQ"])
async def test_a_cursor_it_did_not_give_is_a_query_error(loaded: ArticleStore, cursor: str) -> None:
    with pytest.raises(QueryError):
        await loaded.stories(StoryQuery(sort="size", cursor=cursor))


async def test_articles_carry_their_story_and_match_it_in_memory(loaded: ArticleStore) -> None:
    page = await loaded.search(ArticleQuery.checked(stories=["missile"], sort="oldest"))
    assert [(i.id, i.story_id, i.story_size) for i in page.items] == [
        ("art001", "missile", 3),
        ("art006", "missile", 3),
        ("art002", "missile", 3),
    ]
    exported = [s async for s in loaded.export(ArticleQuery.checked(stories=["harvest"]))]
    assert {(s.id, s.story_id, s.story_size) for s in exported} == {
        ("art004", "harvest", 2),
        ("art005", "harvest", 2),
    }
    query = ArticleQuery.checked(stories=["missile"])
    assert {e.id for e in ARTICLES if matches(query, in_story(e, STORIES[e.id]))} == {
        "art001",
        "art002",
        "art006",
    }
    assert matches(query, in_story(BY_ID["art003"], "markets2", "missile"))
    # An article stored without a story has none.
    plain = article_event(8, "Plain", "No story.", published=day(4, 1))
    await loaded.upsert(plain)
    (item,) = (await loaded.search(ArticleQuery.checked(q="plain"))).items
    assert (item.story_id, item.story_size) == (None, None)


async def test_migration_fills_the_story_tables_of_an_earlier_release(
    loaded: ArticleStore, database_url: str
) -> None:
    await loaded.upsert(in_story(BY_ID["art003"], "missile", "markets"))
    table = loaded.table if isinstance(loaded, SqliteStore) else loaded._table_name  # type: ignore[attr-defined]
    drops = [f"DROP TABLE {table}_{name}" for name in ("stories", "story_members", "story_aliases")]
    drops.append(f"DELETE FROM {table}_meta WHERE key = '{STORIES_BACKFILLED}'")
    drops.append(EARLIER_SCHEMA.format(table=table))
    behind_the_store(loaded, database_url, drops)
    await loaded.close()
    await loaded.open()
    assert await sizes(loaded) == {"missile": 4, "harvest": 2}
    story = await loaded.story("markets")
    assert story is not None and story.id == "missile"


def big_story_article(n: int) -> ArticleEvent:
    """The n-th article of a story of `TOP_SAMPLE` + 50: the first 50 name an entity and a
    country the recent ones do not; seen times tie in pairs (the id breaks the tie), one
    pair across the sample's edge; the first two are untitled."""
    old = n < 50
    event = article_event(
        400 + n,
        f"Big story {n}",
        "A big story.",
        published=day(6, 1) + timedelta(minutes=(n + 1) // 2),
        source=f"Source {n % 7 if n % 3 else 0}",
        language=("en", "de", "fr")[n % 5 % 3],
        countries=("RU",) if old else ("KP",),
        entities=("Old Entity",) if old else ("New Entity", "Half Entity")[: 1 + n % 2],
    )
    event = in_story(event, "big")
    if n < 2:
        event = event.model_copy(
            update={"article": event.article.model_copy(update={"title": None})}
        )
    return event


async def test_a_story_larger_than_the_sample_is_exact_but_for_its_top_values(
    store: ArticleStore,
) -> None:
    """Count, first and last seen, sources, languages and headline are those of every
    member; entities, places and countries those of the `TOP_SAMPLE` most recent."""
    events = [big_story_article(n) for n in range(TOP_SAMPLE + 50)]
    for event in events:
        await store.upsert(event)
    story = await store.story("big")
    assert story is not None

    def most_first(values: list[str]) -> list[str]:
        counted = Counter(values)
        return sorted(counted, key=lambda value: (-counted[value], value))

    seen = [event.article.published_at for event in events if event.article]
    sources = most_first([event.source.name for event in events])
    assert story.article_count == len(events)
    assert (story.first_seen, story.last_seen) == (min(seen), max(seen))
    assert (story.sources, story.source_count) == (sources, 7)
    assert story.languages == most_first([e.article.language for e in events if e.article])
    assert (story.headline, story.headline_article_id) == ("Big story 2", "art402")
    # The sample is members 50 on (art450 ties with art449 on the time and wins on the id).
    assert [(e.text, e.count) for e in story.entities] == [
        ("New Entity", TOP_SAMPLE),
        ("Half Entity", TOP_SAMPLE // 2),
    ]
    assert [(c.code, c.count) for c in story.countries] == [("KP", TOP_SAMPLE)]
    # A replay of the oldest member recomputes the same row.
    await store.upsert(events[0])
    again = await store.story("big")
    assert again is not None and again.model_dump(exclude={"articles"}) == story.model_dump(
        exclude={"articles"}
    )


async def test_migration_gives_members_of_an_earlier_release_their_source_and_language(
    loaded: ArticleStore, database_url: str
) -> None:
    """A members table made before members carried their article's source and language
    gains both at start, filled from the articles, and the stories count them."""
    table = loaded.table if isinstance(loaded, SqliteStore) else loaded._table_name  # type: ignore[attr-defined]
    members = f"{table}_story_members"
    earlier = [
        f"DROP INDEX {members}_seen_idx",
        f"DROP INDEX {members}_counts_idx",
        f"ALTER TABLE {members} DROP COLUMN source",
        f"ALTER TABLE {members} DROP COLUMN language",
        f"CREATE INDEX {members}_story_idx ON {members} (story_id)",
        EARLIER_SCHEMA.format(table=table),
    ]
    behind_the_store(loaded, database_url, earlier)
    await loaded.close()
    await loaded.open()
    filled = f"SELECT article_id, source, language FROM {members} ORDER BY article_id"
    rows = behind_the_store(loaded, database_url, [filled])
    assert rows == [(e.id, e.source.name, e.article.language) for e in ARTICLES if e.article]
    # The stories read them: a new member recomputes its story from all of them.
    late = article_event(7, "Missile late", "Late news.", published=day(1, 21), source="AP")
    await loaded.upsert(in_story(late, "missile"))
    story = await loaded.story("missile")
    assert story is not None
    assert (story.sources, story.languages) == (["UNN", "AP", "TASS"], ["en", "ru"])


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_two_sinks_storing_one_story_at_once_count_every_article(
    store: ArticleStore, database_url: str
) -> None:
    """Two PostgreSQL connections (two sink replicas) each store half of one story's
    articles at once: the story counts them all, its merges included."""
    assert isinstance(store, PostgresStore)
    other = PostgresStore(database_url, store._table_name)
    await other.open()
    try:
        events = [
            in_story(
                article_event(100 + n, f"Quake {n}", "A quake.", published=day(5, 1 + n % 20)),
                "quake",
                *((f"quake-part-{n}",) if n % 10 == 0 else ()),
            )
            for n in range(60)
        ]
        parts = [
            in_story(
                article_event(300 + n, "Part", "A part.", published=day(4, 1)), f"quake-part-{n}"
            )
            for n in range(0, 60, 10)
        ]
        for part in parts:
            await store.upsert(part)

        async def write(sink: ArticleStore, share: list[ArticleEvent]) -> None:
            for event in share:
                await sink.upsert(event)

        await asyncio.gather(write(store, events[0::2]), write(other, events[1::2]))
    finally:
        await other.close()
    assert await sizes(store) == {"quake": 66}


async def test_an_unwritable_story_rolls_the_article_back(store: ArticleStore) -> None:
    """The story rows are in the article's transaction: when they fail, no article is
    stored either (the sink retries the whole event)."""
    table = store.table if isinstance(store, SqliteStore) else store._table_name  # type: ignore[attr-defined]
    event = in_story(BY_ID["art001"], "missile")
    if isinstance(store, SqliteStore):
        store.db.execute(f"DROP TABLE {table}_stories")
    else:
        url = store.url  # type: ignore[attr-defined]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {table}_stories")  # type: ignore[call-overload]
    with pytest.raises(Exception):  # noqa: B017 - each store's own failure type
        await store.upsert(event)
    assert await store.get(event.id) is None
