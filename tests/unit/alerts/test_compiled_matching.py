"""The matcher alerts run, without Redis or a store: a query compiled once matches what
the read side's rules say, over an event read once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.alerts.matching import compile_alerts, match_of, matching_alerts
from shared.alerts.definition import AlertDefinition, AlertQuery
from shared.article_match import ArticleFacts, CompiledQuery, matches
from shared.events import ArticleEvent, StoryLink
from shared.store.article_query import ArticleQuery
from tests.integration.store.articles import ARTICLES, WAR, article_event

EVENT = article_event(
    1,
    "Troops from North Korea in Russia",
    "Seoul said North Korean troops fought in Kursk. The troops were seen near the border; "
    "Korea's north denies it.",
    published=datetime(2024, 11, 1, tzinfo=UTC),
    countries=("KP", "RU"),
    entities=("Kim Jong Un",),
    topics=(WAR,),
    places=("Kursk",),
    tone=-4.0,
)


def hit(**fields: object) -> bool:
    query = ArticleQuery.checked(**fields)
    compiled = CompiledQuery.of(query)
    assert compiled.matches(ArticleFacts(EVENT)) == matches(query, EVENT)
    return compiled.matches(ArticleFacts(EVENT))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"q": "troops"}, True),
        ({"q": "TROOPS korea"}, True),
        ({"q": "troops tanks"}, False),
        ({"q": '"north korea"'}, True),
        ({"q": '"north korean troops"'}, True),
        ({"q": '"korea north"'}, False),  # the tokens, but not in that order
        ({"q": '"troops fought in kursk"'}, True),
        ({"q": '"russia seoul"'}, True),  # the title's end runs into the text, as in PostgreSQL
        ({"q": "tanks OR kursk"}, True),
        ({"q": 'tanks OR "kursk border"'}, False),
        ({"q": "troops -tanks"}, True),
        ({"q": 'troops -"north korea"'}, False),
        ({"countries": ["ru"]}, True),
        ({"countries": ["UA"]}, False),
        ({"entities": ["KIM JONG UN"]}, True),
        ({"places": ["kursk"]}, True),
        ({"topics": ["medtop:16000000"]}, True),
        ({"topics": ["Conflict, War and Peace"]}, True),
        ({"topics": ["economy, business and finance"]}, False),
        ({"sources": ["UNN"]}, True),
        ({"sources": ["unn"]}, False),  # a source is matched as stored, as SQL does
        ({"languages": ["EN"]}, True),
        ({"tone_max": -4}, True),
        ({"tone_max": -4.5}, False),
        ({"tone_min": -4, "tone_max": 0}, True),
        ({"tone_min": -3.9}, False),
        ({"date_from": "2024-11-01"}, True),
        ({"date_to": "2024-10-31"}, False),
        ({"q": "troops", "countries": ["KP"], "tone_max": 0, "entities": ["kim jong un"]}, True),
    ],
)
def test_compiled_query_follows_the_read_side_s_rules(
    fields: dict[str, object], expected: bool
) -> None:
    assert hit(**fields) is expected


def test_an_article_without_a_tone_is_outside_every_tone_range() -> None:
    toneless = article_event(2, "t", "troops", published=None, tone=None)
    assert not CompiledQuery.of(ArticleQuery(tone_min=-100)).matches(ArticleFacts(toneless))
    assert CompiledQuery.of(ArticleQuery(q="troops")).matches(ArticleFacts(toneless))


def test_an_event_without_article_or_enrichment_matches_only_the_empty_query() -> None:
    bare = ArticleEvent.model_validate(
        {"id": "x", "trace_id": "t", "source": {}, "raw": {"content_type": "text/plain"}}
    )
    assert CompiledQuery.of(ArticleQuery()).matches(ArticleFacts(bare))
    for fields in ({"q": "x"}, {"countries": ["KP"]}, {"tone_max": 0}, {"topics": ["war"]}):
        assert not CompiledQuery.of(ArticleQuery.checked(**fields)).matches(ArticleFacts(bare))


def test_many_alerts_over_one_event_read_once() -> None:
    alerts = compile_alerts(
        [
            AlertDefinition.checked(name="a", query={"q": "missile"}),
            AlertDefinition.checked(name="b", query={"countries": ["KR"]}),
            AlertDefinition.checked(
                name="c",
                query={"q": "apple"},
                webhook={"url": "https://example.org/h", "secret": "0123456789abcdef"},
            ),
        ]
    )
    found = {e.id: [a.name for a in matching_alerts(alerts, e)] for e in ARTICLES}
    assert found == {
        "art001": ["a", "b"], "art002": ["a"], "art003": ["a", "b"], "art004": ["c"],
        "art005": ["c"], "art006": ["a"],
    }  # fmt: skip
    assert [a.webhook for a in alerts] == [False, False, True]


def test_a_stored_alert_that_no_longer_checks_is_left_out_not_fatal() -> None:
    good = AlertDefinition.checked(name="good", query={"q": "missile"})
    # Stored by a release with other rules: bypasses `checked`, as loading from the store does.
    broken = AlertDefinition(name="broken", query=AlertQuery(q="-only -negatives"))
    assert [a.name for a in compile_alerts([broken, good])] == ["good"]


def test_the_match_entry_carries_the_article_and_the_idempotency_key() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    match = match_of("kp", EVENT, now)
    assert match.model_dump(mode="json") == {
        "alert": "kp",
        "article_id": "art001",
        "title": "Troops from North Korea in Russia",
        "url": "https://example.com/1",
        "source": "UNN",
        "published_at": "2024-11-01T00:00:00Z",
        "story_id": None,
        "matched_at": "2026-12-02T00:00:00Z",
        "idempotency_key": "kp:art001",
        "trace_id": EVENT.trace_id,
    }
    assert EVENT.enrichment is not None
    link = StoryLink(id="s1", size=2, new=False)
    in_story = EVENT.model_copy(
        update={"enrichment": EVENT.enrichment.model_copy(update={"story": link})}
    )
    assert match_of("kp", in_story, now).story_id == "s1"


def test_alerts_compile_with_their_once_per_story_choice() -> None:
    every = AlertDefinition.checked(name="every", query={"q": "missile"})
    per_story = AlertDefinition.checked(name="per", query={"q": "missile"}, once_per_story=True)
    assert every.once_per_story is False
    compiled = compile_alerts([every, per_story])
    assert [a.once_per_story for a in compiled] == [False, True]
    assert per_story.public_view()["once_per_story"] is True
