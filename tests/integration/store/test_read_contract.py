"""The read side's contract, the same test on PostgreSQL and on SQLite: filters, sorts,
keyset pages, snippets, counts, top lists, export, the migration and hostile input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.store import read_sql
from shared.store.article_query import ArticleQuery, QueryError
from shared.store.article_store import ArticleStore
from shared.store.sqlite import SqliteStore
from tests.integration.store.articles import ARTICLES, article_event, day
from tests.store_tables import behind_the_store

pytestmark = pytest.mark.integration


@pytest.fixture
async def loaded(store: ArticleStore) -> ArticleStore:
    for event in ARTICLES:
        await store.upsert(event)
    return store


async def ids(store: ArticleStore, **fields: object) -> list[str]:
    page = await store.search(ArticleQuery.checked(**fields, limit=200))
    assert page.total == len(page.items)
    return [item.id for item in page.items]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"q": "Pyongyang"}, {"art001", "art006"}),
        (
            {
                "q": "pyongyang",
                "countries": ["KP"],
                "date_from": "2020-01-01",
                "date_to": "2020-01-31",
            },
            {"art001", "art006"},
        ),
        ({"q": "missile -Pyongyang"}, {"art002", "art003"}),
        ({"q": '"North Korea"'}, {"art001", "art002"}),
        ({"q": "harvest OR Moscow"}, {"art002", "art004"}),
        ({"countries": ["ru"]}, {"art002"}),
        ({"countries": ["KR", "RU"]}, {"art001", "art002", "art003"}),
        ({"entities": ["kim jong un"]}, {"art001", "art002", "art006"}),
        ({"entities": ["Kim Jong Un"], "countries": ["RU"]}, {"art002"}),
        ({"topics": ["medtop:04000000"]}, {"art003"}),
        ({"topics": ["Conflict, War and Peace"]}, {"art001", "art002", "art006"}),
        ({"places": ["moscow"]}, {"art002"}),
        ({"sources": ["Local"]}, {"art004", "art005"}),
        ({"languages": ["RU"]}, {"art002"}),
        ({"date_from": "2020-02-02T15:00:00Z", "date_to": "2020-02-02T17:00:00Z"}, {"art003"}),
        ({"date_from": "2020-02-03"}, {"art004"}),
        ({"q": "nothingmatchesthis"}, set()),
        ({"tone_max": -2}, {"art002"}),
        ({"tone_min": 0}, {"art003"}),
        ({"tone_min": -1, "tone_max": -1}, {"art001", "art004", "art006"}),
        ({"tone_min": -100}, {"art001", "art002", "art003", "art004", "art006"}),
        ({"q": "missile", "tone_max": 0}, {"art001", "art002", "art006"}),
    ],
)
async def test_filters(loaded: ArticleStore, fields: dict[str, object], expected: set[str]) -> None:
    assert set(await ids(loaded, **fields)) == expected


async def test_newest_and_oldest_order_undated_last_ties_by_id(loaded: ArticleStore) -> None:
    newest = ["art004", "art003", "art002", "art001", "art006", "art005"]
    assert await ids(loaded) == newest
    assert await ids(loaded, sort="oldest") == [
        "art001",
        "art006",
        "art002",
        "art003",
        "art004",
        "art005",
    ]


@pytest.mark.parametrize(
    "fields", [{}, {"sort": "oldest"}, {"q": "missile OR apple"}, {"countries": ["KP"]}]
)
async def test_keyset_pages_give_every_match_once(
    loaded: ArticleStore, fields: dict[str, object]
) -> None:
    everything = await ids(loaded, **fields)
    seen: list[str] = []
    cursor = None
    while True:
        page = await loaded.search(ArticleQuery.checked(**fields, limit=2, cursor=cursor))
        assert page.total == len(everything)
        seen += [item.id for item in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == everything


async def test_total_above_its_cap_is_a_lower_bound_and_the_page_is_unchanged(
    loaded: ArticleStore,
) -> None:
    exact = await loaded.search(ArticleQuery.checked(limit=2), None)
    capped = await loaded.search(ArticleQuery.checked(limit=2), 3)
    at_cap = await loaded.search(ArticleQuery.checked(limit=2), exact.total)
    assert exact.total == len(ARTICLES) > 3 and not exact.total_is_lower_bound
    assert (capped.total, capped.total_is_lower_bound) == (3, True)
    assert (at_cap.total, at_cap.total_is_lower_bound) == (exact.total, False)
    assert capped.items == exact.items and capped.next == exact.next


async def test_summary_and_marked_escaped_snippet(loaded: ArticleStore) -> None:
    await loaded.upsert(
        ARTICLES[3].model_copy(
            update={
                "id": "art099",
                "article": ARTICLES[3].article.model_copy(  # type: ignore[union-attr]
                    update={"text": "<script>alert(1)</script> the harvest & more"}
                ),
            }
        )
    )
    page = await loaded.search(ArticleQuery.checked(q="harvest", sources=["Local"]))
    snippets = {item.id: item.snippet for item in page.items}
    assert "<mark>harvest</mark>" in snippets["art004"]
    assert "<script>" not in snippets["art099"] and "&amp; more" in snippets["art099"]
    (first,) = (await loaded.search(ArticleQuery.checked(q="Seoul", countries=["KP"]))).items
    assert first.countries == ["KP", "KR"] and first.source == "UNN" and first.tone == -1.0
    assert [e.text for e in first.entities] == ["Moon Jae-in", "Kim Jong Un"]
    assert first.topics[0].code == "medtop:16000000"
    assert first.published_at == day(1, 6)


async def test_get_event(loaded: ArticleStore) -> None:
    event = await loaded.get_event("art002")
    assert event is not None and event["article"]["title"] == "Moscow talks"
    assert await loaded.get_event("nope") is None


async def test_counts_zero_filled(loaded: ArticleStore) -> None:
    months = await loaded.counts(ArticleQuery.checked(), "month")
    assert [(b.start, b.count) for b in months] == [
        (date(2020, 1, 1), 3),
        (date(2020, 2, 1), 1),
        (date(2020, 3, 1), 1),
    ]
    weeks = await loaded.counts(
        ArticleQuery.checked(q="missile", date_from="2020-01-01", date_to="2020-01-31"), "week"
    )
    assert weeks[0].start == date(2019, 12, 30) and weeks[-1].start == date(2020, 1, 27)
    assert {b.start: b.count for b in weeks if b.count} == {
        date(2020, 1, 6): 2,
        date(2020, 1, 20): 1,
    }
    days = await loaded.counts(ArticleQuery.checked(countries=["KR"]), "day")
    assert len(days) == 28 and sum(b.count for b in days) == 2
    assert days[-1] == days[-1].model_copy(update={"start": date(2020, 2, 2), "count": 1})


@pytest.mark.parametrize(
    ("facet", "expected"),
    [
        ("countries", [("KP", 3), ("KR", 2), ("RU", 1)]),
        ("sources", [("UNN", 2), ("TASS", 1), ("Yonhap", 1)]),
        ("languages", [("en", 3), ("ru", 1)]),
        ("entities", [("Kim Jong Un", 3), ("Moon Jae-in", 2), ("Vladimir Putin", 1)]),
        ("topics", [("conflict, war and peace", 3), ("economy, business and finance", 1)]),
        ("places", [("Moscow", 1), ("Pyongyang", 1)]),
        ("authors", [("Ann Lee", 1), ("Bo Kim", 1)]),
    ],
)
async def test_top(loaded: ArticleStore, facet: str, expected: list[tuple[str, int]]) -> None:
    top = await loaded.top(ArticleQuery.checked(q="missile"), facet)
    assert [(f.value, f.count) for f in top] == expected


async def test_export_gives_every_match(loaded: ArticleStore) -> None:
    exported = [s.id async for s in loaded.export(ArticleQuery.checked(q="missile OR apple"))]
    assert sorted(exported) == sorted(await ids(loaded, q="missile OR apple"))
    assert [s.id async for s in loaded.export(ArticleQuery.checked())] == await ids(loaded)


async def test_reupsert_replaces_side_rows(loaded: ArticleStore) -> None:
    moved = ARTICLES[1].model_copy(deep=True)
    assert moved.enrichment is not None
    moved.enrichment.countries = moved.enrichment.countries[:1]  # RU only
    await loaded.upsert(moved)
    assert await ids(loaded, countries=["KP"]) == ["art001", "art006"]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.top(ArticleQuery(), "colours"),
        lambda s: s.top(ArticleQuery(), "sources", 0),
        lambda s: s.search(ArticleQuery(sort="relevance")),
        lambda s: s.search(ArticleQuery(cursor="e30")),
        lambda s: s.counts(
            ArticleQuery(date_from=day(1, 1).replace(year=1), date_to=day(1, 1)), "day"
        ),
    ],
)
async def test_malformed_requests_are_query_errors(loaded: ArticleStore, call: object) -> None:
    with pytest.raises(QueryError):
        await call(loaded)  # type: ignore[operator]


INJECTIONS = [
    "'; DROP TABLE articles; --",
    '" OR 1=1 --',
    "x') OR ('1'='1",
    "NEAR(a b) * ^title:x",
    'title:"x" OR body:*',
]


@pytest.mark.parametrize("attempt", INJECTIONS)
async def test_injection_attempts_change_nothing(loaded: ArticleStore, attempt: str) -> None:
    for fields in (
        {"q": attempt},
        {"sources": [attempt]},
        {"entities": [attempt]},
        {"topics": [attempt]},
    ):
        try:
            page = await loaded.search(ArticleQuery.checked(**fields))
        except QueryError:
            continue
        assert page.total == 0 or fields.get("q")
    assert await loaded.count() == len(ARTICLES)
    assert len(await ids(loaded)) == len(ARTICLES)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=60), cursor=st.one_of(st.none(), st.text(max_size=40)))
async def test_fuzz_q_and_cursor(loaded: ArticleStore, q: str, cursor: str | None) -> None:
    try:
        query = ArticleQuery.checked(q=q, cursor=cursor)
        await loaded.search(query)
        await loaded.counts(query, "month")
        await loaded.top(query, "countries")
    except QueryError:
        pass


async def test_migration_backfills_a_table_of_the_previous_release(
    loaded: ArticleStore, database_url: str
) -> None:
    """The side tables and their marker dropped, as the previous release had none; SQLite
    times rewritten in their own offsets, as it stored them."""
    table = loaded.table if isinstance(loaded, SqliteStore) else loaded._table_name  # type: ignore[attr-defined]
    drops = [
        f"DROP TABLE {table}_{side}"
        for side in ("countries", "entities", "topics", "places", "authors", "meta")
    ]
    behind_the_store(loaded, database_url, drops)
    if isinstance(loaded, SqliteStore):
        loaded.db.execute(
            f"UPDATE {table} SET published_at = '2020-02-03T01:00:00+09:00' WHERE id = 'art003'"
        )
    await loaded.close()
    await loaded.open()
    assert await ids(loaded, countries=["KR"]) == ["art003", "art001"]
    assert await ids(loaded, entities=["moon jae-in"], date_to="2020-02-02T16:00:00Z") == [
        "art003",
        "art001",
    ]


async def test_relevance_ranks_the_newest_matches_when_there_are_more_than_its_window(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, past the window (10,000 matches; 3 here) the newest matches are
    ranked, so a word of every article is not ranked in all of them; below it every match
    is. SQLite ranks every match (its bm25 over all costs less than finding the newest)."""
    heavy = "harbour " * 30
    for n in range(1, 6):
        text = f"{heavy if n <= 2 else 'one harbour'} and the tide on day {n}."
        title = "Harbour harbour harbour" if n <= 2 else f"Day {n}"
        await store.upsert(article_event(n, title, text, published=day(3, n)))

    every = await store.search(ArticleQuery.checked(q="harbour"))
    assert {item.id for item in every.items[:2]} == {"art001", "art002"}  # the most relevant

    monkeypatch.setattr(read_sql, "RELEVANCE_WINDOW", 3)
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.search(ArticleQuery.checked(q="harbour", limit=2, cursor=cursor), 3)
        assert (page.total, page.total_is_lower_bound) == (3, True)
        seen += [item.id for item in page.items]
        if page.next is None:
            break
        cursor = page.next
    if isinstance(store, SqliteStore):
        assert seen == [item.id for item in every.items]  # every match, ranked
        return
    assert sorted(seen) == ["art003", "art004", "art005"]  # the newest three, each once
    exact = await store.search(ArticleQuery.checked(q="tide harbour", sort="newest"), 3)
    assert [item.id for item in exact.items][:3] == ["art005", "art004", "art003"]
