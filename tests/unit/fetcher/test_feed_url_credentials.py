"""A feed's URL travels with its articles as `source.feed_url`, which the open read side
shows (`GET /api/articles/{id}`): its password and secret-named query values never do."""

from __future__ import annotations

from services.fetcher.feed_items import FeedItem
from services.fetcher.feed_poller import submission_for
from services.fetcher.feeds import Feed
from services.fetcher.intake import event_from_content
from services.fetcher.source_documents import FoundArticle
from shared.events import RawSubmission
from shared.sources import SourceRecord

FEED = "https://feeduser:hunter2@feeds.example/rss?api_key=KEY123&lang=en"
SHOWN = "https://feeduser:***@feeds.example/rss?api_key=***&lang=en"


def test_the_event_carries_the_feed_url_masked() -> None:
    submission = RawSubmission(content="Some text.", via="feed", feed_url=FEED)
    event = event_from_content(submission, max_bytes=10**6)
    assert event.model_dump(mode="json")["source"]["feed_url"] == SHOWN
    assert "hunter2" not in event.to_json().decode()


def test_a_feeds_submissions_carry_its_url_masked() -> None:
    item = FeedItem(url="https://feeds.example/a/1", title="One")
    assert submission_for(item, Feed(url=FEED), "Feed").feed_url == SHOWN


def test_a_sources_submissions_carry_the_documents_url_masked() -> None:
    found = FoundArticle(url="https://feeds.example/a/1", via="feed", document_url=FEED)
    record = SourceRecord(name="private", url="https://feeds.example/", feeds=[FEED])
    assert found.submission(record).feed_url == SHOWN
