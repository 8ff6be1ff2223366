"""An alert finds what the read side finds: the same queries, run by each store's search
and by the matcher the alerts stage runs over the same real enriched events, give the same
article ids (and none of the queries is trivially empty or everything)."""

from __future__ import annotations

import pytest

from services.alerts.matching import compile_alerts, matching_alerts
from shared.alerts.definition import AlertDefinition
from shared.store.article_store import ArticleStore
from tests.integration.alerts.support import enriched_events
from tests.integration.store.articles import article_event

pytestmark = pytest.mark.integration

EVENTS = enriched_events()

QUERIES: dict[str, dict[str, object]] = {
    "word": {"q": "rehab"},
    "words": {"q": "police shooting"},
    "phrase": {"q": '"Red Sox"'},
    "or": {"q": "earthquake OR tsunami"},
    "or-phrases": {"q": '"Tara Reid" OR "Lindsay Lohan"'},
    "not": {"q": "police -shooting"},
    "not-phrase": {"q": 'police -"Los Angeles"'},
    "source": {"sources": ["ecbplus"]},
    "sources-and-q": {"sources": ["ecbplus", "articles.latimes.com"], "q": "said"},
    "language": {"languages": ["ru", "ja"]},
    "country": {"countries": ["US"]},
    "countries": {"countries": ["GR", "TM"]},
    "entity": {"entities": ["teixeira"]},
    "topic-label": {"topics": ["Crime, Law and Justice"]},
    "topic-code": {"topics": ["medtop:15000000"]},
    "place": {"places": ["los angeles"]},
    "tone-negative": {"tone_max": -3},
    "tone-positive": {"tone_min": 2},
    "tone-band": {"tone_min": -1, "tone_max": 1},
    "tone-and-country": {"countries": ["US"], "tone_max": 0},
    "everything": {
        "q": "police OR court",
        "languages": ["en"],
        "topics": ["crime, law and justice"],
        "tone_max": 5,
    },
}


@pytest.mark.parametrize("name", QUERIES)
async def test_the_matcher_agrees_with_the_store(store: ArticleStore, name: str) -> None:
    for event in EVENTS:
        await store.upsert(event)
    definition = AlertDefinition.checked(name=name, query=QUERIES[name])
    searched = await store.search(definition.query.article_query(), total_cap=None)
    assert searched.total < len(EVENTS), "a query that finds everything checks nothing"
    by_store = {item.id for item in searched.items}
    alerts = compile_alerts([definition])
    by_matcher = {event.id for event in EVENTS if matching_alerts(alerts, event)}
    assert by_matcher == by_store
    assert by_store, "a query that finds nothing checks nothing"


@pytest.mark.parametrize("q", ["istanbul", "İstanbul", "ISTANBUL"])
async def test_a_dotted_capital_i_is_found_by_the_matcher_as_by_the_store(
    store: ArticleStore, q: str
) -> None:
    """Python lower-cases "İ" to two characters ("i" and a combining dot), which split no
    token but spell no word either; both stores fold it to "i"."""
    turkish = article_event(
        1, "İstanbul'da deprem", "Kandilli: İSTANBUL sallandı.", published=None, language="tr"
    )
    other = article_event(2, "Ankara", "Meclis toplandı.", published=None, language="tr")
    for event in (turkish, other):
        await store.upsert(event)
    definition = AlertDefinition.checked(name="istanbul", query={"q": q})
    searched = await store.search(definition.query.article_query(), total_cap=None)
    alerts = compile_alerts([definition])
    by_matcher = {event.id for event in (turkish, other) if matching_alerts(alerts, event)}
    assert {item.id for item in searched.items} == by_matcher == {turkish.id}
