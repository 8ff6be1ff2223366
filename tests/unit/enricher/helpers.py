"""Building events around hand-written texts."""

from __future__ import annotations

from services.enricher.enrich import enrich_event
from shared.events import Article, ArticleEvent, Enrichment, Raw, Source


def event_with(text: str, *, title: str | None = None, dateline: str | None = None) -> ArticleEvent:
    return ArticleEvent(
        id="test-article",
        trace_id="test-trace",
        source=Source(),
        raw=Raw(),
        article=Article(text=text, title=title, dateline=dateline),
    )


def enrich_text(text: str, *, title: str | None = None, dateline: str | None = None) -> Enrichment:
    enrichment = enrich_event(event_with(text, title=title, dateline=dateline)).enrichment
    assert enrichment is not None
    return enrichment
