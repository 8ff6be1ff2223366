"""Story assignment on a real Redis: replicas at the same time do not split an event, a
restarted enricher and a replayed article find their stories, the index stays bounded by
the window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from services.enricher.redis_analyses import RedisAnalyses
from services.enricher.stories import StoryAssigner
from services.enricher.story_index import Commit
from services.enricher.story_index_redis import KEEP_VERSIONS, RedisStoryIndex, ttl_for
from services.enricher.story_scoring import (
    QUERY_SIZE,
    ArticleTime,
    StoryProfile,
    heaviest,
    started,
    tfidf_vector,
)
from shared.events import ArticleEvent, StoryLink
from shared.settings import Settings
from tests.unit.enricher.story_events import (
    DAY,
    QUAKE_A,
    QUAKE_A2,
    QUAKE_B,
    T0,
    story_event,
    story_features,
)

pytestmark = pytest.mark.integration

TABRIZ = (("Tabriz", 113646),)


@pytest.fixture
async def clients(settings: Settings) -> AsyncIterator[tuple[Redis, Redis]]:
    url = settings.redis_url.get_secret_value()
    first, second = Redis.from_url(url), Redis.from_url(url)
    yield first, second
    keys = [k async for k in first.scan_iter(f"{settings.stream_prefix}:*")]
    if keys:
        await first.delete(*keys)
    await first.aclose()
    await second.aclose()


def _assigner(redis: Redis, prefix: str, quiet_s: float = 2 * DAY) -> StoryAssigner:
    return StoryAssigner(RedisStoryIndex(redis, prefix), threshold=0.25, quiet_s=quiet_s)


async def test_two_replicas_at_once_do_not_split_a_new_event(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    prefix = settings.stream_prefix
    replicas = [_assigner(client, prefix) for client in clients]
    texts = [QUAKE_A, QUAKE_A2] * 4
    articles = [story_features(f"a{i}", *text, places=TABRIZ) for i, text in enumerate(texts)]
    # Each pair starts at once on the two replicas: both read an index without the story.
    links = []
    for i in range(0, len(articles), 2):
        links += await asyncio.gather(
            replicas[0].assign(articles[i]), replicas[1].assign(articles[i + 1])
        )
    assert len({link.id for link in links}) == 1
    assert sorted(link.size for link in links) == list(range(1, len(articles) + 1))
    assert sum(link.new for link in links) == 1


async def test_a_commit_over_a_changed_read_conflicts_in_redis(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    index_a, index_b = (RedisStoryIndex(c, settings.stream_prefix) for c in clients)
    at = T0.timestamp()
    read = await index_a.snapshot("a1", None, {"w:tabriz": 1.0}, at, DAY)
    other = started("s-other", {"w:tabriz": 1.0}, ArticleTime(at))
    committed = await index_b.commit(Commit("b1", other, ["w:tabriz"], [], at, DAY), None)
    assert committed.outcome == "committed"
    mine_story = started("s-mine", {"w:tabriz": 1.0}, ArticleTime(at))
    mine = Commit("a1", mine_story, ["w:tabriz"], [], at, DAY)
    assert (await index_a.commit(mine, read.version)).outcome == "conflict"
    # Re-read, it finds the other replica's story.
    again = await index_a.snapshot("a1", None, {"w:tabriz": 1.0}, at, DAY)
    assert again.version > read.version
    found = await index_a.candidates({"w:tabriz": 1.0}, at, DAY)
    assert [story.id for story in found] == ["s-other"]
    assert [story.id for story in again.candidates] == ["s-other"]
    # A stale story size conflicts too: "b2" joined meanwhile.
    two = StoryProfile("s-other", 2, at, at, {"w:tabriz": 2.0})
    assert (await index_b.commit(Commit("b2", two, [], [], at, DAY), again.version)).outcome == (
        "committed"
    )
    stale = Commit("a1", two, [], [], at, DAY)
    assert (await index_a.commit(stale, again.version)).outcome == "conflict"


async def test_the_snapshot_weighs_the_query_to_the_bit_as_the_assigner_does(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    # The snapshot script weighs the query itself to read the candidates in the same call;
    # weights off by a rounding would cost the assigner a second read on every article.
    redis, _ = clients
    index = RedisStoryIndex(redis, settings.stream_prefix)
    assigner = StoryAssigner(index, threshold=0.25, quiet_s=2 * DAY)
    for i, text in enumerate([QUAKE_A, QUAKE_B, QUAKE_A2]):
        await assigner.assign(story_features(f"a{i}", *text, places=TABRIZ))
    # A name long enough to be keyed by its digest.
    long_name = "e:" + "International Federation of Red Cross Societies " * 2
    article = story_features("q", *QUAKE_A2, places=TABRIZ)
    weights = {**article.weights, long_name: 4.0}
    at = article.time.received
    read = await index.snapshot("q", None, weights, at, 2 * DAY)
    assert read.documents == 3
    expected = heaviest(tfidf_vector(weights, read.frequencies, read.documents), QUERY_SIZE)
    assert list(read.query.items()) == list(expected.items())
    assert long_name in read.query and len(read.query) == QUERY_SIZE
    found = await index.candidates(expected, at, 2 * DAY)
    assert [s.id for s in read.candidates] == [s.id for s in found] != []
    other = started("s-long", {long_name: 1.0}, ArticleTime(at))
    await index.commit(Commit("b1", other, [long_name], [long_name], at, 2 * DAY), None)
    again = await index.snapshot("q", None, weights, at, 2 * DAY)
    assert "s-long" in [s.id for s in again.candidates]


async def test_a_restarted_enricher_continues_and_a_replay_lands_in_the_same_story(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    url = settings.redis_url.get_secret_value()
    events = [
        story_event("a1", *QUAKE_A, places=TABRIZ),
        story_event("b1", *QUAKE_B),
    ]
    before = RedisAnalyses(Redis.from_url(url), settings.stream_prefix)
    first = [await before.run(event) for event in events]
    await before.close()  # the enricher stops

    after = RedisAnalyses(Redis.from_url(url), settings.stream_prefix)
    replayed = [await after.run(event) for event in events]
    later = await after.run(story_event("a2", *QUAKE_A2, places=TABRIZ))
    await after.close()

    links = [_story(event) for event in first]
    again = [_story(event) for event in replayed]
    assert [link.id for link in links] == [link.id for link in again]
    assert all(link.new for link in again)  # each started its story, then and now
    assert _story(later).id == links[0].id
    assert _story(later).size == 2  # the replay did not count twice
    assert later.enrichment is not None
    assert any(r.name == "stories" and r.ran for r in later.enrichment.analyses)


def _story(event: ArticleEvent) -> StoryLink:
    assert event.enrichment is not None and event.enrichment.story is not None
    return event.enrichment.story


async def test_the_index_is_bounded_by_the_window(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    redis, _ = clients
    prefix = settings.stream_prefix
    assigner = _assigner(redis, prefix, quiet_s=DAY)
    await assigner.assign(story_features("a1", *QUAKE_A, places=TABRIZ))
    await assigner.assign(story_features("b1", *QUAKE_B))
    keys = [k.decode() async for k in redis.scan_iter(f"{prefix}:stories:*")]
    unbounded = {f"{prefix}:stories:version", f"{prefix}:stories:changed"}
    assert unbounded <= set(keys)
    for key in set(keys) - unbounded:
        ttl = await redis.ttl(key)
        assert 0 < ttl <= ttl_for(DAY), key
    # `changed` keeps the last KEEP_VERSIONS commits' features, no more.
    assert await redis.zcard(f"{prefix}:stories:changed") <= 2 * 24
    assert KEEP_VERSIONS > 0


async def test_a_story_quiet_for_longer_than_the_period_takes_no_new_article(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    redis, _ = clients
    assigner = _assigner(redis, settings.stream_prefix, quiet_s=DAY)
    first = await assigner.assign(story_features("a1", *QUAKE_A, places=TABRIZ))
    soon = await assigner.assign(
        story_features("a2", *QUAKE_A2, places=TABRIZ, at=T0 + timedelta(hours=20))
    )
    late = await assigner.assign(
        story_features("a3", *QUAKE_A2, places=TABRIZ, at=T0 + timedelta(days=3))
    )
    assert soon.id == first.id
    assert late.new and late.id != first.id


async def test_dated_and_undated_articles_of_one_event_meet_on_one_clock(
    settings: Settings, clients: tuple[Redis, Redis]
) -> None:
    # An archive page dated five years ago, then the same event's articles arriving the
    # same hour: one undated, one dated the day after; the profile keeps both spans.
    redis, _ = clients
    assigner = _assigner(redis, settings.stream_prefix, quiet_s=2 * DAY)
    long_ago = T0 - timedelta(days=5 * 365)
    archived = await assigner.assign(
        story_features("a1", *QUAKE_A, places=TABRIZ, published=long_ago)
    )
    undated = await assigner.assign(
        story_features("a2", *QUAKE_A2, places=TABRIZ, at=T0 + timedelta(hours=1))
    )
    dated = await assigner.assign(
        story_features("a3", *QUAKE_A2, places=TABRIZ, published=long_ago + timedelta(days=1))
    )
    other_year = await assigner.assign(
        story_features("a4", *QUAKE_A2, places=TABRIZ, published=T0 - timedelta(days=365))
    )
    assert undated.id == archived.id and dated.id == archived.id and dated.size == 3
    assert other_year.new
    index = RedisStoryIndex(redis, settings.stream_prefix)
    (story,) = await index.profiles([archived.id])
    assert (story.first, story.last) == (T0.timestamp(), (T0 + timedelta(hours=1)).timestamp())
    assert (story.published_first, story.published_last) == (
        long_ago.timestamp(),
        (long_ago + timedelta(days=1)).timestamp(),
    )
