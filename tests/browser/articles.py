"""Articles for the page to show, made the way the pipeline makes them: the fetcher's intake,
the parser and the enricher, run in process on the repo's seed and fixture pages."""

from __future__ import annotations

import gzip
from pathlib import Path

from services.enricher.enrich import enrich_events
from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.events import ArticleEvent, RawSubmission

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 5_000_000

# (file, source name, url): the seed (North Korea and Russia) and pages in other languages.
PAGES = [
    (ROOT / "seeds" / "000_64a0eaf4a3ce9dd3.txt", "UNN", None),
    (ROOT / "tests/fixtures/html/mk_ru_cyrillic.html.gz", "MK", "https://www.mk.ru/a.html"),
    (ROOT / "tests/fixtures/html/mynet_turkish.html.gz", "Mynet", "https://www.mynet.com/a.html"),
    (ROOT / "tests/fixtures/html/goo_japanese.html.gz", "goo", "https://news.goo.ne.jp/a.html"),
    (ROOT / "tests/fixtures/html/sn_dk_misdeclared_charset.html.gz", "sn.dk", None),
    (ROOT / "tests/fixtures/plaintext/portal_views_author_end.txt", "Energy Portal", None),
    (ROOT / "tests/fixtures/plaintext/regional_byline_top.txt", "City Post", None),
    (ROOT / "tests/fixtures/plaintext/wire_dateline_in_text.txt", "Meridian", None),
]

# Published while the page is open (the Live test): a story of its own, with a quote.
LIVE_TEXT = """Pyongyang opens a new rail link to Vladivostok

Vladivostok • Example Wire

North Korea and Russia opened a passenger rail link between Pyongyang and Vladivostok on
Monday, the first in five years. "This line brings our peoples closer," said Alexander
Kozlov, the Russian minister for natural resources, at the ceremony in Pyongyang.

Kim Jong Un sent a message of thanks to Vladimir Putin, the Korean Central News Agency said.
"""


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _event(content: str, source: str, url: str | None) -> ArticleEvent:
    submission = RawSubmission(content=content, source=source, url=url, via="python")
    return parse_event(event_from_content(submission, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES)


def stored_articles() -> list[ArticleEvent]:
    """The articles in the store when the page opens, parsed and enriched."""
    return enrich_events([_event(_text(path), source, url) for path, source, url in PAGES])


def live_article() -> ArticleEvent:
    return enrich_events([_event(LIVE_TEXT, "Example Wire", "https://example.com/rail")])[0]
