"""`/api/stories`, `/api/stories/{id}` and the `story` filter of `/api/articles` over HTTP,
on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.settings import Settings
from tests.api.articles import made_cursor, store_articles
from tests.api.server import served_api
from tests.api.stories import IN_STORIES

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(store_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await store_articles(store_settings, IN_STORIES)
    async with served_api(store_settings) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def story_ids(api: httpx.AsyncClient, params: dict[str, object]) -> list[str]:
    answer = await api.get("/api/stories", params=params)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return [story["id"] for story in answer.json()["items"]]


async def test_stories_page_with_its_fields(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/stories")
    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 2 and page["next"] is None
    vote, quake = page["items"]  # latest seen first
    assert (vote["id"], quake["id"]) == ("s-vote", "s-quake")
    assert quake["headline"] == "Strong quake shakes Izmir"
    assert (quake["article_count"], quake["source_count"]) == (3, 2)
    assert quake["sources"] == ["Reuters", "AP"] and quake["languages"] == ["en", "tr"]
    assert quake["first_seen"].startswith("2024-03-01T08:00:00")
    assert quake["last_seen"].startswith("2024-03-02T12:00:00")
    assert quake["countries"][0] == {"code": "TR", "count": 3}
    assert quake["entities"][0] == {"text": "Izmir", "type": "place", "count": 2}
    assert vote["article_count"] == 2 and vote["headline"] == "Parliament votes on the budget"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "size"}, ["s-quake", "s-vote"]),
        ({"sort": "recent"}, ["s-vote", "s-quake"]),
        ({"q": "rubble"}, ["s-quake"]),
        ({"country": "GR"}, ["s-vote", "s-quake"]),
        ({"country": "GR", "source": "ERT"}, ["s-vote"]),
        ({"language": "tr"}, ["s-quake"]),
        ({"entity": "izmir"}, ["s-quake"]),
        ({"topic": "politics"}, ["s-vote"]),
        ({"from": "2024-03-03"}, ["s-vote"]),
        ({"to": "2024-03-01"}, ["s-quake"]),
        ({"story": "s-vote-old"}, ["s-vote"]),
        ({"q": "nothingmatches"}, []),
    ],
)
async def test_stories_filters_and_sorts(
    api: httpx.AsyncClient, params: dict[str, object], expected: list[str]
) -> None:
    assert await story_ids(api, params) == expected


async def test_stories_pages_follow_the_cursor(api: httpx.AsyncClient) -> None:
    first = (await api.get("/api/stories", params={"sort": "size", "limit": 1})).json()
    assert [s["id"] for s in first["items"]] == ["s-quake"] and first["total"] == 2
    second = (
        await api.get("/api/stories", params={"sort": "size", "limit": 1, "cursor": first["next"]})
    ).json()
    assert [s["id"] for s in second["items"]] == ["s-vote"] and second["next"] is None
    # A cursor of another sort is refused, not misread.
    wrong = await api.get("/api/stories", params={"sort": "recent", "cursor": first["next"]})
    assert wrong.status_code == 400 and "cursor" in wrong.json()["error"]


async def test_one_story_with_its_articles(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/stories/s-quake")
    assert answer.status_code == 200
    story = answer.json()
    assert [a["id"] for a in story["articles"]] == ["q-1", "q-2", "q-3"]
    assert {(a["story_id"], a["story_size"]) for a in story["articles"]} == {("s-quake", 3)}
    assert story["aliases"] == []


async def test_a_merged_story_id_answers_with_its_story(api: httpx.AsyncClient) -> None:
    story = (await api.get("/api/stories/s-vote-old")).json()
    assert story["id"] == "s-vote" and story["aliases"] == ["s-vote-old"]
    assert [a["id"] for a in story["articles"]] == ["v-1", "v-2"]


async def test_the_story_filter_of_articles(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/articles", params={"story": "s-vote-old", "sort": "oldest"})
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["id"], i["story_id"], i["story_size"]) for i in items] == [
        ("v-1", "s-vote", 2),
        ("v-2", "s-vote", 2),
    ]
    both = await api.get("/api/articles", params=[("story", "s-vote"), ("story", "s-quake")])
    assert both.json()["total"] == 5
    counts = await api.get("/api/counts", params={"story": "s-quake", "interval": "month"})
    assert counts.json()["buckets"] == [{"start": "2024-03-01", "count": 3}]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "newest"},
        {"sort": "size", "cursor": "nonsense"},
        {"limit": 0},
        {"limit": 201},
        {"from": "2024-02-30"},
        {"country": "Turkey"},
        {"q": "-only"},
        {"story": "a\x00b"},
        {"cursor": "\x00"},
        # A NUL in the decoded id, and times an offset pushes out of range once in UTC.
        {"cursor": made_cursor(["recent", "2024-01-01T00:00:00+00:00", "a\x00b"])},
        {"sort": "size", "cursor": made_cursor(["size", 3, "a\x00b"])},
        {"cursor": made_cursor(["recent", "0001-01-01T00:00:00+14:00", "x"])},
        {"cursor": made_cursor(["recent", "9999-12-31T23:59:59-14:00", "x"])},
        {"story": [f"s{n}" for n in range(51)]},
    ],
)
async def test_bad_story_queries_are_400s(
    api: httpx.AsyncClient, params: dict[str, object]
) -> None:
    answer = await api.get("/api/stories", params=params)  # type: ignore[arg-type]
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["error"], str)


@pytest.mark.parametrize("story_id", ["nothing", "s-vote%00", "x" * 201])
async def test_an_unknown_story_is_a_404(api: httpx.AsyncClient, story_id: str) -> None:
    answer = await api.get(f"/api/stories/{story_id}")
    assert answer.status_code in (400, 404) and "error" in answer.json()
    if story_id == "nothing":
        assert answer.status_code == 404
