"""Article body and metadata out of an HTML page, with trafilatura."""

from __future__ import annotations

from datetime import UTC, datetime

import trafilatura

from shared.errors import Rejected
from shared.events import Article


def extract_html(html: str, url: str | None = None) -> Article:
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if document is None or not (document.text or "").strip():
        raise Rejected("no_text", "no article text found in the HTML page")
    paragraphs = [line.strip() for line in document.text.splitlines() if line.strip()]
    return Article(
        title=document.title or None,
        text="\n\n".join(paragraphs),
        lead=document.description or None,
        authors=_authors(document.author),
        published_at=_date(document.date),
        language=document.language or None,
        canonical_url=document.url or None,
        publisher=document.sitename or None,
        categories=list(document.categories or []),
        tags=list(document.tags or []),
        image_url=document.image or None,
        extractor="trafilatura",
    )


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name.strip() for name in value.split(";") if name.strip()]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
