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
