"""The rows `/api/export` writes: one per matching article, as CSV (default) or JSON lines.

CSV columns, in this order (lists joined with `; `):

    id, url, title, source, publisher, language, published_at (ISO 8601), countries
    (alpha-2 codes), entities (the top ones' texts), topics (IPTC labels), tone

JSON lines: one article summary per line, the items of `/api/articles` without the snippet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Literal

import orjson

from shared.store.read_models import ArticleSummary

ExportFormat = Literal["csv", "jsonl"]

CSV_COLUMNS: tuple[str, ...] = (
    "id", "url", "title", "source", "publisher", "language", "published_at",
    "countries", "entities", "topics", "tone",
)  # fmt: skip
MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
}
# Rows per chunk written to the socket: big enough that a chunk is not one syscall per row.
_ROWS_PER_CHUNK = 200


def csv_cells(summary: ArticleSummary) -> list[str]:
    return [
        summary.id,
        _spreadsheet_safe(summary.url or ""),
        _spreadsheet_safe(summary.title or ""),
        _spreadsheet_safe(summary.source or ""),
        _spreadsheet_safe(summary.publisher or ""),
        summary.language or "",
        summary.published_at.isoformat() if summary.published_at else "",
        "; ".join(summary.countries),
        _spreadsheet_safe("; ".join(entity.text for entity in summary.entities)),
        _spreadsheet_safe("; ".join(topic.label for topic in summary.topics)),
        "" if summary.tone is None else f"{summary.tone:g}",
    ]


def _spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading
    apostrophe: titles and names are other people's text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def jsonl_line(summary: ArticleSummary) -> bytes:
    return orjson.dumps(summary.model_dump(mode="json", exclude={"snippet"})) + b"\n"


async def export_chunks(
    summaries: AsyncIterator[ArticleSummary], export_format: ExportFormat
) -> AsyncIterator[bytes]:
    """The export as chunks of bytes, a bounded number of rows at a time."""
    if export_format == "csv":
        yield csv_text([list(CSV_COLUMNS)]).encode()
    batch: list[ArticleSummary] = []
    async for summary in summaries:
        batch.append(summary)
        if len(batch) >= _ROWS_PER_CHUNK:
            yield _encoded(batch, export_format)
            batch = []
    if batch:
        yield _encoded(batch, export_format)


def _encoded(batch: list[ArticleSummary], export_format: ExportFormat) -> bytes:
    if export_format == "csv":
        return csv_text(csv_cells(summary) for summary in batch).encode()
    return b"".join(jsonl_line(summary) for summary in batch)
