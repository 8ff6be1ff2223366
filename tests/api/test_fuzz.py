"""Any query string gets results or a 400 with a JSON message, never a 500, on both stores;
what looks like SQL in a parameter is searched for, not run; any body posted to
/api/alerts and any alert name is answered 2xx or 4xx, never 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr

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


# ---- /api/alerts: any body, any name ------------------------------------------------------

ALERT_TOKEN = "fuzz-alerts-token"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
QUERY_KEYS = st.sampled_from(
    ("q", "sources", "languages", "countries", "entities", "topics", "places", "tone_min",
     "tone_max", "date_from", "sort")
)  # fmt: skip
NEAR_ALERTS = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(("kp", "a-b_1", "deliveries", "", "Kp")), st.text())},
    optional={
        "query": st.dictionaries(QUERY_KEYS, JSON_VALUES | st.lists(VALUES), max_size=4),
        "webhook": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"url": st.sampled_from(("https://example.org/h", "ftp://x", "http://", "x"))
                 | st.text()},
                optional={"secret": st.text(max_size=40)},
            ),
        ),
        "rate_per_minute": JSON_VALUES,
    },
)  # fmt: skip


@pytest.fixture
def writer_url(store_settings: Settings) -> Iterator[str]:
    with_token = store_settings.model_copy(update={"api_token": SecretStr(ALERT_TOKEN)})
    with served_api_in_thread(with_token) as url:
        yield url


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.one_of(NEAR_ALERTS, JSON_VALUES))
@example(body={"name": "kp", "query": {"q": "\ud800"}})
@example(body={"name": "kp", "query": {"tone_min": float("nan")}})
@example(body={"name": "kp", "webhook": {"url": "https://example.org/h", "secret": "\x00" * 16}})
def test_no_alert_body_is_a_500(writer_url: str, body: object) -> None:
    headers = {"Authorization": f"Bearer {ALERT_TOKEN}"}
    # The standard library's JSON, because it writes what a careless client may send: NaN,
    # and lone surrogates as \ud800 escapes.
    raw = json.dumps(body).encode()
    headers["Content-Type"] = "application/json"
    answer = httpx.post(f"{writer_url}/api/alerts", content=raw, headers=headers, timeout=30)
    assert answer.status_code in (201, 400, 409), (answer.status_code, answer.text)
    if answer.status_code == 201:
        name = answer.json()["name"]
        assert httpx.get(f"{writer_url}/api/alerts/{name}", timeout=30).status_code == 200
        removed = httpx.delete(f"{writer_url}/api/alerts/{name}", headers=headers, timeout=30)
        assert removed.status_code == 204
    else:
        assert isinstance(answer.json()["error"], str)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.text(min_size=1, max_size=120).filter(lambda s: s not in (".", "..")))
@example(name="\x00")
@example(name="kp\n")
def test_no_alert_name_is_a_500(writer_url: str, name: str) -> None:
    quoted = quote(name, safe="")
    headers = {"Authorization": f"Bearer {ALERT_TOKEN}"}
    for method, path in (
        ("GET", f"/api/alerts/{quoted}"),
        ("GET", f"/api/alerts/{quoted}/matches"),
        ("DELETE", f"/api/alerts/{quoted}"),
    ):
        answer = httpx.request(method, writer_url + path, headers=headers, timeout=30)
        # A name that ends the path with "/" is redirected to the path without it (and a
        # DELETE of "/api/alerts/" is one of the list, which has none: 405).
        assert answer.status_code in (307, 400, 404, 405), (method, path, answer.text)
