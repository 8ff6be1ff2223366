"""The registry's analyses that need Redis, run by the stage on each enriched event.

Their state (near-duplicates' index) is shared by every enricher replica and outlives
restarts, so it lives in Redis; `enrich_event` stays Redis-free for the CLI, and records
them as not run. The stage replaces those records with what it ran, in registry order.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from services.enricher.analysis import Analysis, OnRedis
from services.enricher.registry import ANALYSES
from shared.events import AnalysisRun, ArticleEvent


class RedisAnalyses:
    """Every analysis of the registry that needs Redis, opened on one client the stage owns."""

    def __init__(
        self, redis: Redis, stream_prefix: str, analyses: Sequence[Analysis] = ANALYSES
    ) -> None:
        self._redis = redis
        self._opened: list[tuple[Analysis, OnRedis]] = [
            (analysis, analysis.on_redis(redis, stream_prefix))
            for analysis in analyses
            if analysis.on_redis is not None
        ]

    async def close(self) -> None:
        await self._redis.aclose()

    async def run(self, event: ArticleEvent) -> ArticleEvent:
        """The enriched event with the Redis analyses' fields and runs filled in."""
        enrichment = event.enrichment
        if enrichment is None or event.article is None:
            return event
        language = enrichment.language.code if enrichment.language else "und"
        for analysis, opened in self._opened:
            if not analysis.runs_for(language):
                continue  # enrich_event already recorded why
            # Each sees what the ones before it filled (stories read `duplicate_of`).
            outcome = await opened.analyse(event)
            runs = _replaced(enrichment.analyses, analysis.record(outcome))
            enrichment = enrichment.model_copy(update={**outcome.fields, "analyses": runs})
            event = event.model_copy(update={"enrichment": enrichment})
        return event


def _replaced(runs: list[AnalysisRun], run: AnalysisRun) -> list[AnalysisRun]:
    if not any(r.name == run.name for r in runs):
        return [*runs, run]
    return [run if r.name == run.name else r for r in runs]
