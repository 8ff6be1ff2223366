"""shared.article_match.matches picks the same articles as the stores' search."""

from __future__ import annotations

import pytest

from shared.article_match import matches
from shared.store.article_query import ArticleQuery
from shared.store.article_store import ArticleStore
from tests.integration.store.articles import ARTICLES

pytestmark = pytest.mark.integration

QUERIES: list[dict[str, object]] = [
    {},
    {"q": "Pyongyang"},
    {"q": "missile -Pyongyang"},
    {"q": '"North Korea"'},
    {"q": "harvest OR Moscow"},
    {"q": "pyongyang", "countries": ["KP"], "date_from": "2020-01-01", "date_to": "2020-01-31"},
    {"countries": ["KR", "RU"]},
    {"entities": ["kim jong un"], "countries": ["RU"]},
    {"topics": ["medtop:04000000"]},
    {"topics": ["Conflict, War and Peace"]},
    {"places": ["moscow"]},
    {"sources": ["Local"]},
    {"languages": ["ru"]},
    {"date_from": "2020-02-02T15:00:00Z", "date_to": "2020-02-02T17:00:00Z"},
    {"date_from": "2020-02-03"},
    {"tone_max": -2},
    {"tone_min": 0},
    {"tone_min": -1, "tone_max": -1},
    {"tone_min": -100},
    {"q": "missile", "tone_max": 0},
    {"q": '"missile news" OR "apple harvest"'},
    {"q": "markets -calm"},
]


@pytest.mark.parametrize("fields", QUERIES)
async def test_matches_agrees_with_search(store: ArticleStore, fields: dict[str, object]) -> None:
    for event in ARTICLES:
        await store.upsert(event)
    query = ArticleQuery.checked(**fields, limit=200)
    searched = {item.id for item in (await store.search(query)).items}
    assert {event.id for event in ARTICLES if matches(query, event)} == searched
