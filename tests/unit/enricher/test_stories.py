"""Story assignment's algorithm without Redis: features, scoring, the assigner over the
in-memory index (the Redis index has its own tests in tests/integration/test_stories.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

import pytest

from services.enricher.bcubed import bcubed
from services.enricher.stories import StoryAssigner, story_id_for
from services.enricher.story_index import Commit, MemoryStoryIndex, Snapshot
from services.enricher.story_scoring import (
    ArticleTime,
    StoryProfile,
    best_match,
    channel,
    cosine,
    is_open,
    joined,
    started,
    tfidf_vector,
)
from tests.unit.enricher.story_events import (
    DAY,
    QUAKE_A,
    QUAKE_A2,
    QUAKE_B,
    T0,
    features_of,
    story_event,
    story_features,
)


def test_title_and_lead_weigh_more_than_the_body() -> None:
    weights = story_features("a", "Flood in Dnipro", "Lead line.\n\nBody mentions rain.").weights
    assert weights["w:flood"] > weights["w:rain"]
    assert weights["w:lead"] > weights["w:rain"]


def test_a_lead_the_parser_took_from_the_text_is_weighed_once() -> None:
    # The parser gives the first paragraph as the lead and keeps it in the text; the
    # corpus and many publishers give no lead. Both must weigh alike.
    text = "Flood hits Dnipro overnight.\n\nRain kept falling."
    without_lead = features_of(story_event("a", "Flood", text))
    event = story_event("b", "Flood", text)
    assert event.article is not None
    event.article.lead = "Flood hits Dnipro overnight."
    assert features_of(event).weights == without_lead.weights


def test_numbers_and_names_are_features_and_places_are_by_geonames_id() -> None:
    english = story_features(
        "en",
        "Strike on Kyiv",
        "At 3 a.m. 1,200 homes lost power.",
        people=("Vitali Klitschko",),
        places=(("Kyiv", 703448),),
    )
    ukrainian = story_features(
        "uk",
        "Удар по Києву",
        "Без світла 1200 будинків.",
        places=(("Київ", 703448),),
        language="uk",
    )
    assert "n:1200" in english.weights and "n:1200" in ukrainian.weights
    # A person is their last name: later mentions say "Klitschko" alone.
    assert "e:klitschko" in english.weights
    # One place in two languages is one feature; so is the focus country.
    assert {"p:703448", "c:UA"} <= set(english.weights) & set(ukrainian.weights)


def test_the_months_of_years_the_text_names_are_features_of_the_names_channel() -> None:
    weights = story_features(
        "a",
        "Updated: November 11, 2011 20: 09 IST",
        "Navy foils pirate attack.\n\nThe first attack, on 12 / 13 / 08, was repulsed.",
    ).weights
    assert {"t:2011-11", "t:2008-12"} <= set(weights)
    assert channel("t:2011-11") == "named"


def test_the_time_is_the_arrival_and_the_published_time_when_there_is_one() -> None:
    event = story_event("a", *QUAKE_A, at=T0)
    assert features_of(event).time == ArticleTime(T0.timestamp(), None)
    assert event.article is not None
    published = T0 - timedelta(days=3)
    event.article.published_at = published
    assert features_of(event).time == ArticleTime(T0.timestamp(), published.timestamp())


def test_cosine_weighs_words_numbers_and_names_by_their_shares() -> None:
    vector = tfidf_vector({"w:quake": 1.0, "n:23": 1.0, "e:tabriz": 1.0}, {}, 10)
    assert cosine(vector, {"w:quake": 2.0, "n:23": 1.0, "e:tabriz": 1.0}) == pytest.approx(1.0)
    only_words = cosine(vector, {"w:quake": 1.0})
    only_numbers = cosine(vector, {"n:23": 1.0})
    only_names = cosine(vector, {"e:tabriz": 1.0})
    assert (only_words, only_numbers, only_names) == pytest.approx((0.5, 0.2, 0.3))
    # An article without numbers or names is scored on its words alone.
    assert cosine(tfidf_vector({"w:quake": 1.0}, {}, 10), {"w:quake": 1.0}) == 1.0


def test_numbers_are_a_channel_of_their_own() -> None:
    # Among the words of a long text another event's toll would cost 1/41 of the score
    # (0.98 would be left); on a channel of its own it costs the numbers' share.
    words = {f"w:word{k}": 1.0 for k in range(40)}
    article = tfidf_vector({**words, "n:26": 1.0}, {}, 10)
    same_kind = tfidf_vector({**words, "n:23": 1.0}, {}, 10)
    assert channel("n:26") == "numbers"
    assert cosine(article, same_kind) == pytest.approx(0.5 / (0.5 + 0.2))


def test_a_story_closes_after_its_quiet_period_either_side() -> None:
    story = StoryProfile("s", 2, first=1000.0, last=5000.0, centroid={"w:x": 1.0})
    assert is_open(story, ArticleTime(5000.0 + DAY), DAY)
    assert is_open(story, ArticleTime(1000.0 - DAY), DAY)
    assert not is_open(story, ArticleTime(5001.0 + DAY), DAY)
    late = ArticleTime(5001.0 + DAY)
    assert best_match({"w:x": 1.0}, [story], time=late, quiet_s=DAY, threshold=0.1) is None


YEARS = 5 * 365 * DAY


def test_times_are_compared_on_one_clock_published_with_published_else_arrival() -> None:
    # A story of articles published five years before they arrived (an archive).
    dated = StoryProfile("s", 2, 10 * YEARS, 10 * YEARS + 60, {}, 5 * YEARS, 5 * YEARS + DAY)
    # A dated article: against the story's published span, wherever its arrival.
    assert is_open(dated, ArticleTime(10 * YEARS, 5 * YEARS + 2 * DAY), DAY)
    assert not is_open(dated, ArticleTime(10 * YEARS, 5 * YEARS + 3 * DAY), DAY)
    # An undated article has only its arrival: against the story's arrival span, not
    # years away from the published one.
    assert is_open(dated, ArticleTime(10 * YEARS + 3600), DAY)
    assert not is_open(dated, ArticleTime(10 * YEARS + 2 * DAY), DAY)
    # A dated article meeting a story none of whose articles is dated: by arrival too.
    undated = StoryProfile("u", 2, 10 * YEARS, 10 * YEARS + 60, {})
    assert is_open(undated, ArticleTime(10 * YEARS + 3600, 5 * YEARS), DAY)
    assert not is_open(undated, ArticleTime(10 * YEARS + 2 * DAY, 10 * YEARS), DAY)


def test_joining_adds_the_vector_and_keeps_the_heaviest() -> None:
    first = started("s", {"w:a": 1.0}, ArticleTime(10.0))
    story = joined(first, {"w:a": 0.6, "w:b": 0.8}, ArticleTime(20.0, 5.0))
    assert (story.size, story.first, story.last) == (2, 10.0, 20.0)
    assert (story.published_first, story.published_last) == (5.0, 5.0)
    assert story.centroid == {"w:a": 1.6, "w:b": 0.8}
    assert StoryProfile.from_json("s", story.to_json()) == story


async def test_the_same_event_joins_and_the_same_kind_of_event_starts_its_own() -> None:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=0.25, quiet_s=2 * DAY)
    first = await assigner.assign(story_features("a1", *QUAKE_A, places=(("Tabriz", 113646),)))
    second = await assigner.assign(story_features("a2", *QUAKE_A2, places=(("Tabriz", 113646),)))
    other = await assigner.assign(story_features("b1", *QUAKE_B, places=(("Jakarta", 1642911),)))
    assert first.new and first.id == story_id_for("a1") and first.size == 1
    assert not second.new and second.id == first.id and second.size == 2
    assert second.score is not None and second.score >= 0.25
    assert other.new and other.id != first.id


async def test_after_the_quiet_period_the_same_words_start_a_new_story() -> None:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=0.25, quiet_s=DAY)
    first = await assigner.assign(story_features("a1", *QUAKE_A))
    later = await assigner.assign(story_features("a2", *QUAKE_A2, at=T0 + timedelta(days=2)))
    assert later.new and later.id != first.id


async def test_an_undated_article_joins_a_dated_story_by_arrival_not_years_away() -> None:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=0.25, quiet_s=2 * DAY)
    long_ago = T0 - timedelta(days=5 * 365)
    archived = await assigner.assign(story_features("a1", *QUAKE_A, published=long_ago))
    undated = await assigner.assign(story_features("a2", *QUAKE_A2, at=T0 + timedelta(hours=1)))
    dated = await assigner.assign(
        story_features("a3", *QUAKE_A2, published=long_ago + timedelta(days=1))
    )
    # The same words published four years later are another event, though they arrive now.
    other_year = await assigner.assign(
        story_features("a4", *QUAKE_A2, published=long_ago + timedelta(days=4 * 365))
    )
    assert undated.id == archived.id and dated.id == archived.id and dated.size == 3
    assert other_year.new


async def test_a_near_duplicate_joins_its_originals_story_whatever_the_score() -> None:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=0.99, quiet_s=DAY)
    original = await assigner.assign(story_features("a1", *QUAKE_A))
    copy = await assigner.assign(story_features("a2", *QUAKE_A2, duplicate_of="a1"))
    assert copy.id == original.id and copy.size == 2


async def test_an_article_assigned_again_lands_in_the_same_story() -> None:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=0.25, quiet_s=DAY)
    first = await assigner.assign(story_features("a1", *QUAKE_A))
    await assigner.assign(story_features("a2", *QUAKE_A2))
    again = await assigner.assign(story_features("a1", *QUAKE_A))
    assert again.id == first.id and again.new and again.size == 2


class _RoundingIndex(MemoryStoryIndex):
    """An index whose query weights come out a rounding off the assigner's."""

    async def snapshot(
        self,
        article_id: str,
        duplicate_of: str | None,
        weights: Mapping[str, float],
        at: float,
        window_s: float,
    ) -> Snapshot:
        found = await super().snapshot(article_id, duplicate_of, weights, at, window_s)
        query = {feature: weight * (1 + 1e-12) for feature, weight in found.query.items()}
        return replace(found, query=query, candidates=())


async def test_candidates_read_for_another_query_than_the_assigners_are_read_again() -> None:
    assigner = StoryAssigner(_RoundingIndex(), threshold=0.25, quiet_s=2 * DAY)
    first = await assigner.assign(story_features("a1", *QUAKE_A))
    second = await assigner.assign(story_features("a2", *QUAKE_A2))
    assert not second.new and second.id == first.id


async def test_a_commit_over_a_changed_read_conflicts() -> None:
    index = MemoryStoryIndex()
    article = story_features("a1", *QUAKE_A)
    at = article.time.received
    snapshot = await index.snapshot("a1", None, article.weights, at, DAY)
    # Another replica starts a story under the same features after this one read.
    other = started("s-other", {"w:tabriz": 1.0}, article.time)
    await index.commit(Commit("b1", other, ["w:tabriz"], ["w:tabriz"], at, DAY), 0)
    mine = started("s-mine", {"w:tabriz": 1.0}, article.time)
    change = Commit("a1", mine, ["w:tabriz"], ["w:tabriz"], at, DAY)
    assert (await index.commit(change, snapshot.version)).outcome == "conflict"
    assert (await index.commit(change, None)).outcome == "committed"


def test_bcubed_scores_a_known_clustering() -> None:
    gold = {"1": "a", "2": "a", "3": "b", "4": "b"}
    assert bcubed(gold, gold).f1 == 1.0
    singletons = bcubed({k: k for k in gold}, gold)
    assert (singletons.precision, singletons.recall) == (1.0, 0.5)
    lumped = bcubed({k: "x" for k in gold}, gold)
    assert (lumped.precision, lumped.recall) == (0.5, 1.0)
    assert lumped.f1 == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        bcubed({"1": "a"}, gold)
