"""The web page in Chromium: search, filters in the URL, the chart, the article view, live
articles and the export link, each checked against what the api itself answers."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis

from shared.streams import StreamNames, encode_json
from tests.browser.articles import live_article
from tests.browser.conftest import Api, readme_screenshot

pytestmark = pytest.mark.browser

SEED_TITLE = "DPRK troops' participation in Russia's war against Ukraine"


def shown_ids(page: Any) -> list[str]:
    return [
        str(i) for i in page.locator("#items > li").evaluate_all("l => l.map(e => e.dataset.id)")
    ]


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def wait_for_results(page: Any) -> None:
    page.wait_for_function("() => document.querySelector('#status').dataset.total !== undefined")


def wait_for_results_of(page: Any, api: Api, **params: Any) -> dict[str, Any]:
    """Until the page shows the api's count for `params`, after the URL has changed to them;
    the api's answer. `wait_for_results` would pass on the previous view's count: the page
    says "Searching…" from the change of URL until the new list is in, then the new count."""
    from playwright.sync_api import expect

    answer: dict[str, Any] = api.get("/api/articles", **params).json()
    total = answer["total"]
    expect(page.locator("#status")).to_have_text(f"{total} article" + "s" * (total != 1))
    return answer


def test_search_shows_the_matches_with_highlights(page: Any, api: Api) -> None:
    page.goto(api.url)
    page.get_by_label("Search words").fill("Pyongyang")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Pyongyang"))
    first = page.locator("#items > li").first
    first.wait_for()
    expected = api.get("/api/articles", q="Pyongyang").json()
    assert shown_ids(page) == [item["id"] for item in expected["items"]]
    assert SEED_TITLE in first.locator("h3").inner_text()
    assert "pyongyang" in first.locator(".snippet mark").first.inner_text().lower()
    assert page.locator("#status").inner_text() == f"{expected['total']} article" + (
        "" if expected["total"] == 1 else "s"
    )


def test_a_country_filter_narrows_the_results_and_goes_in_the_url(page: Any, api: Api) -> None:
    page.goto(api.url)
    wait_for_results(page)
    everything = set(shown_ids(page))
    page.get_by_label("Country", exact=True).fill("tr")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"country=TR"))
    page.wait_for_function(
        "n => document.querySelectorAll('#items > li').length < n", arg=len(everything)
    )
    turkey = [item["id"] for item in api.get("/api/articles", country="TR").json()["items"]]
    assert set(shown_ids(page)) == set(turkey) and set(turkey) < everything
    assert query_of(page)["country"] == ["TR"]
    # A facet value adds its filter: country TR and source Mynet, both in the URL.
    page.locator(".facet[data-facet=sources] button", has_text="Mynet").click()
    page.wait_for_url(re.compile(r"source=Mynet"))
    page.wait_for_function("() => document.querySelectorAll('#items > li').length === 1")
    assert query_of(page)["country"] == ["TR"] and query_of(page)["source"] == ["Mynet"]
    # The URL holds the whole view: opening it afresh shows the same results.
    fresh = page.context.new_page()
    fresh.goto(page.url)
    wait_for_results(fresh)
    assert shown_ids(fresh) == shown_ids(page)
    assert fresh.get_by_label("Country", exact=True).input_value() == "TR"
    fresh.close()
    # Back steps through the views: TR alone, then everything.
    page.go_back()
    page.wait_for_function("() => document.querySelectorAll('#items > li').length > 1")
    assert "source" not in query_of(page) and set(shown_ids(page)) == set(turkey)
    page.go_back()
    page.wait_for_function(
        "n => document.querySelectorAll('#items > li').length === n", arg=len(everything)
    )
    assert "country" not in query_of(page)


def test_more_results_pages_on_with_the_cursor(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?limit=3&sort=oldest")
    wait_for_results(page)
    assert len(shown_ids(page)) == 3
    for shown in (6, len(api.articles)):
        page.get_by_role("button", name="More results").click()
        page.wait_for_function(
            "n => document.querySelectorAll('#items > li').length === n", arg=shown
        )
    every = api.get("/api/articles", sort="oldest", limit=200).json()["items"]
    assert shown_ids(page) == [item["id"] for item in every]
    assert page.get_by_role("button", name="More results").is_hidden()


def test_the_chart_bars_are_the_api_counts(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?interval=month")
    page.wait_for_selector("#chart rect.bar")
    bars = page.locator("#chart rect.bar").evaluate_all(
        "l => l.map(b => [b.dataset.start, Number(b.dataset.count)])"
    )
    counts = api.get("/api/counts", interval="month").json()
    assert bars == [[bucket["start"], bucket["count"]] for bucket in counts["buckets"]]
    assert sum(count for _, count in bars) == len(api.articles)
    heights = page.locator("#chart rect.bar").evaluate_all(
        "l => l.map(b => Number(b.getAttribute('height')))"
    )
    tallest = max(range(len(bars)), key=lambda i: bars[i][1])
    assert heights[tallest] == max(heights) > 0
    # A click on a bar narrows the dates to its month.
    page.locator("#chart rect.hit").nth(tallest).click()
    start = bars[tallest][0]
    page.wait_for_url(re.compile(rf"from={start}"))
    assert query_of(page)["to"][0][:7] == start[:7]
    wait_for_results(page)
    page.wait_for_function(
        "n => Number(document.querySelector('#status').dataset.total) === n", arg=bars[tallest][1]
    )


def test_the_article_view_shows_entities_quotes_and_places(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?q=Pyongyang")
    page.get_by_role("link", name=re.compile("DPRK troops")).click()
    dialog = page.get_by_role("dialog")
    # Open at once with "Loading…", then the article: wait for its marked text.
    dialog.locator("mark.entity").first.wait_for()
    seed = next(a for a in api.articles if a.source.name == "UNN")
    assert seed.enrichment is not None
    assert query_of(page)["article"] == [seed.id]
    marked = dialog.locator("mark.entity").all_inner_texts()
    assert "Pyongyang" in marked and "North Korea" in marked
    quotes = dialog.locator(".quote")
    assert quotes.count() == len(seed.enrichment.quotes)
    speakers = [q.speaker for q in seed.enrichment.quotes if q.speaker]
    assert speakers and speakers[0] in dialog.locator(".quote figcaption").first.inner_text()
    assert "conflict, war and peace" in dialog.locator(".topics").inner_text()
    pyongyang = next(p for p in seed.enrichment.places if p.name == "Pyongyang")
    row = dialog.locator(".places tr", has_text="Pyongyang").inner_text()
    assert f"{pyongyang.lat:.4f}" in row and f"{pyongyang.lon:.4f}" in row
    assert f"{seed.enrichment.tone.tone:.2f}" in dialog.locator(".tone").inner_text()  # type: ignore[union-attr]
    # Escape closes it and takes it out of the URL.
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "article=" not in url)
    assert not dialog.is_visible()


def test_live_adds_an_article_published_meanwhile(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?q=Pyongyang")
    wait_for_results(page)
    page.get_by_label("Live", exact=True).check()
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'open'")
    event = live_article()
    client = redis.Redis.from_url(api.settings.redis_url.get_secret_value())
    client.xadd(StreamNames(api.settings.stream_prefix).enriched, encode_json(event.to_json()))
    client.close()
    page.locator(f'#items > li[data-id="{event.id}"]').wait_for(timeout=5000)
    assert shown_ids(page)[0] == event.id


def test_the_export_link_gives_every_match(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?country=RU")
    wait_for_results(page)
    href = page.locator("#export").get_attribute("href")
    assert href is not None and "country=RU" in href
    with page.expect_download() as download:
        page.locator("#export").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    matches = api.get("/api/articles", country="RU", limit=200).json()
    assert sorted(row["id"] for row in rows) == sorted(item["id"] for item in matches["items"])
    assert len(rows) == matches["total"] >= 2


def test_the_page_works_from_the_keyboard(page: Any, api: Api) -> None:
    # Imported here, as in conftest: without Playwright these tests skip instead of erroring.
    from playwright.sync_api import expect

    page.goto(api.url)
    wait_for_results(page)
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    # A facet value is a button: Space on it filters.
    page.locator(".facet[data-facet=languages] button", has_text="en").focus()
    page.keyboard.press(" ")
    page.wait_for_url(re.compile(r"language=en"))
    # The filtered results replace the list: focus a link of the new one, not of the old.
    # (Not "networkidle": that fires once per document, so it may be past before the search.)
    english = wait_for_results_of(page, api, language="en")
    assert shown_ids(page) == [item["id"] for item in english["items"]]
    # A result's title is a link: Enter on it opens the article, Escape closes it.
    page.locator("#items > li a").first.focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").locator("mark.entity").first.wait_for()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "article=" not in url)


@pytest.mark.parametrize("width", [1280, 390])
def test_no_sideways_scrolling(browser: Any, api: Api, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{api.url}/?q=Pyongyang")
    page.locator("#items > li").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_the_readme_screenshot(page: Any, api: Api) -> None:
    """docs/screenshot.png, shown in README: a search with its chart, facets and results."""
    page.goto(f"{api.url}/?q=Russia+OR+Ukraine+OR+Pyongyang&sort=newest")
    page.locator("#items > li").first.wait_for()
    page.wait_for_selector("#chart rect.bar")
    page.wait_for_selector(".facet[data-facet=entities] button")
    assert readme_screenshot(page, "screenshot.png").stat().st_size > 0
