"""The work on one delivery entry: decide, POST at most once, and say what to record.

For an entry (a match, or a digest of held matches) the deliverer

1. drops it when its alert was removed or has no webhook any more;
2. drops the matches the receiver already accepted (the `delivered` records): a
   redelivery after a crash, a replica, a replayed dead letter never POST them again;
3. when the alert is paused (its last POST failed), puts it back for the end of the pause,
   without using an attempt, so a receiver that is down costs one POST per backoff, not
   one per match; likewise while another copy of the same delivery is being POSTed;
4. while a quarter of the worker's POSTs are the alert's (a slow receiver), puts it back
   likewise, so one alert cannot take every slot from the others;
   past the alert's rate (POSTs per minute), holds a single match for the window's digest;
5. POSTs, signed, and returns the records to write on the ack's transaction: delivered
   (2xx); a retry scheduled and the alert paused (5xx, 408, 429, timeout, connection
   error); a dead letter and the `failed` count (a permanent failure, the last attempt,
   a target the SSRF guard refuses).

Nothing here sleeps: a retry is a scheduled entry, so the other deliveries go on.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.webhooks.alert_book import AlertBook
from services.webhooks.entries import DeliveryEntry, decode_delivery
from services.webhooks.post import PostResult, post_webhook
from services.webhooks.queue import WebhookQueue
from services.webhooks.retry_policy import Verdict, retry_after_s, retry_delay_s
from services.webhooks.signing import delivery_headers
from shared.alerts.definition import AlertDefinition
from shared.alerts.wire import AlertMatch
from shared.dead_letters import dead_letter_for
from shared.delivery import Forward, current_entry_id
from shared.errors import Rejected
from shared.logs import get_logger

log = get_logger("newsflow.webhooks")

STAGE = "webhooks"


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_s: float
    max_attempts: int
    backoff_base_s: float
    max_backoff_s: float
    dlq_max_payload_bytes: int
    dlq_max_length: int
    # POSTs one alert may have under way in this worker at once, so a slow receiver that
    # still answers 2xx cannot take every slot and hold up the other alerts' deliveries.
    posts_per_alert: int = 4


def _with_release(
    queue: WebhookQueue, alert: str, key: str, writes: Callable[[Pipeline], None]
) -> Callable[[Pipeline], None]:
    """`writes`, then the delivery's sending lock and the alert's probe let go."""

    def both(pipe: Pipeline) -> None:
        writes(pipe)
        queue.release_sending(pipe, key)
        pipe.delete(queue.keys.probe(alert))

    return both


class WebhookDeliverer:
    def __init__(
        self,
        book: AlertBook,
        redis: Redis,
        queue: WebhookQueue,
        client: httpx.AsyncClient,
        policy: DeliveryPolicy,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.book = book
        self.redis = redis
        self.queue = queue
        self.client = client
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self.source_stream = queue.alert_keys.deliveries
        self._under_way: Counter[str] = Counter()

    async def handle(self, fields: dict[bytes, bytes]) -> Forward | None:
        entry = decode_delivery(fields)
        alert = await self.book.get(entry.alert)
        if alert is None or alert.webhook is None:
            log.info("delivery_dropped", alert=entry.alert, why="alert removed or no webhook")
            return None
        matches = await self.queue.undelivered(self.redis, entry)
        if not matches:
            log.info("already_delivered", alert=entry.alert, key=entry.idempotency_key)
            return None
        now = self.clock()
        paused_ms = await self.queue.paused_ms(self.redis, alert.name)
        if paused_ms > 0:
            # Spread over a second, so a recovered receiver is not met by all at once.
            due = now + paused_ms / 1000 + self.rng.uniform(0.0, 1.0)
            return Forward(lambda pipe: self.queue.schedule(pipe, entry, entry.attempt, due))
        if self._under_way[alert.name] >= self.policy.posts_per_alert:
            # Taken before any await, so concurrent deliveries of one alert see each other.
            due = now + self.rng.uniform(0.5, 1.5)
            return Forward(lambda pipe: self.queue.schedule(pipe, entry, entry.attempt, due))
        self._under_way[alert.name] += 1
        try:
            return await self._claim_and_post(alert, entry, matches, now)
        finally:
            self._under_way[alert.name] -= 1
            if not self._under_way[alert.name]:
                del self._under_way[alert.name]

    async def _claim_and_post(
        self,
        alert: AlertDefinition,
        entry: DeliveryEntry,
        matches: tuple[AlertMatch, ...],
        now: float,
    ) -> Forward:
        if not await self.queue.claim_probe(self.redis, alert.name, self._sending_hold_ms):
            due = now + self.rng.uniform(0.5, 1.5)
            return Forward(lambda pipe: self.queue.schedule(pipe, entry, entry.attempt, due))
        key = entry.idempotency_key
        busy_ms = await self.queue.claim_sending(self.redis, key, self._sending_hold_ms)
        if busy_ms:
            # Another copy of this delivery is being POSTed: look again once it is done
            # (then it is recorded as delivered, or this copy POSTs).
            due = now + busy_ms / 1000
            return Forward(lambda pipe: self.queue.schedule(pipe, entry, entry.attempt, due))
        try:
            if entry.match is not None and not await self.queue.take_rate(
                self.redis, alert.name, alert.rate_per_minute, now
            ):
                log.info("held_for_digest", alert=alert.name, key=key)
                writes = _with_release(
                    self.queue, alert.name, key, lambda pipe: self.queue.hold(pipe, entry, now)
                )
                return Forward(writes)
            forward = await self._post(alert, entry, matches)
        except BaseException:
            await self.redis.delete(self.queue.keys.sending(key), self.queue.keys.probe(alert.name))
            raise
        return Forward(_with_release(self.queue, alert.name, key, forward.writes))

    @property
    def _sending_hold_ms(self) -> int:
        # Past the POST's timeout, so it ends first; a worker killed mid-POST leaves it to
        # expire, and the redelivered entry waits that long.
        return int((self.policy.timeout_s + 5) * 1000)

    async def _post(
        self, alert: AlertDefinition, entry: DeliveryEntry, matches: tuple[AlertMatch, ...]
    ) -> Forward:
        assert alert.webhook is not None
        body = entry.body(matches)
        secret = alert.webhook.secret.get_secret_value()
        headers = delivery_headers(secret, body, entry.idempotency_key, self.clock())
        result = await post_webhook(
            self.client, alert.webhook.url, body, headers, self.policy.timeout_s
        )
        article_ids = [match.article_id for match in matches]
        if result.verdict is Verdict.DELIVERED:
            log.info("delivered", alert=alert.name, status=result.status, matches=len(matches),
                     attempt=entry.attempt)  # fmt: skip

            def delivered(pipe: Pipeline) -> None:
                self.queue.record_delivered(pipe, alert.name, article_ids)
                self.queue.receiver_answers(pipe, alert.name)

            return Forward(delivered)
        if result.verdict is Verdict.RETRY and entry.attempt < self.policy.max_attempts:
            return self._retry(alert.name, entry, result)
        return self._give_up(alert.name, entry, result, len(matches))

    def _retry(self, alert: str, entry: DeliveryEntry, result: PostResult) -> Forward:
        policy = self.policy
        now = datetime.now(UTC)
        delay = retry_delay_s(
            entry.attempt,
            retry_after_s(result.retry_after, now, policy.max_backoff_s),
            base_s=policy.backoff_base_s,
            cap_s=policy.max_backoff_s,
            rng=self.rng,
        )
        due = self.clock() + delay
        log.warning("will_retry", alert=alert, attempt=entry.attempt,
                    max_attempts=policy.max_attempts, delay_s=round(delay, 2),
                    error=result.message[:300])  # fmt: skip

        def writes(pipe: Pipeline) -> None:
            self.queue.schedule(pipe, entry, entry.attempt + 1, due)
            # Failing until a POST gets through; long enough to outlive the next pause.
            self.queue.pause(pipe, alert, delay, failing_s=delay + policy.max_backoff_s + 60)

        return Forward(writes)

    def _give_up(
        self, alert: str, entry: DeliveryEntry, result: PostResult, failed: int
    ) -> Forward:
        final = result.verdict is Verdict.RETRY  # retried as often as allowed
        message = result.message + (f" (after {entry.attempt} attempts)" if final else "")
        letter = dead_letter_for(
            STAGE, self.source_stream, current_entry_id().encode() or b"0-0",
            entry.replay_fields(), reason=result.reason, exc=Rejected(result.reason, message),
            delivery_count=entry.attempt, first_failed_at=None, now=datetime.now(UTC),
            max_payload_bytes=self.policy.dlq_max_payload_bytes,
        )  # fmt: skip
        log.warning("dead_lettered", alert=alert, reason=result.reason, error=message[:300],
                    attempt=entry.attempt)  # fmt: skip
        return Forward(
            lambda pipe: self.queue.dead_letter(
                pipe, letter, alert, failed, self.policy.dlq_max_length
            )
        )
