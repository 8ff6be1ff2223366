"""Turn a raw submission (and, for a URL, what was downloaded) into the first event."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

from services.fetcher.charset import page_charset
from services.fetcher.download import Download
from shared.errors import Rejected
from shared.events import (
    ArticleEvent,
    Raw,
    RawSubmission,
    Source,
    Timestamps,
    article_id_for_url,
    new_trace_id,
    utc_now,
)
from shared.media_type import media_type_of
from shared.secret_text import masked_urls
from shared.submission_ids import article_id_of, origin_url
from shared.urls import normalize_url


def event_from_content(
    submission: RawSubmission, *, max_bytes: int, now: datetime | None = None
) -> ArticleEvent:
    """Content already in hand: passed on as it is, id from its URL if given, else its text."""
    content = submission.content or ""
    size = len(content.encode("utf-8"))
    if size > max_bytes:
        raise Rejected("too_large", f"content is {size} bytes, the limit is {max_bytes}")
    now = now or utc_now()
    url = origin_url(submission)
    return ArticleEvent(
        id=article_id_of(submission),
        trace_id=submission.trace_id or new_trace_id(),
        source=source_of(submission, url, now),
        raw=Raw(
            # As the submitter declared it, or absent: the parser decides what the text is.
            content_type=media_type_of(submission.content_type),
            encoding="utf-8",
            content=content,
            size_bytes=size,
            sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        ),
        timestamps=Timestamps(received_at=now, fetched_at=now),
    )


def event_from_bytes(
    submission: RawSubmission, *, max_bytes: int, now: datetime | None = None
) -> ArticleEvent:
    """Bytes downloaded earlier (a web archive's response): passed on as a download is, with
    the charset decided the same way from the bytes and what was declared with them."""
    url = origin_url(submission)
    if url is None:
        raise Rejected("invalid_url", "content_b64 needs the http(s) `url` it was fetched from")
    try:
        body = base64.b64decode(submission.content_b64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected("invalid_content", f"content_b64 is not base64: {exc}") from exc
    if len(body) > max_bytes:
        raise Rejected("too_large", f"content is {len(body)} bytes, the limit is {max_bytes}")
    now = now or utc_now()
    return ArticleEvent(
        id=article_id_for_url(url),
        trace_id=submission.trace_id or new_trace_id(),
        source=source_of(submission, url, now),
        raw=Raw(
            content_type=media_type_of(submission.content_type),
            encoding=page_charset(body, submission.charset),
            content_b64=submission.content_b64,
            final_url=submission.url,
            size_bytes=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        ),
        timestamps=Timestamps(received_at=now, fetched_at=now),
    )


def event_from_download(
    submission: RawSubmission, download: Download, *, now: datetime | None = None
) -> ArticleEvent:
    now = now or utc_now()
    url = normalize_url(download.final_url)
    return ArticleEvent(
        id=article_id_for_url(url),
        trace_id=submission.trace_id or new_trace_id(),
        source=source_of(submission, url, now),
        raw=Raw(
            content_type=download.content_type,
            encoding=download.charset,
            content_b64=base64.b64encode(download.body).decode("ascii"),
            fetched_url=download.requested_url,
            final_url=download.final_url,
            status_code=download.status_code,
            size_bytes=len(download.body),
            sha256=hashlib.sha256(download.body).hexdigest(),
        ),
        timestamps=Timestamps(received_at=now, fetched_at=utc_now()),
    )


def source_of(submission: RawSubmission, url: str | None, now: datetime) -> Source:
    """The source section, with what a feed said about the page (`feed_url`, `hints`) kept
    beside it: `Source` keeps fields it does not declare."""
    extra: dict[str, object] = {}
    if submission.feed_url:
        # Stored and shown by the open read side (and on every stream after this): a
        # feed's credential (a password, an ?api_key=) stays with whoever added the feed.
        extra["feed_url"] = masked_urls(submission.feed_url)
    hints = {
        "title": submission.hint_title,
        "published_at": submission.hint_published_at,
        "summary": submission.hint_summary,
        "captured_at": submission.hint_captured_at,
        "language": submission.hint_language,
    }
    if any(value is not None for value in hints.values()):
        extra["hints"] = {key: value for key, value in hints.items() if value is not None}
    return Source.model_validate(
        {
            "url": url,
            "name": submission.source,
            "via": submission.via,
            "received_at": now,
            **extra,
        }
    )
