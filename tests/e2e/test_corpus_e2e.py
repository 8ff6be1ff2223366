"""The 200 pages of the Media Cloud corpus once through every stage, as a user runs them:
published as URLs, fetched from a loopback site, parsed, enriched, stored, matched against
three alerts added with `newsflow alerts add` and sent to their webhooks.

One pass serves two checks, since a pass of the corpus costs minutes of CI: every page that
has article text is stored with it (the fetcher's), and each alert's receiver gets exactly
what the store returns for the alert's query, each article once (the webhooks')."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import redis

from shared.settings import Settings
from shared.streams import StreamNames
from tests.conftest import SEED
from tests.e2e.fetcher_support import (
    CORPUS,
    FETCH_ENV,
    corpus_files,
    dead_letters,
    progress,
    publish_urls,
    serve_pages,
    stored,
)
from tests.e2e.harness import running_stages, stored_count, wait_until
from tests.e2e.webhook_support import (
    LOOPBACK_ENV,
    add_three_alerts,
    assert_each_alert_got_the_store_s_answer_once,
    pipeline_and_webhooks_done,
)
from tests.integration.fetcher.local_server import local_server
from tests.webhook_receiver import WebhookReceiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (CORPUS / "ground-truth.json").exists(),
        reason=f"the Media Cloud corpus is not at {CORPUS} (it ships beside the repo, not in it)",
    ),
]

# Corpus pages that hold no article text, which the parser may rightly dead-letter as
# `no_text`: a bot wall with an empty body (1566929327), a page whose text is all rendered by
# script (1685121845), an advertising interstitial, "Continue to Site.." (1545286960), a
# story whose body is empty, around the site's menu of regions (1493663910), and a
# Wikipedia diff page, its navigation and no article (1522651525).
NOT_ARTICLES = frozenset({"1566929327", "1685121845", "1545286960", "1493663910", "1522651525"})


def test_the_200_pages_are_stored_with_text_and_each_alert_gets_the_store_s_answer_once(
    settings: Settings, client: redis.Redis, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    files = corpus_files()
    assert len(files) == 200
    add_three_alerts(settings, receiver)
    names = StreamNames(settings.stream_prefix)
    env = {**FETCH_ENV, **LOOPBACK_ENV}
    with local_server() as server, running_stages(settings, tmp_path / "logs", **env):
        urls = serve_pages(server, files)
        # Beside the URLs, one article given as its text (the seed, which names Pyongyang).
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        publish_urls(client, settings, urls)
        try:
            wait_until(
                lambda: pipeline_and_webhooks_done(client, settings),
                600,
                "every page fetched, stored or dead-lettered, matched and delivered",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; {progress(client, settings)}") from exc
        events = stored(settings, urls)
        letters = dead_letters(client, settings)

    fetched = [orjson.loads(fields[b"data"])["raw"] for _, fields in client.xrange(names.fetched)]
    fetched_urls = {raw["fetched_url"] for raw in fetched if raw.get("fetched_url")}
    summary = [(x["stage"], x["reason"], str(x["message"])[:120]) for x in letters]
    # The fetcher takes every page; only the pages that are not articles may then be
    # dead-lettered, by the parser, for having no text.
    assert fetched_urls == set(urls), summary
    assert all(x["stage"] == "parser" and x["reason"] == "no_text" for x in letters), summary
    missing = {url.rsplit("/", 1)[1].removesuffix(".html") for url in urls if url not in events}
    assert missing <= NOT_ARTICLES, f"pages with text not stored: {missing - NOT_ARTICLES}"
    for url, event in events.items():
        assert event.article is not None and event.article.text.strip(), url
    assert stored_count(settings) == len(events) + 1  # and the seed

    assert_each_alert_got_the_store_s_answer_once(client, settings, receiver, len(events) + 1)
