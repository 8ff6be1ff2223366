"""The worker's own Redis records, and the writes it queues on the transaction that
acknowledges a delivery entry (so each happens with the ack or not at all).

Keys, under `<prefix>:alerts:webhooks:` (the colon keeps them apart from alert streams):

    delivered:<alert>:<article id>  "1" with the alerts' seen TTL: the receiver answered 2xx
                                    for this (alert, article); checked before every POST
    retries                         sorted set: deliveries due again, scored by due time
    sending:<idempotency key>       held while one worker POSTs a delivery (PX, past the
                                    POST's timeout): a second copy of it, in this worker or
                                    a replica, waits instead of POSTing too
    paused:<alert>                  set for the backoff after a failed POST (PX): the alert's
                                    other deliveries wait it out instead of POSTing into it
    failing:<alert>                 set by a failed POST, removed by a delivered one: after
                                    the pause one delivery probes (probe:<alert>, PX) while
                                    the others wait, so a receiver still down gets one POST
    rate:<alert>:<minute>           POSTs counted in one rate window
    held:<alert>                    list of matches held past the rate, for the digest
    digests                         sorted set: alerts whose held matches are due, by time
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from services.webhooks.entries import ATTEMPT_FIELD, RATE_WINDOW_S, DeliveryEntry
from shared.alerts.figures import DELIVERED, FAILED
from shared.alerts.wire import AlertKeys
from shared.events import DeadLetter
from shared.streams import DATA_FIELD

# Matches in one digest at most; the rest stay held for the next window's digest.
DIGEST_MAX_MATCHES: Final = 1000
# Due retries and digests moved back to the queue per round of the scheduler.
_MOVE_BATCH: Final = 500


@dataclass(frozen=True)
class WebhookKeys:
    prefix: str = "newsflow"

    def _key(self, rest: str) -> str:
        return f"{self.prefix}:alerts:webhooks:{rest}"

    def delivered(self, alert: str, article_id: str) -> str:
        return self._key(f"delivered:{alert}:{article_id}")

    @property
    def retries(self) -> str:
        return self._key("retries")

    def sending(self, key: str) -> str:
        return self._key(f"sending:{key}")

    def paused(self, alert: str) -> str:
        return self._key(f"paused:{alert}")

    def failing(self, alert: str) -> str:
        return self._key(f"failing:{alert}")

    def probe(self, alert: str) -> str:
        return self._key(f"probe:{alert}")

    def rate(self, alert: str, window: int) -> str:
        return self._key(f"rate:{alert}:{window}")

    def held(self, alert: str) -> str:
        return self._key(f"held:{alert}")

    @property
    def held_prefix(self) -> str:
        return self._key("held:")

    @property
    def digests(self) -> str:
        return self._key("digests")


# KEYS: [figures, delivered...]  ARGV: [ttl]. Counted once per (alert, article), however
# often the 2xx was had (a redelivery after a crash between the 2xx and the ack).
_RECORD_DELIVERED = f"""
local count = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', tonumber(ARGV[1])) then count = count + 1 end
end
if count > 0 then redis.call('HINCRBY', KEYS[1], '{DELIVERED}', count) end
return count
"""

# KEYS: [retries, digests, deliveries]  ARGV: [now, batch, digest max, held prefix, window]
# Due retries go back on the queue with their attempt; an alert's held matches, when its
# window ends, go as one digest entry (what is left past the digest's size waits a window).
_MOVE_DUE = f"""
local now, batch, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local moved = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('ZREM', KEYS[1], member)
  local retry = cjson.decode(member)
  redis.call('XADD', KEYS[3], '*', '{DATA_FIELD}', retry.data,
             '{ATTEMPT_FIELD}', tostring(retry.attempt))
  moved = moved + 1
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, batch)
for i = 1, #due, 2 do
  local alert, window_end = due[i], math.floor(tonumber(due[i + 1]))
  local held = ARGV[4] .. alert
  local items = redis.call('LRANGE', held, 0, most - 1)
  redis.call('LTRIM', held, #items, -1)
  if redis.call('LLEN', held) > 0 then
    redis.call('ZADD', KEYS[2], window_end + tonumber(ARGV[5]), alert)
  else
    redis.call('ZREM', KEYS[2], alert)
  end
  if #items > 0 then
    local data = '{{"alert":' .. cjson.encode(alert) .. ',"window_end":' .. window_end ..
                 ',"matches":[' .. table.concat(items, ',') .. ']}}'
    redis.call('XADD', KEYS[3], '*', '{DATA_FIELD}', data)
    moved = moved + 1
  end
end
return moved
"""


class WebhookQueue:
    def __init__(self, alert_keys: AlertKeys, delivered_ttl_s: int, dlq: str) -> None:
        self.alert_keys = alert_keys
        self.keys = WebhookKeys(alert_keys.prefix)
        self.delivered_ttl_s = delivered_ttl_s
        self.dlq = dlq

    # Reads, before a POST.

    async def undelivered(self, redis: Redis, entry: DeliveryEntry) -> tuple[Any, ...]:
        """The entry's matches the receiver has not yet accepted."""
        matches = entry.matches
        if not matches:
            return ()
        found: Any = await redis.mget([self.keys.delivered(m.alert, m.article_id) for m in matches])
        return tuple(m for m, mark in zip(matches, found, strict=True) if mark is None)

    async def paused_ms(self, redis: Redis, alert: str) -> int:
        left: Any = await redis.pttl(self.keys.paused(alert))
        return max(int(left), 0)

    async def claim_sending(self, redis: Redis, key: str, hold_ms: int) -> int:
        """0: this worker now POSTs the delivery `key`; else the ms another one still
        holds it for."""
        if await redis.set(self.keys.sending(key), b"1", nx=True, px=hold_ms):
            return 0
        left: Any = await redis.pttl(self.keys.sending(key))
        return max(int(left), 1)

    def release_sending(self, pipe: Pipeline, key: str) -> None:
        pipe.delete(self.keys.sending(key))

    async def claim_probe(self, redis: Redis, alert: str, hold_ms: int) -> bool:
        """True when the alert's receiver is not known to fail, or this worker is the one
        to try it again; False: another POST to it is on its way, wait for its outcome."""
        if not await redis.exists(self.keys.failing(alert)):
            return True
        return bool(await redis.set(self.keys.probe(alert), b"1", nx=True, px=hold_ms))

    async def take_rate(self, redis: Redis, alert: str, per_minute: int, now: float) -> bool:
        """Count a POST in the alert's current window; False when the window is full."""
        window = int(now // RATE_WINDOW_S)
        key = self.keys.rate(alert, window)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, RATE_WINDOW_S * 2)
            count, _ = await pipe.execute()
        return int(count) <= per_minute

    # Writes, on the ack's transaction.

    def record_delivered(self, pipe: Pipeline, alert: str, article_ids: list[str]) -> None:
        keys = [self.alert_keys.figures(alert)]
        keys += [self.keys.delivered(alert, article_id) for article_id in article_ids]
        pipe.eval(_RECORD_DELIVERED, len(keys), *keys, self.delivered_ttl_s)

    def schedule(self, pipe: Pipeline, entry: DeliveryEntry, attempt: int, due: float) -> None:
        """Put the delivery back on the queue at `due` (unix seconds) as `attempt`."""
        member = orjson.dumps({"data": entry.data.decode(), "attempt": attempt})
        pipe.zadd(self.keys.retries, {member: due})

    def pause(self, pipe: Pipeline, alert: str, seconds: float, failing_s: float) -> None:
        pipe.set(self.keys.paused(alert), b"1", px=max(int(seconds * 1000), 1))
        pipe.set(self.keys.failing(alert), b"1", px=max(int(failing_s * 1000), 1))
        pipe.delete(self.keys.probe(alert))

    def receiver_answers(self, pipe: Pipeline, alert: str) -> None:
        pipe.delete(self.keys.failing(alert), self.keys.probe(alert))

    def hold(self, pipe: Pipeline, entry: DeliveryEntry, now: float) -> None:
        """Past the rate: keep the match for the digest sent when the window ends."""
        window_end = (int(now // RATE_WINDOW_S) + 1) * RATE_WINDOW_S
        pipe.rpush(self.keys.held(entry.alert), entry.data)
        pipe.zadd(self.keys.digests, {entry.alert: window_end}, nx=True)

    def dead_letter(
        self, pipe: Pipeline, letter: DeadLetter, alert: str, failed: int, max_length: int
    ) -> None:
        pipe.xadd(self.dlq, {DATA_FIELD: letter.to_json()}, maxlen=max_length or None,
                  approximate=True)  # fmt: skip
        pipe.hincrby(self.alert_keys.figures(alert), FAILED, failed)

    # The scheduler.

    async def move_due(self, redis: Redis, now: float) -> int:
        """Due retries and digests back onto the queue; how many entries were added."""
        moved: Any = await redis.eval(
            _MOVE_DUE, 3, self.keys.retries, self.keys.digests, self.alert_keys.deliveries,
            now, _MOVE_BATCH, DIGEST_MAX_MATCHES, self.keys.held_prefix, RATE_WINDOW_S,
        )  # fmt: skip
        return int(moved)
