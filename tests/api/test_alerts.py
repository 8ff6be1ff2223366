"""/api/alerts over HTTP, on SQLite and PostgreSQL: writes need the token (403 when none is
configured, 401 when missing or wrong); a bad alert is a 400 saying why (a bad query in the
read side's own words); created alerts are listed, shown and removed; the secret is answered
once; the figures are the stage's and the worker's counters."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from services.alerts.matching import AlertMatcher
from services.alerts.records import MatchRecords
from shared.alerts.catalog import alerts_version
from shared.alerts.figures import DELIVERED, FAILED
from shared.alerts.wire import AlertKeys
from shared.settings import Settings
from shared.store.backends import opened_store
from tests.api.server import served_api
from tests.api.test_read_endpoints import KYIV, LAUNCH, SEOUL

pytestmark = pytest.mark.integration

TOKEN = "alerts-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KP_ALERT: dict[str, Any] = {
    "name": "kp-conflict",
    "query": {"q": "Pyongyang -winter", "countries": ["KP"], "tone_max": 0},
    "webhook": {"url": "http://127.0.0.1:8787/services/T0/B0/very-private-key"},
    "rate_per_minute": 10,
    "once_per_story": True,
}


# Webhooks on this test's loopback are let through the SSRF guard (nothing listens there:
# adding an alert calls nobody).
ALLOWED = "127.0.0.1/32"


@pytest.fixture
async def alerts_api(store_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The api with a token, on each store in turn."""
    with_token = store_settings.model_copy(
        update={"api_token": SecretStr(TOKEN), "webhook_allow_networks": ALLOWED}
    )
    async with served_api(with_token) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def stored_names(settings: Settings) -> list[str]:
    async with opened_store(settings) as store:
        return [alert.name for alert in await store.list_alerts()]


# ---- who may write ------------------------------------------------------------------------


async def test_without_a_configured_token_alerts_cannot_be_changed(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    answer = await api.post("/api/alerts", json=KP_ALERT, headers=AUTH)
    assert answer.status_code == 403
    assert "NEWSFLOW_API_TOKEN" in answer.json()["error"]
    assert (await api.delete("/api/alerts/kp-conflict", headers=AUTH)).status_code == 403
    # Reading needs no token.
    assert (await api.get("/api/alerts")).json() == {"items": []}
    assert await stored_names(settings) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Bearer"}],
    ids=["missing", "wrong", "no-scheme", "empty"],
)
async def test_a_missing_or_wrong_token_is_refused(
    alerts_api: httpx.AsyncClient, store_settings: Settings, headers: dict[str, str]
) -> None:
    created = await alerts_api.post("/api/alerts", json=KP_ALERT, headers=headers)
    assert created.status_code == 401, created.text
    assert created.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in created.text
    # The token is checked before the body: a bad body without it is still a 401.
    assert (await alerts_api.post("/api/alerts", json={"x": 1}, headers=headers)).status_code == 401
    # Not even parsed: a body that is no JSON at all is a 401 too, not a 400.
    as_json = {**headers, "Content-Type": "application/json"}
    assert (await alerts_api.post("/api/alerts", content=b"{", headers=as_json)).status_code == 401
    assert await stored_names(store_settings) == []
    assert (await alerts_api.post("/api/alerts", json=KP_ALERT, headers=AUTH)).status_code == 201
    removed = await alerts_api.delete("/api/alerts/kp-conflict", headers=headers)
    assert removed.status_code == 401
    assert await stored_names(store_settings) == ["kp-conflict"]


# ---- create, list, show, remove -----------------------------------------------------------


async def test_an_alert_is_created_listed_shown_and_removed(
    alerts_api: httpx.AsyncClient, store_settings: Settings, redis: Redis
) -> None:
    keys = AlertKeys(store_settings.stream_prefix)
    version = await alerts_version(redis, keys)
    answer = await alerts_api.post("/api/alerts", json=KP_ALERT, headers=AUTH)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == "/api/alerts/kp-conflict"
    assert answer.headers["cache-control"] == "no-store"
    created = answer.json()
    secret = created["secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    fingerprint = "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
    assert created["webhook"] == {
        "origin": "http://127.0.0.1:8787",
        "secret_fingerprint": fingerprint,
    }
    assert created["query"] == {
        "q": "Pyongyang -winter", "sources": [], "languages": [], "countries": ["KP"],
        "entities": [], "topics": [], "places": [], "tone_min": None, "tone_max": 0.0,
    }  # fmt: skip
    assert created["rate_per_minute"] == 10
    assert created["once_per_story"] is True
    assert created["stream"] == keys.stream("kp-conflict")
    assert created["figures"] == {"matched": 0, "delivered": 0, "failed": 0}
    # Stored, with the secret it answered, and the matching stage told to reload.
    async with opened_store(store_settings) as store:
        stored = await store.get_alert("kp-conflict")
    assert stored is not None and stored.webhook is not None
    assert stored.webhook.secret.get_secret_value() == secret
    assert stored.webhook.url == KP_ALERT["webhook"]["url"]
    assert stored.once_per_story is True
    assert await alerts_version(redis, keys) == version + 1

    listed = await alerts_api.get("/api/alerts")
    shown = await alerts_api.get("/api/alerts/kp-conflict")
    assert listed.status_code == shown.status_code == 200
    without_secret = {key: value for key, value in created.items() if key != "secret"}
    assert listed.json() == {"items": [without_secret]}
    assert shown.json() == without_secret
    # Neither the secret nor the webhook URL's private path is ever read back.
    for text in (listed.text, shown.text):
        assert secret not in text and "very-private-key" not in text

    assert (await alerts_api.delete("/api/alerts/kp-conflict", headers=AUTH)).status_code == 204
    assert await stored_names(store_settings) == []
    assert await alerts_version(redis, keys) == version + 2
    assert (await alerts_api.get("/api/alerts/kp-conflict")).status_code == 404
    again = await alerts_api.delete("/api/alerts/kp-conflict", headers=AUTH)
    assert again.status_code == 404 and "kp-conflict" in again.json()["error"]


async def test_a_given_secret_is_kept_and_not_answered_back(
    alerts_api: httpx.AsyncClient, store_settings: Settings
) -> None:
    given = "a-secret-of-my-own-0123456789"
    answer = await alerts_api.post(
        "/api/alerts",
        json={"name": "mine", "webhook": {"url": "http://127.0.0.1:1/hook", "secret": given}},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["secret"] is None and given not in answer.text
    assert answer.json()["webhook"]["secret_fingerprint"] == (
        "sha256:" + hashlib.sha256(given.encode()).hexdigest()[:16]
    )


async def test_an_alert_without_webhook_has_no_secret(alerts_api: httpx.AsyncClient) -> None:
    answer = await alerts_api.post(
        "/api/alerts", json={"name": "stream-only", "query": {"q": "Kyiv"}}, headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["webhook"] is None and answer.json()["secret"] is None
    assert answer.json()["once_per_story"] is False  # every article, unless asked


async def test_a_taken_name_is_a_409(
    alerts_api: httpx.AsyncClient, store_settings: Settings
) -> None:
    first = await alerts_api.post("/api/alerts", json=KP_ALERT, headers=AUTH)
    assert first.status_code == 201
    other = {**KP_ALERT, "query": {"q": "something else"}}
    second = await alerts_api.post("/api/alerts", json=other, headers=AUTH)
    assert second.status_code == 409
    assert "kp-conflict" in second.json()["error"]
    async with opened_store(store_settings) as store:
        kept = await store.get_alert("kp-conflict")
    assert kept is not None and kept.query.q == "Pyongyang -winter"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:8787/x",  # loopback, outside the allowed /32
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8787/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://0x7f000002/",  # 127.0.0.2 spelled as one hex number
        "https://hooks.example.org/x",  # does not resolve (no DNS here)
        "http://" + "x" * 64 + ".example/",  # a label IDNA cannot encode
    ],
)
async def test_a_webhook_the_ssrf_guard_refuses_is_a_400(
    alerts_api: httpx.AsyncClient, store_settings: Settings, url: str
) -> None:
    body = {"name": "inside", "webhook": {"url": url}}
    answer = await alerts_api.post("/api/alerts", json=body, headers=AUTH)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("webhook refused")
    assert await stored_names(store_settings) == []


async def test_without_an_allow_list_loopback_webhooks_are_refused(settings: Settings) -> None:
    with_token = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    async with served_api(with_token) as url, httpx.AsyncClient(base_url=url) as api:
        body = {"name": "local", "webhook": {"url": "http://127.0.0.1:8787/hook"}}
        answer = await api.post("/api/alerts", json=body, headers=AUTH)
    assert answer.status_code == 400
    assert "non-public address 127.0.0.1" in answer.json()["error"]
    assert await stored_names(settings) == []


# ---- validation ---------------------------------------------------------------------------

BAD_ALERTS: list[tuple[str, dict[str, Any], str]] = [
    ("upper-case name", {"name": "Kp"}, "name"),
    ("reserved name", {"name": "deliveries"}, "reserved"),
    ("long name", {"name": "a" * 65}, "name"),
    ("newline in name", {"name": "kp\n"}, "name"),
    ("empty name", {"name": ""}, "name"),
    ("no name", {"query": {"q": "x"}}, "name"),
    ("country", {"name": "a", "query": {"countries": ["Korea"]}}, "alpha-2"),
    ("tone range", {"name": "a", "query": {"tone_min": 2, "tone_max": -2}}, "tone_min"),
    ("tone out of scale", {"name": "a", "query": {"tone_min": 500}}, "tone_min"),
    ("only -words", {"name": "a", "query": {"q": "-sport"}}, "at least one word"),
    ("long q", {"name": "a", "query": {"q": "x" * 1001}}, "q"),
    ("unknown filter", {"name": "a", "query": {"date_from": "2024-01-01"}}, "date_from"),
    ("unknown field", {"name": "a", "secret": "x"}, "secret"),
    ("ftp webhook", {"name": "a", "webhook": {"url": "ftp://example.org/x"}}, "http"),
    ("no host", {"name": "a", "webhook": {"url": "https:///x"}}, "host"),
    (
        "password in webhook",
        {"name": "a", "webhook": {"url": "https://u:p@example.org/x"}},
        "password",
    ),
    ("short secret", {"name": "a", "webhook": {"url": "https://e.org/", "secret": "s"}}, "16"),
    ("rate 0", {"name": "a", "rate_per_minute": 0}, "rate_per_minute"),
    ("once per story not a bool", {"name": "a", "once_per_story": "often"}, "once_per_story"),
    ("NUL in q", {"name": "a", "query": {"q": "kyiv\x00"}}, "NUL"),
    ("NUL in a source", {"name": "a", "query": {"sources": ["U\x00NN"]}}, "NUL"),
    ("51 sources", {"name": "a", "query": {"sources": ["s"] * 51}}, "sources"),
    ("a list for q", {"name": "a", "query": {"q": ["x"]}}, "q"),
]


@pytest.mark.parametrize(
    ("body", "says"), [c[1:] for c in BAD_ALERTS], ids=[c[0] for c in BAD_ALERTS]
)
async def test_a_bad_alert_is_a_400_saying_why(
    alerts_api: httpx.AsyncClient, store_settings: Settings, body: dict[str, Any], says: str
) -> None:
    answer = await alerts_api.post("/api/alerts", json=body, headers=AUTH)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["error"]
    assert await stored_names(store_settings) == []


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[]", b'{"name": "a", "query": {"q": "\\ud800"}}', b'{"name": "\\udfff"}',
     b'{"name": "a", "query": {"tone_min": NaN}}', b'{"name": "a", "query": null}', b""],
    ids=["not-json", "list", "surrogate-q", "surrogate-name", "nan", "null-query", "empty"],
)  # fmt: skip
async def test_a_body_that_is_no_alert_is_a_400(
    alerts_api: httpx.AsyncClient, store_settings: Settings, raw: bytes
) -> None:
    answer = await alerts_api.post(
        "/api/alerts", content=raw, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["error"], str)
    assert await stored_names(store_settings) == []


async def test_a_bad_query_is_refused_in_the_read_sides_words(
    alerts_api: httpx.AsyncClient,
) -> None:
    for q in ("-sport", "-a OR b", " ".join(f"w{i}" for i in range(40))):
        read = await alerts_api.get("/api/articles", params={"q": q})
        saved = await alerts_api.post(
            "/api/alerts", json={"name": "a", "query": {"q": q}}, headers=AUTH
        )
        assert read.status_code == saved.status_code == 400
        assert read.json()["error"] == saved.json()["error"]


@pytest.mark.parametrize("name", ["Nope", "a b", "a.b", "x" * 65, "no-such-alert", "%00"])
async def test_an_unknown_name_is_a_404(alerts_api: httpx.AsyncClient, name: str) -> None:
    for path in (f"/api/alerts/{name}", f"/api/alerts/{name}/matches"):
        answer = await alerts_api.get(path)
        assert answer.status_code == 404, (path, answer.text)
    assert (await alerts_api.delete(f"/api/alerts/{name}", headers=AUTH)).status_code == 404


# ---- figures and matches ------------------------------------------------------------------


async def test_the_figures_and_matches_are_the_stages_and_the_workers(
    alerts_api: httpx.AsyncClient, store_settings: Settings, redis: Redis
) -> None:
    """The matching stage's own work (AlertMatcher, MatchRecords) records the matches;
    the counts the delivery worker keeps are added as it adds them."""
    for body in (KP_ALERT, {"name": "kyiv", "query": {"q": "Kyiv"}}):
        assert (await alerts_api.post("/api/alerts", json=body, headers=AUTH)).status_code == 201
    keys = AlertKeys(store_settings.stream_prefix)
    async with opened_store(store_settings) as store:
        matcher = AlertMatcher(store, redis, keys, MatchRecords(keys, 3600, 1000))
        for event in (SEOUL, LAUNCH, KYIV, SEOUL):  # SEOUL twice: recorded once
            forward = await matcher.handle(event)
            if forward is not None:
                async with redis.pipeline(transaction=True) as pipe:
                    forward.writes(pipe)
                    await pipe.execute()
    await redis.hincrby(keys.figures("kp-conflict"), DELIVERED, 1)
    await redis.hincrby(keys.figures("kp-conflict"), FAILED, 1)

    listed = {item["name"]: item for item in (await alerts_api.get("/api/alerts")).json()["items"]}
    # SEOUL (tone -2.5) and LAUNCH (tone 0) mention Pyongyang and KP; KYIV does not.
    assert listed["kp-conflict"]["figures"] == {"matched": 2, "delivered": 1, "failed": 1}
    assert listed["kp-conflict"]["stream_length"] == 2
    assert listed["kyiv"]["figures"] == {"matched": 1, "delivered": 0, "failed": 0}
    matches = (await alerts_api.get("/api/alerts/kp-conflict/matches")).json()
    assert matches["alert"] == "kp-conflict"
    assert [m["article_id"] for m in matches["items"]] == [LAUNCH.id, SEOUL.id]
    assert matches["items"][0]["idempotency_key"] == f"kp-conflict:{LAUNCH.id}"
    assert matches["items"][0]["title"] == LAUNCH.article.title  # type: ignore[union-attr]
    one = (await alerts_api.get("/api/alerts/kp-conflict/matches", params={"limit": 1})).json()
    assert [m["article_id"] for m in one["items"]] == [LAUNCH.id]
    for limit in ("0", "201", "x"):
        bad = await alerts_api.get("/api/alerts/kp-conflict/matches", params={"limit": limit})
        assert bad.status_code == 400
