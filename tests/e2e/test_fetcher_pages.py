"""Real pages served from a loopback server, published as URLs, through all four stages
(the 200 of the corpus: test_corpus_e2e.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis

from shared.settings import Settings
from tests.e2e.fetcher_support import (
    FETCH_ENV,
    FIXTURE_PAGES,
    dead_letters,
    publish_urls,
    serve_pages,
    stored,
)
from tests.e2e.harness import running_stages, wait_until
from tests.integration.fetcher.local_server import Reply, local_server

pytestmark = pytest.mark.e2e

CP1251_SENTENCE = (
    "Городская дума во вторник приняла бюджет на следующий год, увеличив расходы на школы, "
    "больницы и ремонт дорог в северных районах города."
)
CP1251_PAGE = (
    '<html><head><meta charset="windows-1251"><title>Дума приняла бюджет</title></head>'
    "<body><article><h1>Дума приняла бюджет</h1>"
    + "".join(f"<p>{CP1251_SENTENCE} Абзац {i}.</p>" for i in range(6))
    + "</article></body></html>"
).encode("windows-1251")


def test_fixture_pages_are_stored_with_text(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    files = sorted(FIXTURE_PAGES.glob("*.html.gz"))
    assert len(files) == 5
    with local_server() as server, running_stages(settings, tmp_path / "logs", **FETCH_ENV):
        urls = serve_pages(server, files)
        server.routes["/ru"] = lambda _r: Reply(
            body=CP1251_PAGE, headers={"Content-Type": "text/html"}
        )
        cp1251_url = server.url("/ru")
        publish_urls(client, settings, [*urls, cp1251_url])
        wait_until(
            lambda: len(stored(settings, [*urls, cp1251_url])) == len(urls) + 1,
            90,
            "every page stored",
        )
        events = stored(settings, urls)
    assert dead_letters(client, settings) == []
    for url, event in events.items():
        assert event.article is not None
        assert len(event.article.text) > 200, url
        assert event.raw.final_url == url
    # Says euc-kr in a <meta> tag but is UTF-8: decoded right all the same.
    korean = events[next(u for u in urls if u.endswith("/1538026996.html"))]
    assert korean.article is not None
    assert len(re.findall("[\uac00-\ud7a3]", korean.article.text)) > 100
    russian = stored(settings, [cp1251_url])[cp1251_url]
    assert russian.raw.encoding == "cp1251"  # declared only in its <meta> tag
    assert russian.article is not None
    assert CP1251_SENTENCE in russian.article.text
