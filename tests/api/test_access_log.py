"""The api's access log (NEWSFLOW_API_ACCESS_LOG): by default a JSON line for each write and
each refused or failed request, at the stages' default log level (WARNING); every request
with `all`, none with `off`; never the token, nor a secret-named query parameter's value."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from pydantic import SecretStr

from services.api.access_log import logged, shown_query
from shared.logs import configure_logging
from shared.settings import Settings
from tests.api.server import served_api

pytestmark = pytest.mark.integration

TOKEN = "access-log-test-token-0c9d"
SUBMISSION = {"content": "Seoul condemns Moscow and Pyongyang.", "source": "UNN"}


def access_lines(stderr: str) -> list[dict[str, object]]:
    lines = [orjson.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request"]


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    configure_logging("WARNING", json=True)
    return settings.model_copy(update={"api_token": SecretStr(TOKEN)})


@pytest.fixture
async def api_by_default(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with served_api(api_settings) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_by_default_writes_and_refusals_are_logged_and_reads_are_not(
    api_by_default: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (await api_by_default.get("/api/articles")).status_code == 200
    assert (await api_by_default.get("/health/live")).status_code == 200
    published = await api_by_default.post(
        "/api/articles", json=SUBMISSION, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert published.status_code == 202
    refused = await api_by_default.post(
        "/api/articles", json=SUBMISSION, headers={"Authorization": "Bearer not-the-token"}
    )
    assert refused.status_code == 401
    missing = await api_by_default.get("/api/articles/no-such-article")
    assert missing.status_code == 404

    stderr = capsys.readouterr().err
    lines = access_lines(stderr)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/api/articles", 202),
        ("POST", "/api/articles", 401),
        ("GET", "/api/articles/no-such-article", 404),
    ]
    accepted = published.json()
    assert lines[0]["article_id"] == accepted["id"]
    assert lines[0]["trace_id"] == accepted["trace_id"]
    assert lines[0]["client"] == "127.0.0.1"
    assert lines[0]["level"] == "info"
    assert isinstance(lines[0]["duration_ms"], float)
    assert "article_id" not in lines[1]
    assert TOKEN not in stderr
    assert "not-the-token" not in stderr


async def test_an_alert_changed_is_logged_with_its_name(
    api_by_default: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    capsys.readouterr()
    created = await api_by_default.post(
        "/api/alerts", json={"name": "quakes", "query": {"q": "earthquake"}}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert (await api_by_default.delete("/api/alerts/quakes", headers=auth)).status_code == 204

    lines = access_lines(capsys.readouterr().err)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/api/alerts", 201),
        ("DELETE", "/api/alerts/quakes", 204),
    ]
    assert lines[0]["alert"] == "quakes"


async def test_all_logs_reads_and_withholds_secret_named_parameters(
    api_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    every = api_settings.model_copy(update={"api_access_log": "all"})
    async with served_api(every) as url, httpx.AsyncClient(base_url=url) as client:
        capsys.readouterr()
        answer = await client.get(
            "/api/articles",
            params={"q": "pyongyang", "token": "leaked-9f1e", "api_key": "leaked-77ab"},
        )
        assert answer.status_code == 200
    stderr = capsys.readouterr().err
    [line] = access_lines(stderr)
    assert line["path"] == "/api/articles"
    assert line["status"] == 200
    assert line["query"] == "q=pyongyang&token=%28withheld%29&api_key=%28withheld%29"
    assert "leaked" not in stderr


async def test_off_logs_nothing(api_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    silent = api_settings.model_copy(update={"api_access_log": "off"})
    async with served_api(silent) as url, httpx.AsyncClient(base_url=url) as client:
        capsys.readouterr()
        answer = await client.post(
            "/api/articles", json=SUBMISSION, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 202
        assert (await client.get("/api/articles/no-such-article")).status_code == 404
    assert access_lines(capsys.readouterr().err) == []


@pytest.mark.parametrize(
    ("choice", "method", "status", "expected"),
    [
        ("writes", "GET", 200, False),
        ("writes", "HEAD", 304, False),
        ("writes", "GET", 400, True),
        ("writes", "GET", 500, True),
        ("writes", "POST", 202, True),
        ("writes", "DELETE", 204, True),
        ("all", "GET", 200, True),
        ("off", "POST", 500, False),
    ],
)
def test_which_requests_are_logged(choice: str, method: str, status: int, expected: bool) -> None:
    assert logged(choice, method, status) is expected  # type: ignore[arg-type]


def test_a_query_keeps_its_order_and_withholds_only_secret_names() -> None:
    assert shown_query("") == ""
    assert shown_query("q=a+b&country=KP&country=RU") == "q=a+b&country=KP&country=RU"
    assert shown_query("Password=x&signature=y&q=") == (
        "Password=%28withheld%29&signature=%28withheld%29&q="
    )
