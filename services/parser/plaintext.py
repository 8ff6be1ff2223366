"""Scraped plain text -> article: the page chrome a scraper left in is recognised by shape
(a date header, a `City • Publisher` dateline, a view counter, a name standing alone), not
by the words of one site.

The text is read in three zones. The head runs to the first sentence of prose: it holds
the headline and the template's meta lines. The tail follows the last sentence of prose:
author names, tag links, credits. Between them is the story, where only headings and
obvious widgets are told apart from paragraphs, so a short line of the story is never
mistaken for chrome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.parser import chrome
from shared.errors import Rejected
from shared.events import Article, Section

_MAX_TITLE_CHARS = 300
# Long reads run to a few hundred paragraphs; past this the input is not one article, and
# every line would still be read against each chrome rule.
_MAX_PARAGRAPHS = 20_000
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", "'", ")")


@dataclass
class _Fields:
    """What the chrome lines say, gathered while the paragraphs are read."""

    published_at: datetime | None = None
    modified_at: datetime | None = None
    dateline: str | None = None
    publisher: str | None = None
    views: int | None = None
    section: str | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def add_date(self, value: datetime, *, updated: bool) -> None:
        if updated and self.published_at is not None:
            self.modified_at = self.modified_at or value
        elif self.published_at is None:
            self.published_at = value
        elif value > self.published_at and self.modified_at is None:
            self.modified_at = value

    def add_authors(self, names: list[str]) -> None:
        self.authors.extend(n for n in names if n not in self.authors)


def parse_plain_text(text: str) -> Article:
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise Rejected("no_text", "the plain text is empty")
    if len(paragraphs) > _MAX_PARAGRAPHS:
        raise Rejected(
            "too_many_paragraphs",
            f"{len(paragraphs)} lines of text is a dump or a log, not one article",
        )
    fields = _Fields()
    first, last = _story_bounds(paragraphs)
    title, standfirst = _read_head(paragraphs[:first], fields)
    tail = _read_tail(paragraphs[last + 1 :], fields)
    story = [p for p in paragraphs[first : last + 1] if not _is_widget(p)]
    if title is None and story and _could_be_title(story[0]) and len(story) > 1:
        title = story.pop(0)
    story = [p for p in story if p != title]
    if story:
        story[0] = _strip_wire_dateline(story[0], fields)
    body = [*standfirst, *story, *tail]
    if not body:
        raise Rejected("no_text", "the plain text holds only page chrome")
    intro, sections = split_sections(body)
    return Article(
        title=title,
        text="\n\n".join(body),
        lead=intro[0] if intro else body[0],
        authors=fields.authors,
        published_at=fields.published_at,
        modified_at=fields.modified_at,
        dateline=fields.dateline,
        publisher=fields.publisher,
        views=fields.views,
        section=fields.section,
        categories=fields.categories,
        tags=fields.tags,
        sections=sections,
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


def split_sections(body: list[str]) -> tuple[list[str], list[Section]]:
    """(paragraphs before the first heading, the headed sections). A heading is a short
    capitalised line without closing punctuation that a paragraph of prose follows."""
    intro: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    texts: list[str] = []
    for index, paragraph in enumerate(body):
        following = body[index + 1] if index + 1 < len(body) else None
        if index > 0 and following and chrome.is_heading(paragraph) and is_prose(following):
            if heading is not None:
                sections.append(Section(heading=heading, text="\n\n".join(texts)))
            heading, texts = paragraph, []
        elif heading is None:
            intro.append(paragraph)
        else:
            texts.append(paragraph)
    if heading is not None:
        sections.append(Section(heading=heading, text="\n\n".join(texts)))
    return intro, sections


def is_prose(paragraph: str) -> bool:
    """A sentence of the story: it ends like one and has a few words, or it is long."""
    words = len(paragraph.split())
    return (words >= 4 and paragraph.endswith(_SENTENCE_END)) or len(paragraph) >= 200


def _story_bounds(paragraphs: list[str]) -> tuple[int, int]:
    prose = [i for i, p in enumerate(paragraphs) if is_prose(p) and not _is_chrome(p)]
    if not prose:
        # No sentence anywhere (a list, a caption dump): all of it is the story.
        return 0, len(paragraphs) - 1
    return prose[0], prose[-1]


def _read_head(head: list[str], fields: _Fields) -> tuple[str | None, list[str]]:
    """Title and standfirst from the lines before the story; chrome goes into `fields`.

    The headline is the longest line that is not chrome: site names, menus and section
    labels above it are shorter, and the last short label right above it is the section."""
    candidates: list[str] = []
    for index, line in enumerate(head):
        is_label = chrome.is_date_label(line) and index + 1 < len(head)
        if not is_label and not _read_meta(line, fields, after_title=bool(candidates)):
            candidates.append(line)
    titles = [c for c in candidates if _could_be_title(c) and len(c.split()) >= 3]
    if not titles:
        return None, [c for c in candidates if len(c.split()) >= 6]
    title = max(titles, key=len)
    position = candidates.index(title)
    above = candidates[:position]
    if above and len(above[-1].split()) <= 3 and fields.section is None:
        fields.section = above[-1]
    # Below the headline: its repetition as a caption (dropped) and the standfirst.
    standfirst = [c for c in candidates[position + 1 :] if c != title and len(c.split()) >= 6]
    return title, standfirst


def _read_tail(tail: list[str], fields: _Fields) -> list[str]:
    """Authors, tags and credits from the lines after the story; returns what is left of
    the story there (a closing line that is not chrome)."""
    kept: list[str] = []
    for line in tail:
        if chrome.is_name(line):
            fields.add_authors([line])
        elif (names := chrome.byline(line)) is not None:
            fields.add_authors(names)
        elif (terms := chrome.categories(line)) is not None:
            kind, values = terms
            target = fields.tags if kind == "tags" else fields.categories
            target.extend(v for v in values if v not in target)
        elif _read_meta(line, fields, after_title=True) or _is_widget(line):
            continue
        elif chrome.is_heading(line) and len(line.split()) <= 4:
            continue  # a "Related" or "More from" header with nothing after it
        else:
            kept.append(line)
    return kept


def _read_meta(line: str, fields: _Fields, *, after_title: bool) -> bool:
    """Take a meta line's facts into `fields`; False when the line is not one."""
    if (found := chrome.date_line(line)) is not None:
        fields.add_date(found.value, updated=found.updated)
        return True
    if (place := chrome.dateline(line)) is not None and fields.dateline is None:
        fields.dateline, fields.publisher = place
        return True
    if (count := chrome.views(line)) is not None:
        fields.views = count
        return True
    if (names := chrome.byline(line)) is not None:
        fields.add_authors(names)
        return True
    if after_title and chrome.is_name(line):
        fields.add_authors([line])
        return True
    if chrome.is_reading_time(line) or _is_widget(line):
        return True
    items = chrome.meta_items(line)
    if items is not None and all(_is_meta_item(item) for item in items):
        for item in items:
            _read_meta(item, fields, after_title=after_title)
        return True
    return False


def _is_meta_item(item: str) -> bool:
    return (
        chrome.date_line(item) is not None
        or chrome.views(item) is not None
        or chrome.byline(item) is not None
        or chrome.is_reading_time(item)
        or chrome.is_interface(item)
        or chrome.is_name(item)
        or bool(re.match(r"^(?:updated|published)?\s*\d+\s+\w+\s+ago$", item, re.I))
        or (len(item.split()) <= 2 and item[:1].isupper() and not item.endswith("."))
    )


def _is_chrome(paragraph: str) -> bool:
    return (
        chrome.date_line(paragraph) is not None
        or chrome.views(paragraph) is not None
        or _is_widget(paragraph)
    )


def _is_widget(paragraph: str) -> bool:
    return (
        chrome.is_interface(paragraph)
        or chrome.is_credit(paragraph)
        or chrome.is_related_link(paragraph)
        or chrome.is_caption(paragraph)
    )


def _could_be_title(line: str) -> bool:
    return len(line) <= _MAX_TITLE_CHARS and not line.endswith((".", ",", ";", ":"))


def _strip_wire_dateline(paragraph: str, fields: _Fields) -> str:
    found = chrome.wire_dateline(paragraph) if fields.dateline is None else None
    if found is None:
        return paragraph
    fields.dateline = found.city
    fields.publisher = fields.publisher or found.publisher
    return found.rest


def _hard_wrapped(lines: list[str]) -> bool:
    return len(lines) > 1 and all(
        60 <= len(line) <= 100 and not line.endswith((".", "!", "?", ":", '"', "”"))
        for line in lines[:-1]
    )
