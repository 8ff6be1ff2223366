"""Every read endpoint over HTTP, on SQLite and on PostgreSQL alike: the same three stored
articles give the same answers from both stores."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import orjson
import psycopg
import pytest
from pydantic import SecretStr

from shared.settings import Settings
from tests.api.articles import CONFLICT, POLITICS, enriched, made_cursor, store_articles
from tests.api.server import served_api
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration

SEOUL = enriched(
    "a-seoul",
    title="Seoul condemns cooperation between Moscow and Pyongyang",
    text="Seoul condemned the cooperation between Moscow and Pyongyang on Tuesday. "
    "Kim Jong Un met Russian officials.",
    published_at=datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
    source="UNN",
    countries=("KP", "RU", "KR"),
    entities=(("person", "Kim Jong Un"), ("place", "Seoul")),
    topics=(CONFLICT,),
    places=(("Seoul", "KR", 1835848),),
    tone=-2.5,
)
KYIV = enriched(
    "b-kyiv",
    title="Kyiv prepares for winter",
    text="Kyiv city officials prepare heating points as winter comes.",
    published_at=datetime(2024, 2, 10, 12, 0, tzinfo=UTC),
    source="BBC",
    countries=("UA",),
    entities=(("place", "Kyiv"),),
    topics=(POLITICS,),
    places=(("Kyiv", "UA", 703448),),
    tone=1.0,
)
LAUNCH = enriched(
    "c-launch",
    title="Pyongyang launches a missile",
    text="Pyongyang launched a missile into the sea, officials in Tokyo said.",
    published_at=datetime(2024, 2, 20, 6, 0, tzinfo=UTC),
    source="UNN",
    language="en",
    countries=("KP", "JP"),
    entities=(("place", "Tokyo"),),
    topics=(CONFLICT,),
)
ALL = (SEOUL, KYIV, LAUNCH)


@pytest.fixture
async def api(store_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await store_articles(store_settings, ALL)
    async with served_api(store_settings) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def ids(
    api: httpx.AsyncClient, params: dict[str, object] | list[tuple[str, str]]
) -> list[str]:
    answer = await api.get("/api/articles", params=params)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_q_and_country_find_the_seed(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/articles", params={"q": "Pyongyang", "country": "KP"})
    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 2 and page["next"] is None
    assert {item["id"] for item in page["items"]} == {"a-seoul", "c-launch"}
    item = next(item for item in page["items"] if item["id"] == "a-seoul")
    assert "<mark>" in item["snippet"].lower() or "<mark>" in item["snippet"]
    assert set(item["countries"]) == {"KP", "RU", "KR"}
    assert item["source"] == "UNN" and item["language"] == "en"
    assert item["tone"] == -2.5
    assert {"type": "person", "text": "Kim Jong Un", "count": 1} in item["entities"]
    assert item["topics"][0]["code"] == CONFLICT[0]


async def test_each_filter_narrows(api: httpx.AsyncClient) -> None:
    assert await ids(api, {}) == ["c-launch", "b-kyiv", "a-seoul"]  # newest first
    assert await ids(api, {"sort": "oldest"}) == ["a-seoul", "b-kyiv", "c-launch"]
    assert await ids(api, [("country", "UA"), ("country", "jp")]) == ["c-launch", "b-kyiv"]
    assert await ids(api, {"source": "BBC"}) == ["b-kyiv"]
    assert await ids(api, {"entity": "Kim Jong Un"}) == ["a-seoul"]
    assert await ids(api, {"topic": POLITICS[1]}) == ["b-kyiv"]
    assert await ids(api, {"topic": CONFLICT[0]}) == ["c-launch", "a-seoul"]
    assert await ids(api, {"place": "Kyiv"}) == ["b-kyiv"]
    assert await ids(api, {"from": "2024-02-01", "to": "2024-02-10"}) == ["b-kyiv"]
    assert await ids(api, {"from": "2024-02-10T12:00:01+00:00"}) == ["c-launch"]
    assert await ids(api, {"q": "Pyongyang -missile"}) == ["a-seoul"]
    assert await ids(api, {"q": '"heating points" OR Tokyo', "sort": "newest"}) == [
        "c-launch",
        "b-kyiv",
    ]


async def test_pages_follow_the_cursor_to_the_end(api: httpx.AsyncClient) -> None:
    seen: list[str] = []
    params: dict[str, object] = {"limit": 1}
    for _ in range(5):
        page = (await api.get("/api/articles", params=params)).json()
        assert page["total"] == 3
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        params = {"limit": 1, "cursor": page["next"]}
    assert seen == ["c-launch", "b-kyiv", "a-seoul"]


async def test_one_article_whole_or_404(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/articles/a-seoul")
    assert answer.status_code == 200
    event = answer.json()
    assert event["id"] == "a-seoul"
    assert event["enrichment"]["places"][0]["name"] == "Seoul"
    missing = await api.get("/api/articles/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]


async def test_counts_are_zero_filled_and_add_up(api: httpx.AsyncClient) -> None:
    months = (await api.get("/api/counts", params={"interval": "month"})).json()
    assert months == {
        "interval": "month",
        "buckets": [{"start": "2024-01-01", "count": 1}, {"start": "2024-02-01", "count": 2}],
        "undated": 0,
    }
    days = (
        await api.get(
            "/api/counts", params={"from": "2024-02-09", "to": "2024-02-11", "country": "UA"}
        )
    ).json()
    assert days["buckets"] == [
        {"start": "2024-02-09", "count": 0},
        {"start": "2024-02-10", "count": 1},
        {"start": "2024-02-11", "count": 0},
    ]


@pytest.mark.parametrize(
    "params, starts",
    [
        ({"from": "9999-12-01", "to": "9999-12-30", "interval": "month"}, ["9999-12-01"]),
        (
            {"from": "9999-12-20", "to": "9999-12-30", "interval": "week"},
            ["9999-12-20", "9999-12-27"],
        ),
        ({"from": "9999-12-30", "to": "9999-12-31T00:00:00"}, ["9999-12-30", "9999-12-31"]),
    ],
)
async def test_counts_end_where_dates_end(
    api: httpx.AsyncClient, params: dict[str, str], starts: list[str]
) -> None:
    answer = await api.get("/api/counts", params=params)
    assert answer.status_code == 200, answer.text
    assert [bucket["start"] for bucket in answer.json()["buckets"]] == starts


async def test_undated_matches_are_counted_apart(
    api: httpx.AsyncClient, store_settings: Settings
) -> None:
    undated = SEOUL.model_copy(
        update={
            "id": "d-undated",
            "article": SEOUL.article.model_copy(update={"published_at": None}),  # type: ignore[union-attr]
        }
    )
    await store_articles(store_settings, [undated])
    counts = (await api.get("/api/counts", params={"interval": "week", "q": "Pyongyang"})).json()
    assert sum(bucket["count"] for bucket in counts["buckets"]) == 2
    assert counts["undated"] == 1
    ranged = (await api.get("/api/counts", params={"from": "2024-01-01"})).json()
    assert ranged["undated"] == 0


async def test_top_values_of_each_facet(api: httpx.AsyncClient) -> None:
    countries = (await api.get("/api/top/countries")).json()
    assert countries["facet"] == "countries"
    assert countries["items"][0] == {"value": "KP", "count": 2}
    assert {"value": "RU", "count": 1} in countries["items"]
    sources = (await api.get("/api/top/sources", params={"country": "KP"})).json()
    assert sources["items"] == [{"value": "UNN", "count": 2}]
    for facet in ("languages", "entities", "topics", "places", "authors"):
        answer = await api.get(f"/api/top/{facet}")
        assert answer.status_code == 200, (facet, answer.text)
    limited = (await api.get("/api/top/countries", params={"limit": 1})).json()
    assert len(limited["items"]) == 1


async def test_export_gives_every_match_as_csv_and_jsonl(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/export", params={"q": "Pyongyang", "limit": 1})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {row["id"] for row in rows} == {"a-seoul", "c-launch"}
    seoul = next(row for row in rows if row["id"] == "a-seoul")
    assert seoul["countries"].split("; ") == ["KP", "RU", "KR"]
    assert seoul["tone"] == "-2.5"
    lines = (await api.get("/api/export", params={"format": "jsonl"})).text.splitlines()
    assert {orjson.loads(line)["id"] for line in lines} == {"a-seoul", "b-kyiv", "c-launch"}


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/articles", {"from": "yesterday"}),
        ("/api/articles", {"to": "2024-13-01"}),
        ("/api/articles", {"from": "2024-03-01", "to": "2024-02-01"}),
        ("/api/articles", {"country": "Korea"}),
        ("/api/articles", {"limit": "0"}),
        ("/api/articles", {"limit": "201"}),
        ("/api/articles", {"limit": "many"}),
        ("/api/articles", {"cursor": "not-a-cursor"}),
        ("/api/articles", {"sort": "loudest"}),
        ("/api/articles", {"q": "-only -negatives"}),
        ("/api/articles", {"q": "x" * 1001}),
        ("/api/articles", {"tone_min": "1", "tone_max": "-1"}),
        ("/api/articles", {"tone_min": "negative"}),
        ("/api/articles", {"tone_max": "101"}),
        ("/api/counts", {"interval": "hour"}),
        ("/api/top/colours", {}),
        ("/api/export", {"format": "xml"}),
        # Refused before the stream starts, not after its 200 (the connection then dropped).
        ("/api/export", {"sort": "relevance"}),
        ("/api/export", {"sort": "relevance", "format": "jsonl"}),
        ("/api/stream", {"country": "1"}),
    ],
)
async def test_malformed_parameters_are_400s_with_a_message(
    api: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    answer = await api.get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["error"], str) and answer.json()["error"]
    assert "Value error" not in answer.json()["error"]  # pydantic's framing, not ours


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"tone_max": "-1"}, {"a-seoul"}),
        ({"tone_min": "0"}, {"b-kyiv", "c-launch"}),
        ({"tone_min": "0.5", "tone_max": "2"}, {"b-kyiv"}),
        ({"q": "Pyongyang", "tone_min": "-3", "tone_max": "-2"}, {"a-seoul"}),
    ],
)
async def test_the_tone_range_filters(
    api: httpx.AsyncClient, params: dict[str, str], expected: set[str]
) -> None:
    assert set(await ids(api, params)) == expected
    counted = await api.get("/api/counts", params={**params, "interval": "month"})
    assert sum(bucket["count"] for bucket in counted.json()["buckets"]) == len(expected)


@pytest.mark.parametrize(
    "params",
    [
        # A NUL in the decoded id (the base64 text has none), which PostgreSQL refuses.
        {"cursor": made_cursor(["newest", "2024-01-01T00:00:00+00:00", "a\x00b"])},
        {"cursor": made_cursor(["newest", None, "a\x00b"])},
        {"q": "seoul", "cursor": made_cursor(["relevance", 1.5, "a\x00b"])},
        # Times an offset pushes past year 1 or 9999 once in UTC.
        {"cursor": made_cursor(["newest", "0001-01-01T00:00:00+14:00", "x"])},
        {"sort": "oldest", "cursor": made_cursor(["oldest", "9999-12-31T23:59:59-14:00", "x"])},
    ],
)
async def test_a_made_up_cursor_is_a_400(api: httpx.AsyncClient, params: dict[str, str]) -> None:
    answer = await api.get("/api/articles", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "cursor is not one this API gave"


async def test_a_cursor_of_another_sort_is_a_400(api: httpx.AsyncClient) -> None:
    page = (await api.get("/api/articles", params={"limit": 1})).json()
    answer = await api.get("/api/articles", params={"cursor": page["next"], "sort": "oldest"})
    assert answer.status_code == 400


async def test_an_export_the_store_cannot_serve_is_a_503_not_a_broken_200(
    settings: Settings, database_url: str
) -> None:
    """The export answered 200 before reading the store, so a store down, busy or too slow
    broke the body off after it; a table locked past the read timeout shows it."""
    on_postgres = settings.model_copy(
        update={"database_url": SecretStr(database_url), "api_query_timeout_s": 0.5}
    )
    try:
        async with (
            served_api(on_postgres) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        ):
            assert (await client.get("/api/export")).status_code == 200  # the table exists
            async with await psycopg.AsyncConnection.connect(database_url) as lock:
                await lock.execute(f"LOCK TABLE {settings.table_name} IN ACCESS EXCLUSIVE MODE")
                answer = await client.get("/api/export")
                await lock.rollback()
        assert answer.status_code == 503, answer.text
        assert "error" in answer.json() and answer.headers["Retry-After"]
    finally:
        drop_store_tables(database_url, settings.table_name)
