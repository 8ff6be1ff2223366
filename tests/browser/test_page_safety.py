"""API text reaches the page as text: the snippet's <mark> is the only element rebuilt from
it, and only web links become clickable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Api

pytestmark = pytest.mark.browser

RENDER_SNIPPET = """async (snippet) => {
  const { markedText } = await import("./dom.js");
  const box = document.createElement("div");
  box.append(markedText(snippet));
  return {
    text: box.textContent,
    marks: [...box.querySelectorAll("mark")].map((m) => m.textContent),
    elements: [...box.querySelectorAll("*")].map((e) => e.tagName),
  };
}"""


def test_the_snippet_becomes_text_and_marks_only(page: Any, api: Api) -> None:
    page.goto(api.url)
    hostile = (
        "&lt;img src=x onerror=alert(1)&gt; <mark>Pyongyang</mark> &amp; "
        '<img src=x onerror="window.hit=1"><script>window.hit=1</script> <mark>Seoul'
    )
    shown = page.evaluate(RENDER_SNIPPET, hostile)
    assert shown["elements"] == ["MARK", "MARK"]
    assert shown["marks"] == ["Pyongyang", "Seoul"]
    assert shown["text"].startswith("<img src=x onerror=alert(1)> Pyongyang & <img src=x")
    assert page.evaluate("window.hit") is None


def test_only_web_links_are_clickable(page: Any, api: Api) -> None:
    page.goto(api.url)
    hrefs = page.evaluate(
        """async () => {
          const { safeHref } = await import("./article.js");
          return ["https://example.com/a", "javascript:alert(1)", "data:text/html,x",
                  " JavaScript:alert(1)"].map(safeHref);
        }"""
    )
    assert hrefs == ["https://example.com/a", None, None, None]


# A story, an article and a filter whose text is one unbroken word (a 10,000-character
# title, a URL as a source): drawn by the page's own modules into the page's own elements.
DRAW_UNBROKEN = """async (word) => {
  const { renderStory } = await import("./story.js");
  const { renderArticle } = await import("./article.js");
  const view = document.getElementById("story-view");
  view.replaceChildren(...renderStory({ headline: word, first_seen: "2024-01-01T00:00:00Z",
    last_seen: "2024-01-02T00:00:00Z", article_count: 2, source_count: 2, languages: ["en"],
    sources: [word.slice(0, 300), "Yonhap"] }));
  view.hidden = false;
  const entity = { type: "person", text: word.slice(0, 300), count: 1, offsets: [[0, 300]] };
  document.getElementById("article-body").replaceChildren(...renderArticle({
    id: "a1", source: { name: word.slice(0, 300) },
    article: { title: word, text: word, authors: [word.slice(0, 300)] },
    enrichment: { entities: [entity], places: [{ name: word.slice(0, 300), kind: "city",
      country: "KP", lat: 1, lon: 2 }], keywords: [{ text: word.slice(0, 300) }] },
  }, (id) => `?article=${id}`).filter(Boolean));
  const dialog = document.getElementById("article");
  dialog.showModal();
  return [document.documentElement.scrollWidth, dialog.scrollWidth, dialog.clientWidth];
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_unbroken_text_does_not_scroll_sideways(browser: Any, api: Api, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{api.url}/?entity={'E' * 300}")
    page.locator("#active-filters .chip").wait_for()
    page_width, dialog_width, dialog_shown = page.evaluate(DRAW_UNBROKEN, "A" * 10_000)
    assert page_width <= width
    assert dialog_width <= dialog_shown
    page.close()
