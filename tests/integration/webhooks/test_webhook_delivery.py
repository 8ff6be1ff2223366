"""The delivery worker against real Redis, SQLite and a receiver on 127.0.0.1 that checks
every signature: once only, retries that do not hold up other alerts, Retry-After, the
dead-letter stream and its replay, the digest past an alert's rate, the SSRF guard."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from services.webhooks.entries import RATE_WINDOW_S
from shared.alerts.catalog import add_alert
from shared.alerts.definition import AlertDefinition, AlertError
from shared.alerts.wire import DELIVERY_GROUP
from shared.dead_letters import list_letters
from shared.settings import Settings
from shared.ssrf import parse_allow_list
from shared.streams import StreamNames
from tests.e2e.harness import stage_env
from tests.integration.webhooks.rig import Rig, webhook_rig
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration


@pytest.fixture
async def rig(settings: Settings, redis: Redis) -> AsyncIterator[Rig]:
    # Five POSTs of one alert at once (a quarter of 20 slots): these tests send five at once.
    async with webhook_rig(settings, redis, webhook_concurrency=20) as made:
        yield made


async def _dead_letters(rig: Rig) -> list[Any]:
    return await list_letters(rig.redis, StreamNames(rig.settings.stream_prefix))


async def test_each_match_is_posted_once_signed_and_counted(rig: Rig) -> None:
    await rig.add("kp")
    for article_id in ("a1", "a2", "a3"):
        await rig.publish("kp", article_id)
    await rig.publish("kp", "a2")  # the same delivery again (a replayed or repeated entry)
    await rig.run_until(lambda: _settled(rig, 4), 10, "four entries handled")
    assert sorted(rig.receiver.article_ids("kp")) == ["a1", "a2", "a3"]
    assert rig.receiver.posts == 3 and not rig.receiver.duplicates
    assert rig.receiver.bad_signatures == 0
    assert {h["Idempotency-Key"] for h in rig.receiver.headers_seen} == {"kp:a1", "kp:a2", "kp:a3"}
    assert await rig.figures("kp") == (3, 0)
    for article_id in ("a1", "a2", "a3"):
        assert await rig.redis.exists(rig.deliverer.queue.keys.delivered("kp", article_id))


async def _settled(rig: Rig, handled: int) -> bool:
    groups: Any = await rig.redis.xinfo_groups(rig.keys.deliveries)
    return len(rig.handled) >= handled and all(g["pending"] == 0 for g in groups)


async def test_a_failing_receiver_is_retried_later_while_other_alerts_are_delivered(
    settings: Settings, redis: Redis
) -> None:
    # Two alerts on two receivers: one answers 500 for a while, the other is fine. Enough
    # attempts that the waits' fixed halves (0.1 + 0.2 + 0.4 + 0.5 * 7 s) outlast the outage.
    async with webhook_rig(settings, redis, webhook_max_attempts=10, webhook_concurrency=20) as rig:
        await _down_and_up(rig)


async def _down_and_up(rig: Rig) -> None:
    healthy = WebhookReceiver({}).start()
    try:
        await rig.add("down")
        alert = await rig.add("up", url=healthy.url)
        healthy.secrets["up"] = alert.webhook.secret.get_secret_value()  # type: ignore[union-attr]
        rig.receiver.fail_for(2.0)
        for n in range(5):
            await rig.publish("down", f"d{n}")
            await rig.publish("up", f"u{n}")
        await rig.step()
        # The first POST to `down` failed and paused the alert; its other deliveries wait
        # in the retry set without a POST of their own; `up` got everything at once.
        assert sorted(healthy.article_ids("up")) == [f"u{n}" for n in range(5)]
        assert rig.receiver.article_ids("down") == []
        assert await rig.redis.zcard(rig.deliverer.queue.keys.retries) == 5
        assert await rig.redis.pttl(rig.deliverer.queue.keys.paused("down")) > 0
        groups: Any = await rig.redis.xinfo_groups(rig.keys.deliveries)
        assert groups[0]["pending"] == 0  # nothing held in line: acked and scheduled

        await rig.run_until(
            lambda: _count(rig, "down", 5), 20, "every delivery to `down` after it recovers"
        )
        assert sorted(rig.receiver.article_ids("down")) == [f"d{n}" for n in range(5)]
        assert not rig.receiver.duplicates and rig.receiver.refused >= 1
        assert await rig.figures("down") == (5, 0)
        assert await _dead_letters(rig) == []
    finally:
        healthy.stop()


async def test_a_slow_receiver_takes_a_quarter_of_the_slots_and_gets_everything(
    settings: Settings, redis: Redis
) -> None:
    """A receiver that answers 2xx, slowly, got every delivery of its alert POSTed at once,
    each holding a slot: with a few such alerts nothing was left for the others. One alert
    has a quarter of the worker's POSTs (2 of 8 here); the rest wait, without an attempt."""
    async with webhook_rig(settings, redis, webhook_concurrency=8) as rig:
        rig.receiver.delay_s = 0.3
        await rig.add("slow")
        for n in range(5):
            await rig.publish("slow", f"s{n}")
        await rig.step()
        assert rig.receiver.posts == 2
        assert await rig.redis.zcard(rig.deliverer.queue.keys.retries) == 3
        await rig.run_until(lambda: _count(rig, "slow", 5), 20, "every delivery, in turn")
        assert sorted(rig.receiver.article_ids("slow")) == [f"s{n}" for n in range(5)]
        assert not rig.receiver.duplicates and await rig.figures("slow") == (5, 0)
        assert await _dead_letters(rig) == []


async def _count(rig: Rig, alert: str, n: int) -> bool:
    return len(rig.receiver.article_ids(alert)) >= n and (await rig.figures(alert))[0] == n


async def test_retry_after_sets_when_the_delivery_is_tried_again(
    settings: Settings, redis: Redis
) -> None:
    async with webhook_rig(settings, redis, webhook_max_backoff_s=10.0) as rig:
        await rig.add("kp")
        rig.receiver.status, rig.receiver.retry_after = 429, "3"
        await rig.publish("kp", "a1")
        await rig.step()
        retries = rig.deliverer.queue.keys.retries
        due: Any = await redis.zrange(retries, 0, -1, withscores=True)
        assert len(due) == 1
        member, score = due[0]
        assert orjson.loads(member)["attempt"] == 2
        assert score - rig.clock() == pytest.approx(3.0, abs=0.5)
        # A day: capped at webhook_max_backoff_s.
        rig.receiver.retry_after = "86400"

        async def third_attempt_due() -> bool:
            nonlocal due
            due = await redis.zrange(retries, 0, -1, withscores=True)
            return bool(due) and orjson.loads(due[0][0])["attempt"] == 3

        await rig.run_until(third_attempt_due, 10, "the second POST")
        assert rig.receiver.posts == 2
        assert due[0][1] - rig.clock() == pytest.approx(10.0, abs=0.5)


async def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(
    settings: Settings, redis: Redis
) -> None:
    """httpx's timeouts are per read: a receiver sending a byte now and then never trips
    them. The timeout bounds the whole POST, so the worker moves on and retries later."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        with contextlib.suppress(ConnectionError):
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)
        writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with webhook_rig(settings, redis, webhook_timeout_s=1.0) as rig:
            await rig.add("slow", url=f"http://127.0.0.1:{port}/hook")
            await rig.publish("slow", "a1")
            started = time.monotonic()
            await rig.step()
            assert time.monotonic() - started < 3.0
            due: Any = await redis.zrange(rig.deliverer.queue.keys.retries, 0, -1)
            assert [orjson.loads(member)["attempt"] for member in due] == [2]
            assert await rig.figures("slow") == (0, 0)
    finally:
        server.close()


async def test_a_permanent_failure_is_dead_lettered_and_dlq_replay_delivers_it(
    rig: Rig, settings: Settings
) -> None:
    await rig.add("kp")
    rig.receiver.status = 404
    await rig.publish("kp", "a1")
    await rig.step()
    letters = await _dead_letters(rig)
    assert len(letters) == 1
    letter = letters[0].letter
    assert (letter.stage, letter.reason) == ("webhooks", "webhook_failed")
    assert letter.message.startswith("404 Not Found")
    assert letter.source_stream == rig.keys.deliveries
    assert set(letter.payload) == {"data"}  # no attempt count: a replay starts afresh
    assert await rig.figures("kp") == (0, 1)
    assert rig.receiver.posts == 1  # a 404 is not retried

    rig.receiver.status = None  # the receiver is fixed; the operator replays the letter
    env = {**os.environ, **stage_env(settings)}
    replayed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "newsflow_cli", "dlq", "replay", "--stage", "webhooks"],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr.decode()
    await rig.run_until(lambda: _count(rig, "kp", 1), 10, "the replayed delivery")
    assert rig.receiver.article_ids("kp") == ["a1"]
    assert await _dead_letters(rig) == []


async def test_the_last_failed_attempt_goes_to_the_dead_letter_stream_with_the_reason(
    settings: Settings, redis: Redis
) -> None:
    async with webhook_rig(settings, redis, webhook_max_attempts=3) as rig:
        await rig.add("kp")
        rig.receiver.status = 503
        await rig.publish("kp", "a1")
        await rig.run_until(lambda: _lettered(rig), 15, "the dead letter")
        assert rig.receiver.posts == 3
        letter = (await _dead_letters(rig))[0].letter
        assert letter.reason == "webhook_failed"
        assert letter.message.startswith("503 Service Unavailable")
        assert letter.message.endswith("(after 3 attempts)")
        assert letter.delivery_count == 3
        assert await rig.figures("kp") == (0, 1)
        assert await redis.zcard(rig.deliverer.queue.keys.retries) == 0


async def _lettered(rig: Rig) -> bool:
    return bool(await _dead_letters(rig))


async def test_past_the_rate_matches_are_held_and_sent_as_one_digest_when_the_window_ends(
    rig: Rig,
) -> None:
    await rig.add("kp", rate=2)
    # The start of a window, so the five land in one.
    now = rig.clock()
    rig.clock.offset += RATE_WINDOW_S - now % RATE_WINDOW_S + 1
    for n in range(5):
        await rig.publish("kp", f"a{n}")
    await rig.step()
    assert len(rig.receiver.processed) == 2  # two singles, three held
    assert await rig.redis.llen(rig.deliverer.queue.keys.held("kp")) == 3

    rig.clock.offset += RATE_WINDOW_S  # the window ends
    await rig.run_until(lambda: _count(rig, "kp", 5), 10, "the digest")
    digests = [body for body in rig.receiver.processed.values() if body.get("digest")]
    assert len(digests) == 1
    digest = digests[0]
    assert digest["alert"] == "kp" and digest["count"] == 3
    assert len(digest["matches"]) == 3
    key = next(k for k, body in rig.receiver.processed.items() if body.get("digest"))
    assert key == digest["idempotency_key"] and key.startswith("kp:digest:")
    assert sorted(rig.receiver.article_ids("kp")) == [f"a{n}" for n in range(5)]
    assert rig.receiver.bad_signatures == 0 and not rig.receiver.duplicates
    assert await rig.figures("kp") == (5, 0)


async def test_a_removed_alert_s_deliveries_are_dropped(rig: Rig) -> None:
    from shared.alerts.catalog import remove_alert

    await rig.add("kp")
    await rig.publish("kp", "a1")
    await remove_alert(rig.store, rig.redis, rig.keys, "kp")
    await rig.step()
    assert rig.receiver.posts == 0 and await _dead_letters(rig) == []


# --- the SSRF guard, at `alerts add` and at delivery ------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/x",
     "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.0.1/x",
     "https://0.0.0.0/x", "http://[::ffff:127.0.0.1]/x", "http://no-such-host.invalid/x"],
)  # fmt: skip
async def test_a_webhook_to_a_private_address_is_refused_at_add(rig: Rig, url: str) -> None:
    alert = AlertDefinition.checked(
        name="inside", query={}, webhook={"url": url, "secret": "x" * 20}
    )
    with pytest.raises(AlertError, match="webhook refused"):
        await add_alert(rig.store, rig.redis, rig.keys, alert, webhook_allow=parse_allow_list(""))
    assert await rig.store.get_alert("inside") is None


def test_alerts_add_on_the_command_line_refuses_a_private_webhook(settings: Settings) -> None:
    env = {**os.environ, **stage_env(settings), "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS": ""}
    added = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "alerts", "add", "inside", "--q", "x",
         "--webhook", "http://127.0.0.1:8080/hook"],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode != 0
    said = (added.stdout + added.stderr).decode()
    assert "webhook refused" in said and "non-public address 127.0.0.1" in said
    allowed = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "alerts", "add", "inside", "--q", "x",
         "--webhook", "http://127.0.0.1:8080/hook"],
        env={**env, "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1"},
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr.decode()


async def test_a_webhook_that_became_private_is_refused_at_delivery(
    settings: Settings, redis: Redis
) -> None:
    # Added while 127.0.0.1 was allowed; the worker runs with an empty allow-list (as if the
    # name now resolved to a private address): nothing is sent, the letter says why.
    async with webhook_rig(settings, redis, allow="") as rig:
        await rig.add("kp")
        await rig.publish("kp", "a1")
        await rig.step()
        assert rig.receiver.posts == 0
        letters = await _dead_letters(rig)
        assert [entry.letter.reason for entry in letters] == ["webhook_blocked"]
        assert "non-public address 127.0.0.1" in letters[0].letter.message
        assert await rig.figures("kp") == (0, 1)


async def test_a_database_outage_at_reload_keeps_the_delivery_pending(rig: Rig) -> None:
    """The book reloads its alerts when their version moves; with the store down, the
    entry waits (`Unavailable`) rather than failing toward the dead-letter stream."""
    await rig.add("kp")
    await rig.publish("kp", "a1")
    await rig.run_until(lambda: _settled(rig, 1), 10, "the first delivery")
    await rig.add("other")  # moves the version: the next entry reloads the alerts
    await rig.store.close()  # the database is gone
    await rig.publish("kp", "a2")
    assert await rig.step() == 1
    failures = await rig.redis.hlen(rig.delivery.failures_key)
    assert failures == 0, "counted as a failure toward max_deliveries"
    assert rig.delivery.to_retry, "not kept for a retry"
    pending: Any = await rig.redis.xpending(rig.keys.deliveries, DELIVERY_GROUP)
    assert pending["pending"] == 1
    assert await _dead_letters(rig) == []
