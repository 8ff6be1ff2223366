"""Scraped plain text -> article: the page chrome a scraper left in is recognised by shape
(a date header, a `City • Publisher` dateline, a view counter), not by the words of one site."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shared.errors import Rejected
from shared.events import Article

_DATE_HEADER = re.compile(r"^\s*(?:date|published|posted|updated)?[:\s]*(\d{4}-\d{2}-\d{2})\b", re.I)
_DATELINE = re.compile(r"^\s*([^\s•|][^•|]{0,60}?)\s*[•|]\s*([^•|]{1,60}?)\s*$")
_VIEWS = re.compile(r"^\s*[•|]?\s*([\d\s.,]+)\s+views?\s*$", re.I)
_MAX_TITLE_CHARS = 300


def parse_plain_text(text: str) -> Article:
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise Rejected("no_text", "the plain text is empty")

    published_at: datetime | None = None
    dateline: str | None = None
    publisher: str | None = None
    views: int | None = None
    body: list[str] = []
    for paragraph in paragraphs:
        if published_at is None and (match := _DATE_HEADER.match(paragraph)) and len(
            paragraph
        ) < 80:
            published_at = _day(match.group(1))
            continue
        if views is None and (match := _VIEWS.match(paragraph)):
            views = int(re.sub(r"\D", "", match.group(1)) or 0)
            continue
        if dateline is None and (match := _DATELINE.match(paragraph)):
            dateline, publisher = match.group(1).strip(), match.group(2).strip()
            continue
        body.append(paragraph)

    if not body:
        raise Rejected("no_text", "the plain text holds only page chrome")
    title: str | None = None
    if len(body) > 1 and len(body[0]) <= _MAX_TITLE_CHARS:
        title = body.pop(0)
        # Scrapers often keep the headline a second time, as the lead image's caption.
        body = [p for p in body if p != title]
    return Article(
        title=title,
        text="\n\n".join(body),
        lead=body[0] if body else None,
        published_at=published_at,
        dateline=dateline,
        publisher=publisher,
        views=views,
        extractor="plaintext",
    )


def split_paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; inside a block, each line is its own paragraph
    unless the block is hard-wrapped prose (long lines that stop mid-sentence)."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.splitlines()]
        lines = [line for line in lines if line]
        if _hard_wrapped(lines):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return paragraphs


def _hard_wrapped(lines: list[str]) -> bool:
    return len(lines) > 1 and all(
        40 <= len(line) <= 100 and not line.endswith((".", "!", "?", ":", '"', "”"))
        for line in lines[:-1]
    )


def _day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
