"""Enriched articles in stories, for the stories endpoints' tests: a quake told by three
articles from two sources, a vote by two, one of which merged an older vote story."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.events import ArticleEvent, StoryLink
from tests.api.articles import POLITICS, enriched


def in_story(event: ArticleEvent, story_id: str, *merged: str) -> ArticleEvent:
    assert event.enrichment is not None
    link = StoryLink(id=story_id, size=1, new=not merged, merged=list(merged))
    return event.model_copy(
        update={"enrichment": event.enrichment.model_copy(update={"story": link})}
    )


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 3, day, hour, tzinfo=UTC)


QUAKE = [
    in_story(
        enriched(
            "q-1",
            title="Strong quake shakes Izmir",
            text="A strong earthquake shook Izmir on Friday.",
            published_at=_at(1, 8),
            source="Reuters",
            countries=("TR",),
            entities=(("place", "Izmir"),),
        ),
        "s-quake",
    ),
    in_story(
        enriched(
            "q-2",
            title="Izmir quake: rescuers search rubble",
            text="Rescuers searched the rubble in Izmir after the earthquake.",
            published_at=_at(1, 10),
            source="AP",
            countries=("TR", "GR"),
            entities=(("place", "Izmir"),),
        ),
        "s-quake",
    ),
    in_story(
        enriched(
            "q-3",
            title="Aftershocks hit Izmir",
            text="Aftershocks hit Izmir a day after the earthquake.",
            published_at=_at(2),
            source="Reuters",
            language="tr",
            countries=("TR",),
        ),
        "s-quake",
    ),
]
VOTE = [
    in_story(
        enriched(
            "v-1",
            title="Parliament votes on the budget",
            text="Parliament voted on the budget in Athens.",
            published_at=_at(5),
            source="ERT",
            countries=("GR",),
            topics=(POLITICS,),
        ),
        "s-vote-old",
    ),
    in_story(
        enriched(
            "v-2",
            title="Budget passes",
            text="The budget passed the parliament in Athens.",
            published_at=_at(6),
            source="Kathimerini",
            countries=("GR",),
            topics=(POLITICS,),
        ),
        "s-vote",
        "s-vote-old",
    ),
]
IN_STORIES = (*QUAKE, *VOTE)
