"""The alerts, compiled once and held in memory, matched against each enriched article.

The set is reloaded from the store when Redis's version counter (`<prefix>:alerts:version`,
bumped by every add and remove) differs from the one loaded: the counter is read once per
entry (one GET, ~0.1 ms), so an alert applies to every article enriched after its `add`
returned. While the version is unchanged the store is not read at all, so matching goes on
through a database outage; a reload during one leaves the entry pending (`Unavailable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from services.alerts.records import MatchRecords, RecordedMatch
from shared.alerts.catalog import alerts_version, load_alerts
from shared.alerts.definition import AlertDefinition
from shared.alerts.wire import AlertKeys, AlertMatch, idempotency_key
from shared.article_match import ArticleFacts, CompiledQuery
from shared.delivery import Forward
from shared.errors import Rejected
from shared.events import ArticleEvent
from shared.logs import get_logger
from shared.store.article_query import QueryError
from shared.store.article_store import ArticleStore
from shared.streams import Fields, decode_event_entry

log = get_logger("newsflow.alerts")


@dataclass(frozen=True)
class CompiledAlert:
    name: str
    query: CompiledQuery
    webhook: bool  # a delivery to make on the queue, besides the alert's stream
    once_per_story: bool = False


def compile_alerts(alerts: list[AlertDefinition]) -> list[CompiledAlert]:
    """Each alert's query parsed once. One that no longer checks (stored by a release with
    other rules) is left out and logged, not allowed to stop the others."""
    compiled = []
    for alert in alerts:
        try:
            query = CompiledQuery.of(alert.query.article_query())
        except QueryError as exc:
            log.error("alert_not_loaded", alert=alert.name, error=exc.message)
            continue
        compiled.append(
            CompiledAlert(alert.name, query, alert.webhook is not None, alert.once_per_story)
        )
    return compiled


def matching_alerts(alerts: list[CompiledAlert], event: ArticleEvent) -> list[CompiledAlert]:
    facts = ArticleFacts(event)
    return [alert for alert in alerts if alert.query.matches(facts)]


def match_of(alert: str, event: ArticleEvent, now: datetime) -> AlertMatch:
    article = event.article
    story = event.enrichment.story if event.enrichment else None
    return AlertMatch(
        alert=alert,
        article_id=event.id,
        title=article.title if article else None,
        url=(article.canonical_url if article and article.canonical_url else event.source.url),
        source=event.source.name or (article.publisher if article else None),
        published_at=article.published_at if article else None,
        story_id=story.id if story else None,
        matched_at=now,
        idempotency_key=idempotency_key(alert, event.id),
        trace_id=event.trace_id,
    )


class AlertMatcher:
    """The stage's work: an enriched event in, its matches queued on the ack's transaction."""

    def __init__(
        self, store: ArticleStore, redis: Redis, keys: AlertKeys, records: MatchRecords
    ) -> None:
        self.store = store
        self.redis = redis
        self.keys = keys
        self.records = records
        self.alerts: list[CompiledAlert] = []
        self.version: int | None = None

    async def refresh(self) -> None:
        version = await alerts_version(self.redis, self.keys)
        if version == self.version:
            return
        # The version is read before the alerts: a change in between makes the next
        # entry reload again, never leaves a stale set marked current.
        self.alerts = compile_alerts(await load_alerts(self.store))
        self.version = version
        log.info("alerts_loaded", alerts=len(self.alerts), version=version)

    async def handle_entry(self, fields: Fields) -> Forward | None:
        """An entry of the enriched stream, decoded only when an alert is loaded: with none
        (most installs), reading the stream costs a GET per entry. A malformed entry is
        the sink's to dead-letter, which reads the same stream: a letter from here too
        would be a second one for one entry (and a second copy on replay)."""
        await self.refresh()
        if not self.alerts:
            return None
        try:
            event = decode_event_entry(fields)
        except Rejected as refused:
            log.debug("not_an_event_left_to_the_sink", reason=refused.reason)
            return None
        return self._matched(event)

    async def handle(self, event: ArticleEvent) -> Forward | None:
        await self.refresh()
        return self._matched(event)

    def _matched(self, event: ArticleEvent) -> Forward | None:
        found = matching_alerts(self.alerts, event)
        if not found:
            return None
        now = datetime.now(UTC)
        matches = [
            RecordedMatch(match_of(a.name, event, now), a.webhook, a.once_per_story) for a in found
        ]
        return Forward(writes=lambda pipe: self.records.queue(pipe, matches))
