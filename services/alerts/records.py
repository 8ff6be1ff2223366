"""Recording matches, each (alert, article) once, in the transaction that acknowledges the
enriched entry.

One Lua script per article does, for each matching alert: SET NX the idempotency record
(`<prefix>:alerts:seen:<alert>:<article id>`, with a TTL); only if it was not set yet, XADD
the match to the alert's stream, count it, and XADD it to the webhook delivery queue when
the alert has a webhook. The script runs inside the MULTI/EXEC that acknowledges the entry
(shared/delivery.py), so

* killed before EXEC: nothing is recorded and the entry is still pending; its redelivery
  records the matches then;
* killed after EXEC: the entry is acknowledged and the matches recorded, once;
* two replicas handling one entry (a lease taken over) or an article enriched twice: the
  record makes the second a no-op.
"""

from __future__ import annotations

from redis.asyncio.client import Pipeline

from shared.alerts.figures import MATCHED
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.streams import DATA_FIELD

# KEYS: [deliveries, then per match: seen, stream, figures]
# ARGV: [ttl seconds, stream max length (0: none), then per match: data, webhook "1"/"0"]
_RECORD_MATCHES = f"""
local ttl = tonumber(ARGV[1])
local maxlen = tonumber(ARGV[2])
local recorded = 0
for i = 0, (#KEYS - 1) / 3 - 1 do
  local seen, stream, figures = KEYS[2 + i * 3], KEYS[3 + i * 3], KEYS[4 + i * 3]
  local data, webhook = ARGV[3 + i * 2], ARGV[4 + i * 2]
  if redis.call('SET', seen, '1', 'NX', 'EX', ttl) then
    if maxlen > 0 then
      redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', '{DATA_FIELD}', data)
    else
      redis.call('XADD', stream, '*', '{DATA_FIELD}', data)
    end
    redis.call('HINCRBY', figures, '{MATCHED}', 1)
    if webhook == '1' then
      redis.call('XADD', KEYS[1], '*', '{DATA_FIELD}', data)
    end
    recorded = recorded + 1
  end
end
return recorded
"""


class MatchRecords:
    def __init__(self, keys: AlertKeys, seen_ttl_s: int, stream_max_length: int) -> None:
        self.keys = keys
        self.seen_ttl_s = seen_ttl_s
        self.stream_max_length = stream_max_length

    def queue(self, pipe: Pipeline, matches: list[tuple[AlertMatch, bool]]) -> None:
        """Queue the script on `pipe` (the entry's forward+ack transaction)."""
        keys: list[str] = [self.keys.deliveries]
        args: list[str | bytes | int] = [self.seen_ttl_s, self.stream_max_length]
        for match, webhook in matches:
            keys += [
                self.keys.seen(match.alert, match.article_id),
                self.keys.stream(match.alert),
                self.keys.figures(match.alert),
            ]
            args += [match.to_json(), "1" if webhook else "0"]
        pipe.eval(_RECORD_MATCHES, len(keys), *keys, *args)
