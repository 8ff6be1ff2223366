"""When an HTML page was published and last modified.

The day comes from htmldate in extensive mode, which weighs every date on the page (URL,
meta tags, JSON-LD, <time>, visible text) and is the most accurate open extractor we have
measured. htmldate only answers with a day, so the page's own machine-readable timestamps
are then read for that day's time and zone: `published_at` keeps the offset the page
wrote, and a page that gives only a day gets midnight UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from htmldate import find_date
from lxml.html import HtmlElement  # type: ignore[import-untyped]

from services.parser.dates import day_start, parse_date, plausible
from services.parser.metadata import meta_values

# A day in a URL path: /2020/06/28/, /20200628/, -2020-06-28-, ...-20200628.
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?!\d)"
)
# htmldate's extensive search weighs every date-like string of the page it is handed
# (is_date_candidate): 5 MB of them took 8 s. The day is stated near the top (head, byline)
# and the biggest corpus page is 0.74 MB, so it reads at most this much of a page.
MAX_DATE_SEARCH_CHARS = 1_000_000
# JSON-LD blocks bigger than this are data dumps, not article metadata.
_MAX_JSON_LD = 500_000
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.created",
    "date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
)


@dataclass(frozen=True)
class PageDates:
    published_at: datetime | None
    modified_at: datetime | None


def page_dates(html: str, tree: HtmlElement, url: str | None) -> PageDates:
    """`html` is the page as text: htmldate reads it with its own HTML parser, which on
    some pages keeps dates that trafilatura's cleaned-up `tree` no longer has."""
    now = datetime.now(UTC)
    stamps = _Timestamps(tree)
    dated_url = _dated_url(url, tree)
    htmldate_day = _htmldate_day(html, dated_url or url, now)
    images = meta_values(tree, "og:image", "twitter:image")
    image_day = _url_day(images[0]) if images else None
    published = _published(htmldate_day, dated_url, image_day, stamps.published)
    modified = next((m for m in stamps.modified if plausible(m, now)), None)
    if modified is not None and published is not None and modified < published:
        modified = None  # an earlier "modification" is a wrong field, not an edit
    return PageDates(published_at=published, modified_at=modified)


def _published(
    day: str | None, dated_url: str | None, image_day: str | None, stamps: list[datetime]
) -> datetime | None:
    """Which evidence wins, in order:
    1. a date in the URL: publishers put the day in the path when the story is filed,
       and it never changes;
    2. the page's own publication timestamp, read in the zone it was written in (one
       with a local offset first: the same instant in UTC can fall on the day before);
    3. the day in the path of the page's lead image (og:image): uploads are filed by day,
       and the lead image is uploaded with the story;
    4. htmldate's verdict from everything else on the page,
    except that a bare 1 January nothing else supports is a year (a copyright line, an
    archive label) that htmldate completed to a day, not a publication date."""
    local = [s for s in stamps if s.utcoffset() != timedelta(0)]
    url_day = _url_day(dated_url) if dated_url else None
    if url_day is not None:
        return _with_time(url_day, stamps)
    if local or stamps:
        return (local or stamps)[0]
    if image_day is not None:
        return day_start(image_day)
    if day is None or day[5:] == "01-01":
        return None
    return day_start(day)


def _dated_url(url: str | None, tree: HtmlElement) -> str | None:
    """The first of the page's URLs (as requested, canonical, og:url) with a day in it."""
    candidates = [url]
    for link in tree.iterfind(".//link[@rel='canonical']"):
        candidates.append(link.get("href"))
    candidates.extend(meta_values(tree, "og:url"))
    return next((c for c in candidates if c and _url_day(c)), None)


def _url_day(url: str) -> str | None:
    match = _URL_DATE.search(url)
    if match is None:
        return None
    day = f"{match.group(1)}-{match.group(2)}-{match.group(3)}"
    return day if day_start(day) is not None else None


def _htmldate_day(html: str, url: str | None, now: datetime) -> str | None:
    try:
        day = find_date(
            html[:MAX_DATE_SEARCH_CHARS],
            url=url,
            extensive_search=True,
            original_date=True,
            max_date=now.strftime("%Y-%m-%d"),
        )
    except (ValueError, TypeError, OverflowError):
        # htmldate has raised on malformed dates in odd markup; no date beats no article.
        return None
    return day if isinstance(day, str) else None


def _with_time(day: str, candidates: list[datetime]) -> datetime | None:
    """The page's own timestamp for `day`, in the zone it was written in, else the day."""
    for stamp in candidates:
        if stamp.strftime("%Y-%m-%d") == day and (stamp.hour, stamp.minute) != (0, 0):
            return stamp
    return day_start(day)


class _Timestamps:
    """Machine-readable publication and modification times the page states about itself."""

    def __init__(self, tree: HtmlElement) -> None:
        self.published: list[datetime] = []
        self.modified: list[datetime] = []
        for key, value in _meta_pairs(tree):
            self._add(key, value)
        for node in _json_ld_nodes(tree):
            self._add("datepublished", node.get("datePublished"))
            self._add("datemodified", node.get("dateModified"))
        for element in tree.iterfind(".//time[@datetime]"):
            itemprop = (element.get("itemprop") or "").lower()
            self._add(itemprop or "pubdate", element.get("datetime"))

    def _add(self, key: str, value: object) -> None:
        key = key.lower()
        target = (
            self.published
            if key in _PUBLISHED_META
            else self.modified
            if key in _MODIFIED_META
            else None
        )
        if target is None:
            return
        parsed = parse_date(value)
        if parsed is not None:
            target.append(parsed)


def _meta_pairs(tree: HtmlElement) -> Iterator[tuple[str, str]]:
    for meta in tree.iterfind(".//meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content:
            yield key, content


def _json_ld_nodes(tree: HtmlElement) -> Iterator[dict[str, object]]:
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        text = script.text or ""
        if len(text) > _MAX_JSON_LD:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue  # unreadable or nested too deep: the page's other dates still count
        yield from _dicts(data, depth=0)


def _dicts(data: object, depth: int) -> Iterator[dict[str, object]]:
    if depth > 4:
        return
    if isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            yield from _dicts(data.get(key), depth + 1)
    elif isinstance(data, list):
        for item in data[:50]:
            yield from _dicts(item, depth + 1)
