"""What a feed or sitemap said about a page, used only where the page itself says nothing.

The fetcher keeps the hints beside the source (`source.hints`: title, published_at,
language, summary). The page stays the authority: a hint fills a field the page left
empty and never overrides what the page states.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.parser.dates import ahead
from shared.events import Article, Source


def with_hints(article: Article, source: Source) -> Article:
    hints: Any = (source.model_extra or {}).get("hints")
    if not isinstance(hints, dict):
        return article
    update: dict[str, object] = {}
    title = _text(hints.get("title"))
    if not article.title and title:
        update["title"] = title
    published_at = _datetime(hints.get("published_at"))
    # A date in the future (a feed's typo, 2099) would head every newest-first listing for
    # good; an old one is kept, as a submission may mean it (an archive's article).
    if article.published_at is None and published_at is not None and not ahead(published_at):
        update["published_at"] = published_at
    language = _text(hints.get("language"))
    if not article.language and language:
        update["language"] = language.lower()
    return article.model_copy(update=update) if update else article


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str):
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found
