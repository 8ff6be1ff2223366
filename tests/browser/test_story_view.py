"""Stories on the web page in Chromium: "N more sources" on a result leads to the story view
(headline, first and last seen, sources, its articles), each checked against the api; a
merged story's old id shows the story under its own id; the view goes back to all articles.

The stored articles are the page tests' own plus two more reports of the seed's event, made
by the real parser and enricher; the story links are set here (the enricher's job), so this
tests what is downstream of them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.events import ArticleEvent, StoryLink
from tests.browser.articles import _event, stored_articles
from tests.browser.conftest import Api, readme_screenshot
from tests.browser.test_page import query_of, shown_ids, wait_for_results

pytestmark = pytest.mark.browser

STORY = "s-dprk-troops"
EARLIER = "s-dprk-earlier"  # merged into STORY by the last report

REPORTS = [
    (
        "Yonhap",
        "Seoul protests North Korean troops fighting for Russia\n\nSeoul • Yonhap\n\n"
        "South Korea's foreign ministry on Monday condemned the deployment of North Korean "
        "troops to fight alongside Russia in its war against Ukraine, and summoned the Russian "
        "ambassador. Officials in Seoul said the cooperation between Moscow and Pyongyang "
        "threatens security on the Korean peninsula.\n",
    ),
    (
        "Kyiv Daily",
        "Kyiv says North Korean soldiers fought in Kursk\n\nKyiv • Kyiv Daily\n\n"
        "Ukraine's military intelligence said on Monday that North Korean soldiers had fought "
        "alongside Russian forces in the Kursk region. Seoul and Kyiv condemned the growing "
        "military cooperation between Pyongyang and Moscow.\n",
    ),
]


def in_story(event: ArticleEvent, story_id: str, *merged: str) -> ArticleEvent:
    assert event.enrichment is not None
    link = StoryLink(id=story_id, size=1, new=False, merged=list(merged))
    return event.model_copy(
        update={"enrichment": event.enrichment.model_copy(update={"story": link})}
    )


@pytest.fixture(scope="module")
def articles() -> list[ArticleEvent]:
    from services.enricher.enrich import enrich_events

    stored = stored_articles()
    seed, others = stored[0], stored[1:]
    reports = enrich_events([_event(text, source, None) for source, text in REPORTS])
    return [
        in_story(seed, STORY),
        in_story(reports[0], EARLIER),
        in_story(reports[1], STORY, EARLIER),
        *(in_story(event, f"s-alone-{n}") for n, event in enumerate(others)),
    ]


def test_more_sources_opens_the_story_view(page: Any, api: Api) -> None:
    seed = api.articles[0]
    page.goto(api.url)
    wait_for_results(page)
    link = page.locator(f'#items > li[data-id="{seed.id}"] .story-link a')
    assert link.inner_text() == "2 more sources"
    # A story of one article has no link.
    assert page.locator(f'#items > li[data-id="{api.articles[3].id}"] .story-link').count() == 0
    link.click()
    page.wait_for_url(re.compile(f"story={STORY}"))
    view = page.locator("#story-view")
    view.locator("h2").wait_for()
    story = api.get(f"/api/stories/{STORY}").json()
    assert view.locator("h2").inner_text() == story["headline"] == seed.article.title  # type: ignore[union-attr]
    assert view.get_by_test_id("story-first-seen").inner_text() == story["first_seen"][:10]
    assert view.get_by_test_id("story-last-seen").inner_text() == story["last_seen"][:10]
    assert view.locator(".story-sources .chip").all_inner_texts() == story["sources"]
    assert len(story["sources"]) == 3
    page.wait_for_function("() => document.querySelectorAll('#items > li').length === 3")
    articles = api.get("/api/articles", story=STORY, sort="oldest").json()["items"]
    assert shown_ids(page) == [a["id"] for a in articles] == [a["id"] for a in story["articles"]]
    assert page.locator("#status").inner_text() == "3 articles"
    page.wait_for_selector("#chart rect.bar")
    assert readme_screenshot(page, "screenshot-story.png").stat().st_size > 0
    # An article of the story opens in the article view, over the story view.
    page.locator("#items > li h3 a").nth(1).click()
    page.wait_for_url(re.compile("article="))
    page.get_by_role("dialog").locator("h2").wait_for()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "article=" not in url)
    assert query_of(page)["story"] == [STORY] and view.is_visible()
    # Back to every article: the view goes, the results are all of them again.
    view.get_by_role("link", name="all articles").click()
    page.wait_for_url(lambda url: "story=" not in url)
    page.wait_for_function(
        "n => document.querySelectorAll('#items > li').length === n", arg=len(api.articles)
    )
    assert view.is_hidden()


def test_a_merged_story_id_shows_the_story_under_its_own_id(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?story={EARLIER}")
    page.wait_for_url(re.compile(f"story={STORY}"))
    page.locator("#story-view h2").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#items > li').length === 3")
    assert query_of(page)["story"] == [STORY]


def test_an_unknown_story_says_so(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/?story=no-such-story")
    page.locator("#story-view h2", has_text="Story not found").wait_for()
    wait_for_results(page)
    assert shown_ids(page) == []


def test_the_article_view_links_to_its_story(page: Any, api: Api) -> None:
    """The first report joined the earlier story, merged since: its link shows the story."""
    report = api.articles[1]
    page.goto(f"{api.url}/?article={report.id}")
    link = page.get_by_role("dialog").get_by_role("link", name="Joined a story")
    link.click()
    page.wait_for_url(re.compile(f"story={STORY}"))
    assert "article" not in query_of(page)
    page.locator("#story-view h2").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#items > li').length === 3")
    assert not page.get_by_role("dialog").is_visible()


def test_a_request_that_got_no_answer_is_tried_again(page: Any, api: Api) -> None:
    """The first request for the story loses its connection: the page asks again and shows
    the story, not "Story not found"."""
    dropped: list[str] = []

    def drop_the_first(route: Any) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort("connectionreset")

    page.route(re.compile(f"/api/stories/{STORY}$"), drop_the_first)
    page.goto(f"{api.url}/?story={STORY}")
    headline = page.locator("#story-view h2")
    headline.wait_for()  # the view's h2 comes with the answer, or with "Story not found"
    assert headline.inner_text() == api.articles[0].article.title  # type: ignore[union-attr]
    assert len(dropped) == 1
