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

An alert with `once_per_story` records one article per story: the script first reads the
story's record (`<prefix>:alerts:story:<alert>:<story id>`, the id of the article that
matched for it); held by another article, this one is passed over (and the record's TTL
renewed: the story still runs); free, the article is recorded as above and the story's
record set. In one script, so two replicas enriching two articles of one story at once
record one of them, and the first article's redelivery is a no-op as any other's.
"""

from __future__ import annotations

from typing import NamedTuple

from redis.asyncio.client import Pipeline

from shared.alerts.figures import MATCHED
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.streams import DATA_FIELD

# KEYS: [deliveries, then per match: seen, stream, figures, story ('' unless once per story)]
# ARGV: [ttl seconds, stream max length (0: none),
#        then per match: data, webhook "1"/"0", article id]
_RECORD_MATCHES = f"""
local ttl = tonumber(ARGV[1])
local maxlen = tonumber(ARGV[2])
local recorded = 0
for i = 0, (#KEYS - 1) / 4 - 1 do
  local seen, stream = KEYS[2 + i * 4], KEYS[3 + i * 4]
  local figures, story = KEYS[4 + i * 4], KEYS[5 + i * 4]
  local data, webhook, article = ARGV[3 + i * 3], ARGV[4 + i * 3], ARGV[5 + i * 3]
  local owner = false
  if story ~= '' then
    owner = redis.call('GET', story)
  end
  if owner and owner ~= article then
    redis.call('EXPIRE', story, ttl)
  elseif redis.call('SET', seen, '1', 'NX', 'EX', ttl) then
    if story ~= '' then
      redis.call('SET', story, article, 'EX', ttl)
    end
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


class RecordedMatch(NamedTuple):
    match: AlertMatch
    webhook: bool  # queue a delivery too
    once_per_story: bool  # only if no other article of its story was recorded for the alert


class MatchRecords:
    def __init__(self, keys: AlertKeys, seen_ttl_s: int, stream_max_length: int) -> None:
        self.keys = keys
        self.seen_ttl_s = seen_ttl_s
        self.stream_max_length = stream_max_length

    def queue(self, pipe: Pipeline, matches: list[RecordedMatch]) -> None:
        """Queue the script on `pipe` (the entry's forward+ack transaction)."""
        keys: list[str] = [self.keys.deliveries]
        args: list[str | bytes | int] = [self.seen_ttl_s, self.stream_max_length]
        for match, webhook, once_per_story in matches:
            # An article without a story (the analysis off or failed) is a story of its own.
            story_id = match.story_id if once_per_story else None
            keys += [
                self.keys.seen(match.alert, match.article_id),
                self.keys.stream(match.alert),
                self.keys.figures(match.alert),
                self.keys.story(match.alert, story_id) if story_id else "",
            ]
            args += [match.to_json(), "1" if webhook else "0", match.article_id]
        pipe.eval(_RECORD_MATCHES, len(keys), *keys, *args)
