"""The alerts the worker delivers for, read from the store once and again only when
`<prefix>:alerts:version` changes (one GET per entry, no database round trip). A reload
during a database outage leaves the entry pending (`Unavailable`), as in the matching
stage: an outage never dead-letters a delivery."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.alerts.catalog import alerts_version, load_alerts
from shared.alerts.definition import AlertDefinition
from shared.alerts.wire import AlertKeys
from shared.store.article_store import ArticleStore


class AlertBook:
    def __init__(self, store: ArticleStore, redis: Redis, keys: AlertKeys) -> None:
        self.store = store
        self.redis = redis
        self.keys = keys
        self._version: int | None = None
        self._alerts: dict[str, AlertDefinition] = {}

    async def get(self, name: str) -> AlertDefinition | None:
        version = await alerts_version(self.redis, self.keys)
        if version != self._version:
            # The version is read before the list: a change made meanwhile bumps it again
            # and the next entry reloads.
            self._alerts = {alert.name: alert for alert in await load_alerts(self.store)}
            self._version = version
        return self._alerts.get(name)
