"""An analysis that needs Redis, added to the registry, is run by the stage's part on a real
Redis and listed in `analyses`; in process (no Redis) it is listed as not run."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from services.enricher.analysis import Analysis, Outcome, not_run
from services.enricher.enrich import enrich_event
from services.enricher.inputs import ArticleInputs
from services.enricher.redis_analyses import RedisAnalyses
from services.enricher.registry import ANALYSES
from shared.events import ArticleEvent
from shared.settings import Settings
from tests.unit.enricher.helpers import event_with

pytestmark = pytest.mark.integration


class SeenCount:
    """A toy shared state: how many times any replica has enriched this article id."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:toy:seen"

    async def analyse(self, event: ArticleEvent) -> Outcome:
        count = await self._redis.hincrby(self._key, event.id, 1)
        return Outcome({"times_seen": count})


def _without_redis(_: ArticleInputs) -> Outcome:
    return not_run("counts in Redis")


SEEN = Analysis(
    "seen",
    fills=("times_seen",),
    run=_without_redis,
    what="how many times the article was enriched",
    needs=frozenset({"redis"}),
    on_redis=SeenCount,
    detail="a hash in Redis",
)
REGISTRY = (*ANALYSES, SEEN)


async def test_an_extra_redis_analysis_runs_in_the_stage(settings: Settings, redis: Redis) -> None:
    stage = RedisAnalyses(redis, settings.stream_prefix, REGISTRY)
    in_process = enrich_event(event_with("The talks in Geneva will resume."), analyses=REGISTRY)
    assert in_process.enrichment is not None
    assert in_process.enrichment.analyses[-1].model_dump() == {
        "name": "seen",
        "ran": False,
        "detail": "counts in Redis",
    }

    first = await stage.run(in_process)
    again = await stage.run(in_process)

    assert first.enrichment is not None and again.enrichment is not None
    names = [r.name for r in again.enrichment.analyses]
    assert names == [a.name for a in REGISTRY]
    seen = again.enrichment.analyses[-1]
    assert seen.ran and seen.detail == "a hash in Redis"
    assert first.model_dump()["enrichment"]["times_seen"] == 1
    assert again.model_dump()["enrichment"]["times_seen"] == 2
    # The registry's own Redis analysis ran beside it, on the same client.
    duplicates = next(r for r in again.enrichment.analyses if r.name == "duplicates")
    assert duplicates.ran
    assert again.enrichment.duplicate_of is None  # the same id is no copy of itself
