"""Any query string gets results or a 400 with a JSON message, never a 500, on both stores;
and what looks like SQL in a parameter is searched for, not run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shared.settings import Settings
from tests.api.articles import store_articles
from tests.api.server import served_api_in_thread
from tests.api.stories import IN_STORIES
from tests.api.test_read_endpoints import ALL

STORED = (*ALL, *IN_STORIES)

pytestmark = pytest.mark.integration

PARAMETERS = (
    "q", "from", "to", "source", "language", "country", "entity", "topic", "place",
    "sort", "limit", "cursor", "interval", "format", "story",
)  # fmt: skip
PATHS = (
    "/api/articles", "/api/counts", "/api/top/countries", "/api/top/entities", "/api/stories",
)  # fmt: skip
INJECTIONS = (
    "'; DROP TABLE articles; --",
    '" OR 1=1 --',
    "x') OR ('1'='1",
    "NEAR(a b)",
    "title:secret",
    "a* AND b^",
    "%' UNION SELECT * FROM sqlite_master --",
    "\\x00",
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(INJECTIONS),
    st.sampled_from(("2024-01-01", "2024-02-30", "KP", "newest", "relevance", "0", "200",
                     "201", "-1", "month", "csv", "jsonl", "OR", '"', "-", "", "size",
                     "recent", "s-quake", "s-vote-old", "WyJzaXplIiwzLCJzLXF1YWtlIl0")),
)  # fmt: skip
QUERIES = st.lists(st.tuples(st.sampled_from(PARAMETERS), VALUES), max_size=5)


@pytest.fixture
def base_url(store_settings: Settings) -> Iterator[str]:
    asyncio.run(store_articles(store_settings, STORED))
    with served_api_in_thread(store_settings) as url:
        yield url


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(PATHS), params=QUERIES)
def test_no_query_string_is_a_500(base_url: str, path: str, params: list[tuple[str, str]]) -> None:
    answer = httpx.get(base_url + path, params=params, timeout=30)
    assert answer.status_code in (200, 400), (answer.status_code, answer.text)
    if answer.status_code == 400:
        assert isinstance(answer.json()["error"], str)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(article_id=st.text(min_size=1, max_size=300).filter(lambda s: s not in (".", "..")))
@example(article_id="\x00")
@example(article_id="a-seoul\x00")
def test_no_article_id_is_a_500(base_url: str, article_id: str) -> None:
    for path in ("/api/articles", "/api/stories"):
        answer = httpx.get(f"{base_url}{path}/{quote(article_id, safe='')}", timeout=30)
        # An id that ends the path with "/" is redirected to the path without it.
        assert answer.status_code in (200, 307, 400, 404), (answer.status_code, answer.text)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injection_attempts_change_nothing(base_url: str, injection: str) -> None:
    for name in ("q", "source", "entity", "topic", "place", "cursor", "story"):
        answer = httpx.get(f"{base_url}/api/articles", params={name: injection}, timeout=30)
        assert answer.status_code in (200, 400), (name, answer.text)
        if answer.status_code == 200:
            assert answer.json()["total"] == 0, (name, injection)
    everything = httpx.get(f"{base_url}/api/articles", timeout=30).json()
    assert everything["total"] == len(STORED)
    for name in ("q", "story", "cursor"):
        answer = httpx.get(f"{base_url}/api/stories", params={name: injection}, timeout=30)
        assert answer.status_code in (200, 400), (name, answer.text)
        if answer.status_code == 200:
            assert answer.json()["total"] == 0, (name, injection)
    assert httpx.get(f"{base_url}/api/stories", timeout=30).json()["total"] == 2


@pytest.mark.parametrize(
    "query_string",
    [
        "source=%00",
        "q=%00",
        "q=a%00b",
        "entity=%FF%FE",
        "from=%00",
        "topic=%C0%AF",
        "place=" + "x" * 5000,
        "country=%00%00",
        "cursor=%00",
        "q=%22%22%22",
        "q=OR%20OR",
        "limit=1e3",
        "limit=%00",
        "story=%00",
        "story=%FF",
        "sort=size&cursor=%00",
    ],
)
def test_odd_bytes_in_the_query_string_are_never_a_500(base_url: str, query_string: str) -> None:
    for path in ("/api/articles", "/api/counts", "/api/top/entities", "/api/stories"):
        answer = httpx.get(f"{base_url}{path}?{query_string}", timeout=30)
        assert answer.status_code in (200, 400), (path, answer.status_code, answer.text)
