"""Real pages served from a loopback server, published as URLs, through all four stages."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import redis

from shared.settings import Settings
from shared.streams import StreamNames
from tests.e2e.fetcher_support import (
    CORPUS,
    FETCH_ENV,
    FIXTURE_PAGES,
    corpus_files,
    dead_lettered_urls,
    dead_letters,
    progress,
    publish_urls,
    serve_pages,
    stored,
)
from tests.e2e.harness import running_stages, stored_count, wait_until
from tests.integration.fetcher.local_server import Reply, local_server

pytestmark = pytest.mark.e2e

# Corpus pages that hold no article text, which the parser may rightly dead-letter as
# `no_text`: a bot wall with an empty body (1566929327), a page whose text is all rendered by
# script (1685121845) and an advertising interstitial, "Continue to Site.." (1545286960).
NOT_ARTICLES = frozenset({"1566929327", "1685121845", "1545286960"})

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


@pytest.mark.skipif(
    not (CORPUS / "ground-truth.json").exists(),
    reason=f"the Media Cloud corpus is not at {CORPUS} (it ships beside the repo, not in it)",
)
def test_the_200_corpus_pages_are_stored_with_text(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    files = corpus_files()
    assert len(files) == 200
    with local_server() as server, running_stages(settings, tmp_path / "logs", **FETCH_ENV):
        urls = serve_pages(server, files)
        publish_urls(client, settings, urls)

        def every_page_settled() -> bool:
            # The rows are counted first: reading the 200 events back is the costly part.
            letters = dead_lettered_urls(client, settings)
            if stored_count(settings) + len(letters) < 200:
                return False
            return len(set(stored(settings, urls)) | letters) == 200

        try:
            wait_until(every_page_settled, 600, "every page stored or dead-lettered")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; {progress(client, settings)}") from exc
        events = stored(settings, urls)
        letters = dead_letters(client, settings)
    names = StreamNames(settings.stream_prefix)
    fetched_urls = {
        orjson.loads(fields[b"data"])["raw"]["fetched_url"]
        for _, fields in client.xrange(names.fetched)
    }
    summary = [(x["stage"], x["reason"], str(x["message"])[:120]) for x in letters]
    # The fetcher takes every page; only the pages that are not articles may then be
    # dead-lettered, by the parser, for having no text.
    assert fetched_urls == set(urls), summary
    assert all(x["stage"] == "parser" and x["reason"] == "no_text" for x in letters), summary
    missing = {url.rsplit("/", 1)[1].removesuffix(".html") for url in urls if url not in events}
    assert missing <= NOT_ARTICLES, f"pages with text not stored: {missing - NOT_ARTICLES}"
    for url, event in events.items():
        assert event.article is not None and event.article.text.strip(), url
