"""The parser fills what the page leaves empty from the feed's or sitemap's hints, and
never overrides what the page says."""

from __future__ import annotations

from datetime import UTC, datetime

from services.parser.hints import with_hints
from shared.events import Article, Source

HINTS = {
    "hints": {
        "title": "Sitemap title",
        "published_at": "2026-11-20T10:30:00Z",
        "language": "UK",
    }
}


def test_hints_fill_what_the_page_left_empty() -> None:
    article = with_hints(Article(text="body"), Source.model_validate(HINTS))
    assert article.title == "Sitemap title"
    assert article.published_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    assert article.language == "uk"


def test_the_page_wins_over_hints() -> None:
    page = Article(
        text="body",
        title="Page title",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        language="en",
    )
    assert with_hints(page, Source.model_validate(HINTS)) == page


def test_no_or_broken_hints_change_nothing() -> None:
    article = Article(text="body")
    assert with_hints(article, Source()) == article
    broken = Source.model_validate({"hints": {"published_at": "soon", "title": 3}})
    assert with_hints(article, broken) == article


def test_a_hinted_date_in_the_future_is_no_publication_date() -> None:
    # It would head every newest-first listing for good; an old date is kept as given.
    ahead = Source.model_validate({"hints": {"published_at": "2099-01-01T00:00:00Z"}})
    assert with_hints(Article(text="body"), ahead).published_at is None
    old = Source.model_validate({"hints": {"published_at": "1985-06-01T00:00:00Z"}})
    assert with_hints(Article(text="body"), old).published_at == datetime(1985, 6, 1, tzinfo=UTC)
