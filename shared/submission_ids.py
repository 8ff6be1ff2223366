"""The article id a raw submission gets, computed where the fetcher computes it and where
the api answers it before the fetcher has run."""

from __future__ import annotations

from shared.errors import Rejected
from shared.events import RawSubmission, article_id_for_content, article_id_for_url
from shared.streams import Fields, decode_raw_entry
from shared.urls import is_http_url, normalize_url


def origin_url(submission: RawSubmission) -> str | None:
    """The submission's URL, normalized, when it is an http(s) URL."""
    if submission.url and is_http_url(submission.url):
        return normalize_url(submission.url)
    return None


def article_id_of(submission: RawSubmission) -> str:
    """Content in hand: from its URL when it has one, else from the content. A URL to fetch:
    from the URL, which is the article's id unless the page redirects (the fetcher names a
    downloaded article by its final URL)."""
    url = origin_url(submission)
    return article_id_for_url(url) if url else article_id_for_content(submission.content or "")


def raw_entry_article_id(fields: Fields) -> str | None:
    """The id of the article a raw-stream entry will be, for its log lines and its dead
    letter (a raw entry carries none); None for an entry the fetcher refuses."""
    try:
        return article_id_of(decode_raw_entry(fields))
    except Rejected:
        return None
