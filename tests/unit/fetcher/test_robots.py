from __future__ import annotations

import pytest

from services.fetcher.robots import (
    RobotsAnswer,
    RobotsCache,
    RobotsUnreachable,
    robots_url,
    rules_from_answer,
)

UA = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"


def test_robots_url_is_per_origin() -> None:
    assert robots_url("https://example.com:8443/a/b?c=1") == "https://example.com:8443/robots.txt"


def test_rules_for_our_agent_and_for_everyone() -> None:
    rules = rules_from_answer(
        RobotsAnswer(
            200,
            "User-agent: *\nDisallow: /private/\n\n"
            "User-agent: newsflow\nDisallow: /no-bots/\nCrawl-delay: 3\n",
        )
    )
    assert not rules.allows("https://example.com/no-bots/x", UA)
    assert rules.allows("https://example.com/private/x", UA)  # our group replaces `*`
    assert not rules.allows("https://example.com/private/x", "otherbot/1.0")
    assert rules.crawl_delay_s(UA) == 3.0


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_missing_robots_txt_allows_everything(status: int) -> None:
    assert rules_from_answer(RobotsAnswer(status, "")).allows("https://example.com/x", UA)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_unreachable_robots_txt_is_not_a_yes(status: int) -> None:
    with pytest.raises(RobotsUnreachable):
        rules_from_answer(RobotsAnswer(status, ""))


async def test_the_cache_fetches_once_per_origin_until_it_expires() -> None:
    now = [0.0]
    fetched: list[str] = []

    async def fetch(url: str) -> RobotsAnswer:
        fetched.append(url)
        return RobotsAnswer(200, "User-agent: *\nDisallow: /x\n")

    cache = RobotsCache(fetch, ttl_s=60, clock=lambda: now[0])
    await cache.rules_for("https://a.example/1")
    await cache.rules_for("https://a.example/2")
    await cache.rules_for("https://b.example/1")
    now[0] = 61
    await cache.rules_for("https://a.example/3")
    assert fetched == [
        "https://a.example/robots.txt",
        "https://b.example/robots.txt",
        "https://a.example/robots.txt",
    ]
