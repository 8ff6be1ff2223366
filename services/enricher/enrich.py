"""The enricher's work on one event: what the text says about itself."""

from __future__ import annotations

import re

from shared.errors import Rejected
from shared.events import ArticleEvent, Enrichment, utc_now
from services.enricher.language import detect_language

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# Adult silent-reading speed for non-fiction; the figure news sites use for "N min read".
_WORDS_PER_MINUTE = 230


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def enrich_event(event: ArticleEvent) -> ArticleEvent:
    if event.article is None:
        raise Rejected("not_parsed", "the event has no article section to enrich")
    text = event.article.text
    if event.article.title:
        text_for_language = f"{event.article.title}\n{text}"
    else:
        text_for_language = text
    words = count_words(text)
    enrichment = Enrichment(
        language=detect_language(text_for_language),
        word_count=words,
        reading_time_s=round(words * 60 / _WORDS_PER_MINUTE),
    )
    return event.model_copy(
        update={
            "enrichment": enrichment,
            "timestamps": event.timestamps.model_copy(update={"enriched_at": utc_now()}),
        }
    )
