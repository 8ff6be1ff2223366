"""Alerts on the web page, in Chromium: a search saved as an alert holds the search's query,
is listed with its figures, matches an article enriched afterwards (the real alerts stage
running), and is removed; refusals are shown; alert text is shown as text."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from shared.alerts.definition import AlertQuery
from shared.article_match import ArticleFacts, CompiledQuery
from shared.streams import StreamNames, encode_json
from tests.browser.articles import ROOT, live_article
from tests.browser.conftest import API_TOKEN, Api, process_env, wait_ready
from tests.browser.test_page import query_of, shown_ids, wait_for_results, wait_for_results_of
from tests.servers import free_port, stop_process

pytestmark = pytest.mark.browser

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def alerts_stage(api: Api, tmp_path: Any) -> Iterator[None]:
    """The alerts stage (`services/alerts/app.py`) over the api's store and streams."""
    port = free_port()
    log_path = tmp_path / "alerts.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "faststream", "run", "services.alerts.app:app"],
        cwd=ROOT,
        env={**process_env(api.settings), "NEWSFLOW_HTTP_PORT": str(port)},
        stdout=log,
        stderr=log,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log_path)
        yield
    finally:
        stop_process(proc, within_s=10)
        log.close()


@pytest.fixture(autouse=True)
def _no_alerts_left(api: Api) -> Iterator[None]:
    yield
    for alert in api.get("/api/alerts").json()["items"]:
        httpx.delete(f"{api.url}/api/alerts/{alert['name']}", headers=AUTH, timeout=10)


def save_as_alert(
    page: Any, name: str, *, token: str = API_TOKEN, webhook: str = "", per_story: bool = False
) -> Any:
    page.get_by_role("button", name="Save as alert").click()
    dialog = page.get_by_role("dialog", name="Save this search as an alert")
    dialog.get_by_label("Name").fill(name)
    if webhook:
        dialog.get_by_label("Webhook URL (optional)").fill(webhook)
    dialog.get_by_label("Once per story").set_checked(per_story)
    dialog.get_by_label("API token").fill(token)
    dialog.get_by_role("button", name="Save alert").click()
    return dialog


def open_alerts(page: Any) -> Any:
    page.get_by_role("button", name="Alerts", exact=True).click()
    view = page.get_by_role("dialog", name="Alerts")
    page.wait_for_function("() => document.querySelector('#alerts-status').dataset.count")
    return view


def wait_for_match(api: Api, name: str, article_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = api.get(f"/api/alerts/{name}/matches").json()["items"]
        if any(item["article_id"] == article_id for item in items):
            return
        time.sleep(0.2)
    pytest.fail(f"{name} did not match {article_id} within 30 s")


def test_a_search_saved_as_an_alert_is_listed_and_matches_what_comes_next(
    page: Any, api: Api, alerts_stage: None
) -> None:
    # Imported here, as in conftest: without Playwright these tests skip instead of erroring.
    from playwright.sync_api import expect

    page.goto(api.url)
    page.get_by_label("Search words").fill("Pyongyang")
    page.get_by_label("Country", exact=True).fill("kp")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"country=KP"))
    wait_for_results_of(page, api, q="Pyongyang", country="KP")
    searched = query_of(page)
    shown = shown_ids(page)
    assert shown

    dialog = save_as_alert(page, "kp-browser")
    dialog.locator("#alert-created").wait_for()
    assert "Saved alert kp-browser" in dialog.locator("#alert-created").inner_text()
    assert dialog.locator("#alert-secret").count() == 0  # no webhook, no secret
    # The alert's query is the search's: the same filters, and the read side gives the
    # same articles for it as the page shows.
    saved = api.get("/api/alerts/kp-browser").json()
    assert saved["query"] == AlertQuery(q=searched["q"][0], countries=tuple(searched["country"])
                                        ).model_dump(mode="json")  # fmt: skip
    assert saved["query"]["q"] == "Pyongyang" and saved["query"]["countries"] == ["KP"]
    by_alert = api.get(
        "/api/articles", q=saved["query"]["q"], country=saved["query"]["countries"]
    ).json()
    assert [item["id"] for item in by_alert["items"]] == shown
    # The token stays in this tab.
    assert page.evaluate("sessionStorage.getItem('newsflow.api-token')") == API_TOKEN
    assert page.evaluate("localStorage.length") == 0
    dialog.get_by_role("button", name="Close").click()

    view = open_alerts(page)
    row = view.locator('#alerts-rows tr[data-name="kp-browser"]')
    expect(row).to_contain_text("Words: Pyongyang")
    expect(row).to_contain_text("Country: KP")
    expect(row.locator("[data-figure=matched]")).to_have_text("0")
    expect(row.locator("[data-per]")).to_have_text("article")
    view.get_by_role("button", name="Close the alerts").click()

    # An article enriched now that the query matches reaches the alert's stream.
    event = live_article()
    compiled = CompiledQuery.of(AlertQuery.model_validate(saved["query"]).article_query())
    assert compiled.matches(ArticleFacts(event)), "the live article should match the alert"
    client = redis.Redis.from_url(api.settings.redis_url.get_secret_value())
    client.xadd(StreamNames(api.settings.stream_prefix).enriched, encode_json(event.to_json()))
    client.close()
    wait_for_match(api, "kp-browser", event.id)
    open_alerts(page)
    # Reopened, the list still shows the figures of the first opening until its request
    # answers: wait for the new figure rather than reading the old one.
    expect(row.locator("[data-figure=matched]")).to_have_text("1", timeout=15_000)

    # Removed from the page, with the token kept in the tab.
    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name="Remove alert kp-browser").click()
    row.wait_for(state="detached")
    assert api.get("/api/alerts").json()["items"] == []


def test_an_alert_saved_once_per_story_says_so(page: Any, api: Api) -> None:
    from playwright.sync_api import expect

    page.goto(f"{api.url}/?q=Pyongyang")
    wait_for_results(page)
    dialog = save_as_alert(page, "kp-stories", per_story=True)
    dialog.locator("#alert-created").wait_for()
    assert "once per story" in dialog.locator("#alert-created").inner_text()
    saved = api.get("/api/alerts/kp-stories").json()
    assert saved["once_per_story"] is True and saved["query"]["q"] == "Pyongyang"
    dialog.get_by_role("button", name="Close").click()
    row = open_alerts(page).locator('#alerts-rows tr[data-name="kp-stories"]')
    expect(row.locator("[data-per]")).to_have_text("story")


def test_refusals_are_shown_and_a_generated_secret_once(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?q=Kyiv")
    wait_for_results(page)
    dialog = save_as_alert(page, "kyiv", token="not-the-token")
    error = dialog.locator("#alert-error")
    error.wait_for()
    assert error.inner_text() == "the bearer token is not the api's token"
    dialog.get_by_label("Name").fill("deliveries")
    dialog.get_by_label("API token").fill(API_TOKEN)
    dialog.get_by_role("button", name="Save alert").click()
    page.wait_for_function(
        "() => document.querySelector('#alert-error').textContent.includes('reserved')"
    )
    assert api.get("/api/alerts").json()["items"] == []

    dialog.get_by_label("Name").fill("kyiv")
    dialog.get_by_label("Webhook URL (optional)").fill("http://127.0.0.1:9/hook")
    dialog.get_by_role("button", name="Save alert").click()
    secret = dialog.locator("#alert-secret")
    secret.wait_for()
    assert error.is_hidden()
    shown_secret = secret.inner_text()
    assert len(shown_secret) >= 32
    # Shown once: neither the list nor the alert says it again.
    dialog.get_by_role("button", name="Close").click()
    view = open_alerts(page)
    assert shown_secret not in view.inner_text()
    assert shown_secret not in api.get("/api/alerts").text
    assert shown_secret not in api.get("/api/alerts/kyiv").text
    # Nor does the api's log (the fixture's `newsflow serve` writes it beside the store).
    log = (api.settings.sqlite_path.parent / "api.log").read_text()
    assert "kyiv" in api.get("/api/alerts/kyiv").text and shown_secret not in log


def test_alert_text_is_shown_as_text(page: Any, api: Api) -> None:
    hostile = '<img src=x onerror="window.hit=1"> Pyongyang'
    created = httpx.post(
        f"{api.url}/api/alerts",
        json={"name": "hostile", "query": {"q": hostile, "sources": ["<b>UNN</b>"]}},
        headers=AUTH,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    page.goto(api.url)
    view = open_alerts(page)
    row = view.locator('#alerts-rows tr[data-name="hostile"]')
    assert hostile in row.inner_text() and "<b>UNN</b>" in row.inner_text()
    assert row.locator("img, b").count() == 0
    assert page.evaluate("window.hit") is None
    # "Search" puts the alert's query on the page (as text in the box).
    row.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"source=%3Cb%3EUNN"))
    assert page.get_by_label("Search words").input_value() == hostile
    assert page.evaluate("window.hit") is None
