"""Stories as an enrichment analysis: run by the stage on its Redis, after near-duplicates
(whose `duplicate_of` it reads), filling `enrichment.story`."""

from __future__ import annotations

from redis.asyncio import Redis

from services.enricher.analysis import Outcome
from services.enricher.stories import StoryAssigner
from services.enricher.story_features import article_features
from services.enricher.story_index_redis import RedisStoryIndex
from shared.events import ArticleEvent
from shared.settings import Settings, get_settings


class StoryAnalysis:
    def __init__(self, redis: Redis, prefix: str, settings: Settings | None = None) -> None:
        # The registry opens analyses on (client, prefix); the settings are the process's.
        settings = settings or get_settings()
        self._assigner = StoryAssigner(
            RedisStoryIndex(redis, prefix),
            threshold=settings.story_threshold,
            quiet_s=settings.story_quiet_s,
        )

    async def analyse(self, event: ArticleEvent) -> Outcome:
        features = article_features(event)
        if features is None:
            return Outcome()
        return Outcome({"story": await self._assigner.assign(features)})
