"""The ECB+ development stories (462 articles, 40 stories, two similar events per topic),
shuffled (seed `tests.story_corpus.SEED`), through the enricher stage's work on a real
Redis: the in-process analyses (NER included) and then the stage's Redis analyses
(near-duplicates, stories), with one replica and with two at once. B-cubed of the story
ids against the labels; the full `newsflow up` run is `bench/story_assignment.py`."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from services.enricher.bcubed import bcubed
from services.enricher.enrich import enrich_events
from services.enricher.redis_analyses import RedisAnalyses
from shared.events import ArticleEvent
from shared.settings import Settings
from tests.story_corpus import load_corpus

pytestmark = pytest.mark.integration

# Measured at the seed: one replica P 0.932 R 0.904 F1 0.918; two replicas the same here
# (their interleaving varies). This seed's order is a kind one: the mean over seeds 0-9 is
# 0.898 (README, Stories). The bound leaves room for the two replicas' order, not for a
# worse algorithm (before numbers were a channel of their own, 0.890 here).
LEAST_F1 = 0.9


@pytest.fixture(scope="module")
def corpus_enriched() -> tuple[list[ArticleEvent], dict[str, str]]:
    corpus = load_corpus()
    enriched: list[ArticleEvent] = []
    for start in range(0, len(corpus.events), 32):
        enriched += enrich_events(corpus.events[start : start + 32])
    return enriched, corpus.gold


async def _assign(
    events: list[ArticleEvent], url: str, prefix: str, replicas: int
) -> dict[str, str]:
    stages = [RedisAnalyses(Redis.from_url(url), prefix) for _ in range(replicas)]
    queue: asyncio.Queue[ArticleEvent] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)
    stories: dict[str, str] = {}

    async def replica(stage: RedisAnalyses) -> None:
        while not queue.empty():
            event = await stage.run(queue.get_nowait())
            assert event.enrichment is not None and event.enrichment.story is not None
            stories[event.id] = event.enrichment.story.id

    try:
        await asyncio.gather(*(replica(stage) for stage in stages))
    finally:
        for stage in stages:
            await stage.close()
    return stories


@pytest.mark.parametrize("replicas", [1, 2])
async def test_the_development_stories_shuffled(
    settings: Settings,
    redis: Redis,
    corpus_enriched: tuple[list[ArticleEvent], dict[str, str]],
    replicas: int,
) -> None:
    events, gold = corpus_enriched
    url = settings.redis_url.get_secret_value()
    stories = await _assign(events, url, settings.stream_prefix, replicas)
    score = bcubed(stories, gold)
    print(
        f"\nstories, {replicas} replica(s): B-cubed P {score.precision:.3f} "
        f"R {score.recall:.3f} F1 {score.f1:.3f}, {len(set(stories.values()))} stories"
    )
    assert score.f1 >= LEAST_F1
