"""Publishing a found article URL once, whoever finds it: the feed poller, the source
poller, or `newsflow backfill`. They share one seen-set (`<prefix>:seen:feed-item:*`), so an
article a feed and a sitemap both list, or one a backfill already published, goes out once.
"""

from __future__ import annotations

from redis.asyncio import Redis

from services.fetcher.seen import SeenSet
from shared.events import RawSubmission
from shared.streams import DATA_FIELD, StreamNames
from shared.urls import normalize_url

# Remember the item, publish it and count it in one step: a crash between them must
# neither lose the item (seen, never published) nor publish it twice. KEYS[3], when given,
# is a hash whose field ARGV[4] counts what was published (a source's "seen" figure).
_PUBLISH_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
    if KEYS[3] then
        redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
    end
    return 1
end
return 0
"""


class OncePublisher:
    def __init__(self, redis: Redis, names: StreamNames, seen_ttl_s: int) -> None:
        self.redis = redis
        self.names = names
        self.seen_ttl_s = seen_ttl_s
        self.seen_items = SeenSet(redis, names, "feed-item", seen_ttl_s)

    async def publish(
        self, submission: RawSubmission, *, counter: tuple[str, str] | None = None
    ) -> bool:
        """Put `submission` (which has a URL) on the raw stream unless its URL was published
        before; `counter` is (hash key, field) to count it in. True when it was published."""
        assert submission.url is not None
        keys: list[str] = [self.seen_items.key(normalize_url(submission.url)), self.names.raw]
        args: list[str | bytes] = [str(self.seen_ttl_s), DATA_FIELD, submission.to_json()]
        if counter is not None:
            keys.append(counter[0])
            args.append(counter[1])
        published = await self.redis.eval(_PUBLISH_ONCE, len(keys), *keys, *args)
        return bool(published)

    async def was_published(self, url: str) -> bool:
        return bool(await self.redis.exists(self.seen_items.key(normalize_url(url))))
