"""The alerts stage on real Redis and a real store: each alert's stream holds the articles
its query matches, each once, however often they are enriched; webhook matches are queued
for the delivery worker; the set of alerts follows adds and removes while it runs; and a
match is recorded with the entry's ack or not at all."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from services.alerts.matching import AlertMatcher
from services.alerts.records import MatchRecords
from shared.alerts.catalog import remove_alert
from shared.alerts.figures import read_figures
from shared.alerts.wire import AlertKeys, idempotency_key
from shared.article_match import matches
from shared.delivery import Forward
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import StreamNames
from tests.integration.alerts.support import (
    add_alerts,
    alert,
    in_story,
    matches_on,
    publish,
    running_alerts,
    settled,
)
from tests.integration.store.articles import ARTICLES
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration

KP = alert("kp-missiles", webhook=True, q="missile", countries=["KP"])
NEGATIVE = alert("negative-ru", languages=["ru"], tone_max=-2)
LOCAL = alert("apples", q='apple OR "stock markets" -harvest')


def expected(definition: object) -> list[str]:
    query = definition.query.article_query()  # type: ignore[attr-defined]
    return [event.id for event in ARTICLES if matches(query, event)]


async def test_each_alert_s_stream_holds_its_matches_once(settings: Settings, redis: Redis) -> None:
    keys = AlertKeys(settings.stream_prefix)
    await add_alerts(settings, redis, [KP, NEGATIVE, LOCAL])
    async with running_alerts(settings):
        await publish(redis, settings, ARTICLES)
        await settled(redis, settings)
        # Enriched again (republished, replayed): nothing is recorded twice.
        await publish(redis, settings, ARTICLES)
        await settled(redis, settings)
    assert expected(KP) == ["art001", "art002", "art006"]
    assert expected(NEGATIVE) == ["art002"]
    assert expected(LOCAL) == ["art003", "art005"]
    for definition in (KP, NEGATIVE, LOCAL):
        found = await matches_on(redis, keys.stream(definition.name))
        assert [m.article_id for m in found] == expected(definition), definition.name
        assert all(m.idempotency_key == idempotency_key(m.alert, m.article_id) for m in found)
        figures = await read_figures(redis, keys, definition.name)
        assert figures.matched == len(expected(definition))
    first = (await matches_on(redis, keys.stream(KP.name)))[0]
    assert first.title == "Missile test near Pyongyang" and first.source == "UNN"
    assert first.url == "https://example.com/1"
    # Only the alert with a webhook has deliveries queued, and they carry no secret.
    queued = await matches_on(redis, keys.deliveries)
    assert [(m.alert, m.article_id) for m in queued] == [
        (KP.name, "art001"),
        (KP.name, "art002"),
        (KP.name, "art006"),
    ]
    raw = b"".join(f[b"data"] for _id, f in await redis.xrange(keys.deliveries))
    assert b"a-secret-of-the-test" not in raw and b"127.0.0.1:9" not in raw


async def test_alerts_added_and_removed_while_it_runs_apply_to_the_next_article(
    settings: Settings, redis: Redis
) -> None:
    keys = AlertKeys(settings.stream_prefix)
    async with running_alerts(settings):
        await publish(redis, settings, ARTICLES[:1])
        await settled(redis, settings)
        await add_alerts(settings, redis, [KP])
        await publish(redis, settings, ARTICLES[1:])
        await settled(redis, settings)
        async with opened_store(settings) as store:
            await remove_alert(store, redis, keys, KP.name)
        await publish(redis, settings, [ARTICLES[0].model_copy(update={"id": "art100"})])
        await settled(redis, settings)
    # art001 was enriched before the alert existed, art100 after it was removed.
    found = [m.article_id for m in await matches_on(redis, keys.stream(KP.name))]
    assert found == ["art002", "art006"]


async def test_a_match_is_recorded_with_the_ack_or_not_at_all(
    settings: Settings, redis: Redis
) -> None:
    """A process killed between matching and its MULTI/EXEC sent nothing: the entry is
    still pending and its redelivery records the match. A second handling of the same
    article (a replica that took the lease over) records nothing."""
    keys = AlertKeys(settings.stream_prefix)
    await add_alerts(settings, redis, [KP])
    records = MatchRecords(keys, settings.alert_seen_ttl_s, settings.alert_stream_max_length)
    async with opened_store(settings) as store:
        matcher = AlertMatcher(store, redis, keys, records)
        forward = await matcher.handle(ARTICLES[0])
    assert isinstance(forward, Forward)
    async with redis.pipeline(transaction=True) as pipe:
        forward.writes(pipe)
        await pipe.reset()  # killed before EXEC: the transaction is never sent
    assert await redis.exists(keys.stream(KP.name)) == 0
    async with running_alerts(settings):
        await publish(redis, settings, ARTICLES[:1])
        await settled(redis, settings)
    assert [m.article_id for m in await matches_on(redis, keys.stream(KP.name))] == ["art001"]
    async with redis.pipeline(transaction=True) as pipe:
        forward.writes(pipe)
        recorded = await pipe.execute()
    assert recorded == [0]
    assert await redis.xlen(keys.stream(KP.name)) == 1
    assert await redis.xlen(keys.deliveries) == 1
    assert (await read_figures(redis, keys, KP.name)).matched == 1
    assert 0 < await redis.ttl(keys.seen(KP.name, "art001")) <= settings.alert_seen_ttl_s


async def test_an_alert_once_per_story_records_the_first_matching_article_of_each_story(
    settings: Settings, redis: Redis
) -> None:
    """The first of a story's articles that the query matches is recorded (and delivered);
    later ones of that story are not, whichever replica handles them, nor are articles
    the query does not match counted against their story. An article without a story is
    a story of its own. Every-article alerts beside it see every article."""
    keys = AlertKeys(settings.stream_prefix)
    per_story = alert("kp-stories", webhook=True, q="missile", countries=["KP"])
    per_story = per_story.model_copy(update={"once_per_story": True})
    every = alert("kp-articles", q="missile", countries=["KP"])
    kp, other = ARTICLES[0], ARTICLES[3]  # the second does not match the query
    assert matches(every.query.article_query(), kp)
    assert not matches(every.query.article_query(), other)
    events = [
        in_story(other, "s-one", "a0"),  # the story's first article, not matched
        in_story(kp, "s-one", "a1"),  # the story's first match: recorded
        in_story(kp, "s-one", "a2"),
        in_story(kp, "s-two", "b1"),
        in_story(kp, "s-one", "a3"),
        kp.model_copy(update={"id": "alone"}),  # no story link: a story of its own
    ]
    assert events[-1].enrichment is not None and events[-1].enrichment.story is None
    await add_alerts(settings, redis, [per_story, every])
    async with running_alerts(settings):
        await publish(redis, settings, events)
        await settled(redis, settings)
        await publish(redis, settings, events)  # enriched again: still once
        await settled(redis, settings)
    recorded = await matches_on(redis, keys.stream(per_story.name))
    assert [(m.article_id, m.story_id) for m in recorded] == [
        ("a1", "s-one"),
        ("b1", "s-two"),
        ("alone", None),
    ]
    assert [m.article_id for m in await matches_on(redis, keys.deliveries)] == [
        "a1",
        "b1",
        "alone",
    ]
    assert (await read_figures(redis, keys, per_story.name)).matched == 3
    found = [m.article_id for m in await matches_on(redis, keys.stream(every.name))]
    assert found == ["a1", "a2", "b1", "a3", "alone"]
    assert await redis.get(keys.story(per_story.name, "s-one")) == b"a1"
    assert 0 < await redis.ttl(keys.story(per_story.name, "s-one")) <= settings.alert_seen_ttl_s


async def test_two_replicas_record_one_article_of_a_story_at_once(
    settings: Settings, redis: Redis
) -> None:
    """Two matchers handling two articles of one new story at the same time, their writes
    sent together: the story is recorded once, with the article whose write ran first."""
    keys = AlertKeys(settings.stream_prefix)
    per_story = alert("kp-stories", q="missile").model_copy(update={"once_per_story": True})
    await add_alerts(settings, redis, [per_story])
    records = MatchRecords(keys, settings.alert_seen_ttl_s, settings.alert_stream_max_length)
    async with opened_store(settings) as store:
        replicas = [AlertMatcher(store, redis, keys, records) for _ in range(2)]
        forwards = await asyncio.gather(
            *(
                matcher.handle(in_story(ARTICLES[0], "s-race", article_id))
                for matcher, article_id in zip(replicas, ("r1", "r2"), strict=True)
            )
        )

    async def commit(forward: Forward | None) -> list[int]:
        assert forward is not None
        async with redis.pipeline(transaction=True) as pipe:
            forward.writes(pipe)
            return list(await pipe.execute())

    outcomes = await asyncio.gather(*(commit(forward) for forward in forwards))
    assert sorted(outcomes) == [[0], [1]]
    recorded = await matches_on(redis, keys.stream(per_story.name))
    assert len(recorded) == 1
    assert await redis.get(keys.story(per_story.name, "s-race")) == recorded[0].article_id.encode()


async def test_an_entry_that_is_not_an_event_is_left_to_the_sink_and_matching_goes_on(
    settings: Settings, redis: Redis
) -> None:
    """The sink reads the same stream and dead-letters a malformed entry: one letter for
    one entry, even with alerts loaded."""
    names = StreamNames(settings.stream_prefix)
    keys = AlertKeys(settings.stream_prefix)
    await add_alerts(settings, redis, [KP])
    async with running_alerts(settings):
        await redis.xadd(names.enriched, {"data": b"{not json"})
        await redis.xadd(names.enriched, {"data": orjson.dumps({"id": "x"})})
        await publish(redis, settings, ARTICLES[:1])
        await settled(redis, settings)
    assert await redis.xlen(names.dlq) == 0
    assert (await redis.xpending(names.enriched, "alerts"))["pending"] == 0
    assert [m.article_id for m in await matches_on(redis, keys.stream(KP.name))] == ["art001"]


async def test_with_no_alert_entries_are_passed_over_undecoded(
    settings: Settings, redis: Redis
) -> None:
    """Nothing to match: the stage acknowledges each entry without decoding it, and leaves
    a malformed one to the sink (which reads the same stream and dead-letters it)."""
    names = StreamNames(settings.stream_prefix)
    async with running_alerts(settings):
        await redis.xadd(names.enriched, {"data": b"{not json"})
        await publish(redis, settings, ARTICLES[:2])
        await settled(redis, settings)
    assert await redis.xlen(names.dlq) == 0
    assert (await redis.xpending(names.enriched, "alerts"))["pending"] == 0


async def test_the_stage_runs_on_postgresql_too(
    settings: Settings, redis: Redis, database_url: str
) -> None:
    on_postgres = settings.model_copy(update={"database_url": SecretStr(database_url)})
    try:
        await add_alerts(on_postgres, redis, [KP, NEGATIVE])
        async with running_alerts(on_postgres):
            await publish(redis, on_postgres, ARTICLES)
            await settled(redis, on_postgres)
    finally:
        drop_store_tables(database_url, settings.table_name)
    keys = AlertKeys(settings.stream_prefix)
    for definition in (KP, NEGATIVE):
        found = [m.article_id for m in await matches_on(redis, keys.stream(definition.name))]
        assert found == expected(definition)


async def test_metrics_and_status_show_each_alert_s_figures(
    settings: Settings, redis: Redis
) -> None:
    import httpx

    from shared.pipeline_status import pipeline_status
    from tests.servers import free_port

    port = free_port()
    served = settings.model_copy(update={"http_port": port, "http_host": "127.0.0.1"})
    keys = AlertKeys(settings.stream_prefix)
    await add_alerts(settings, redis, [KP, NEGATIVE])
    await redis.hincrby(keys.figures(KP.name), "delivered", 2)  # as the delivery worker does
    async with running_alerts(served), httpx.AsyncClient() as http:
        await publish(redis, settings, ARTICLES)
        await settled(redis, settings)
        wanted = [
            f'newsflow_alert_matched{{alert="{KP.name}"}} 3.0',
            f'newsflow_alert_delivered{{alert="{KP.name}"}} 2.0',
            f'newsflow_alert_matched{{alert="{NEGATIVE.name}"}} 1.0',
            f'newsflow_alert_failed{{alert="{NEGATIVE.name}"}} 0.0',
        ]
        for _ in range(100):
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            if all(line in text for line in wanted):
                break
            await asyncio.sleep(0.1)
        assert all(line in text for line in wanted), text[-2000:]
    status = await pipeline_status(redis, StreamNames(settings.stream_prefix))
    assert "alerts" in [stage.stage for stage in status.stages]
    assert status.as_dict()["alerts"] == [
        {"alert": KP.name, "matched": 3, "delivered": 2, "failed": 0},
        {"alert": NEGATIVE.name, "matched": 1, "delivered": 0, "failed": 0},
    ]
