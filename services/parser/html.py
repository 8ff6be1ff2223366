"""Article body and metadata out of an HTML page, with trafilatura as the base.

trafilatura gives the body and most metadata; htmldate and the page's own timestamps give
the dates (page_dates); our own reads clean the title and authors and check the language.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any

import trafilatura
from lxml.etree import ParserError, _Element, strip_elements  # type: ignore[import-untyped]
from lxml.html import HtmlElement, document_fromstring  # type: ignore[import-untyped]
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document
from trafilatura.utils import load_html

from services.parser.chrome import wire_dateline
from services.parser.metadata import (
    canonical_url,
    clean_authors,
    clean_title,
    declared_language,
    first_heading,
    language_fits_text,
    meta_values,
    with_final_marks,
)
from services.parser.page_dates import page_dates
from shared.errors import Rejected
from shared.events import Article, Section


@dataclass(frozen=True)
class ExtractorSettings:
    """trafilatura's knobs, chosen on the corpus pages that state their own body in JSON-LD
    (`articleBody`), which no rule here was tuned on (bench/parser_text.py, 20 pages, token
    F1): favor_precision without tables 0.886; favor_recall 0.892; bare
    trafilatura.extract 0.896; these defaults 0.904."""

    favor_precision: bool = False
    favor_recall: bool = False
    # Tables in news pages are mostly the story's own (results, figures), not layout.
    include_tables: bool = True
    # The first pass runs without trafilatura's fallback extractors (its readability and
    # jusText ports); a body shorter than this is read again with them. Running them on
    # every page scored F1 0.910 against 0.904 but took the parser from ~0.85 to ~0.6 of
    # bare trafilatura's speed, below the 0.7 it must keep; on near-empty results, where
    # they rescue a page rather than add a paragraph, they are kept.
    fallback_below_chars: int = 300


DEFAULT_SETTINGS = ExtractorSettings()
# htmldate runs once, in extensive mode, in page_dates; trafilatura's own date pass only
# needs to be cheap.
_QUICK_DATES = {"extensive_search": False, "original_date": True}
# Less text than this is no article, whichever way the page is read.
_MIN_TEXT_CHARS = 20
_HAS_LETTER = re.compile(r"[^\W\d_]")
# trafilatura's last resort, when no extractor finds a body, is the whole page's text in one
# block, one line per element. When most of those lines are the page's links it is menus,
# region pickers and footers, not a story: on the corpus pages where it happened, 62-171
# lines of which links made 44-87% of the characters. A body that is one block of lines
# of its own (results in a <pre>, a poem) has next to no links.
_DUMP_MIN_LINES = 20
_DUMP_MIN_LINK_SHARE = 1 / 3
# A paragraph this long that the text states twice is one paragraph; shorter repeats are
# headings, labels and list items a page may well repeat ("2020 Young Person of the Year"
# as a heading and inside the paragraph under it).
_MIN_REPEAT_CHARS = 100
# A paragraph contained in a longer one is looked for only among the first ones, where
# standfirsts and summaries sit, so a page of thousands of paragraphs costs no quadratic
# search.
_REPEAT_SEARCH_BLOCKS = 10
_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "div", "td")


def extract_html(
    html: str, url: str | None = None, settings: ExtractorSettings = DEFAULT_SETTINGS
) -> Article:
    tree = load_html(html)
    if tree is None:
        tree = _fragment_tree(html)
    document = read_document(tree, url, settings)
    if document is not None and is_navigation_dump(document.body, tree):
        raise Rejected("no_text", "the page's only text is its navigation: no article body")
    extractor = "trafilatura"
    body = document.body if document is not None else None
    if document is None:
        extractor = "html-blocks"
        # Too little for trafilatura (a feed item's summary, a teaser, a paywalled page):
        # the page's block texts, and its metadata read on its own.
        document = extract_metadata(tree, url, date_config=_QUICK_DATES)
    title = clean_title(document.title, site_names_of(document), first_heading(tree))
    if body is not None:
        paragraphs, sections = body_blocks(body, title)
    else:
        paragraphs, sections = fragment_blocks(tree), []
        if len(paragraphs) > 1 and title and _same_text(paragraphs[0], title):
            paragraphs.pop(0)  # the headline, read as the first block
    wire = wire_dateline(paragraphs[0]) if paragraphs else None
    if wire is not None:
        # As the plain-text parser does: the dateline is the article's, not its text's.
        paragraphs[0:1] = [wire.rest] if wire.rest else []
    if sum(len(p) for p in paragraphs) < _MIN_TEXT_CHARS:
        raise Rejected("no_text", "no article text found in the HTML page")
    text = "\n\n".join(paragraphs)
    page_url = url or document.url
    dates = page_dates(html, tree, page_url)
    language = declared_language(tree) or _str(document.language)
    section = meta_values(tree, "article:section", "section", "parsely-section")
    return Article(
        title=title,
        text=text,
        lead=_str(document.description) or paragraphs[0],
        authors=[
            with_final_marks(a, html)
            for a in clean_authors(document.author, site_names_of(document))
        ],
        published_at=dates.published_at,
        modified_at=dates.modified_at,
        language=language if language and language_fits_text(language, text) else None,
        canonical_url=canonical_url(tree, _str(document.url), url),
        dateline=wire.city if wire is not None else None,
        publisher=_str(document.sitename) or (wire.publisher if wire is not None else None),
        section=section[0] if section else None,
        categories=_strings(document.categories),
        tags=_strings(_split_terms([*(document.tags or []), *meta_values(tree, "article:tag")])),
        image_url=_str(document.image),
        sections=sections,
        extractor=extractor,
    )


def read_document(
    tree: HtmlElement, url: str | None, settings: ExtractorSettings
) -> Document | None:
    """trafilatura's body and metadata, in as few passes as the page needs; None when no
    pass finds a body."""
    document = _trafilatura(tree, url, settings, fast=True)
    dump = isinstance(document, Document) and is_navigation_dump(document.body, tree)
    if isinstance(document, Document) and (
        dump or _text_chars(document) < settings.fallback_below_chars
    ):
        # The metadata is the same whichever extractor reads the body: only the body is
        # taken from the second pass.
        with_fallbacks = _trafilatura(tree, url, settings, fast=False, metadata=False)
        longer = _text_chars(with_fallbacks) > _text_chars(document)
        if (longer or dump) and _text_chars(with_fallbacks) >= _MIN_TEXT_CHARS:
            document.body, document.text = with_fallbacks.body, with_fallbacks.text
    if not settings.favor_recall and _text_chars(document) < _MIN_TEXT_CHARS:
        # A page cluttered with promotions can leave nothing; a pass that favours recall
        # still finds the story there.
        recall = replace(settings, favor_precision=False, favor_recall=True)
        document = _trafilatura(tree, url, recall, fast=False)
    if isinstance(document, Document) and _text_chars(document) >= _MIN_TEXT_CHARS:
        return document
    return None


def is_navigation_dump(body: _Element | None, tree: HtmlElement) -> bool:
    """Whether trafilatura's body is its whole-page fallback made mostly of the page's
    links (one block of many lines) rather than an article it found."""
    if body is None or len(body) != 1:
        return False
    lines = [" ".join(line.split()) for line in (body[0].text or "").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) < _DUMP_MIN_LINES:
        return False
    links = {" ".join(a.text_content().split()) for a in tree.iter("a")}
    linked = sum(len(line) for line in lines if line in links)
    return linked >= _DUMP_MIN_LINK_SHARE * sum(len(line) for line in lines)


def site_names_of(document: Document) -> list[str]:
    return [n for n in (document.sitename, document.hostname) if isinstance(n, str) and n]


def _trafilatura(
    tree: HtmlElement,
    url: str | None,
    settings: ExtractorSettings,
    *,
    fast: bool,
    metadata: bool = True,
) -> Any:
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=metadata,
        include_comments=False,
        include_tables=settings.include_tables,
        favor_precision=settings.favor_precision,
        favor_recall=settings.favor_recall,
        fast=fast,
        date_extraction_params=_QUICK_DATES,
    )


def _text_chars(document: Any) -> int:
    return len((document.text or "").strip()) if isinstance(document, Document) else 0


def body_blocks(body: _Element | None, title: str | None) -> tuple[list[str], list[Section]]:
    """trafilatura's body tree -> (paragraphs, headed sections). Headings, list items and
    quotes each stay a paragraph of their own; the headline, when the body starts with
    it, is the title and not a paragraph; a paragraph the text states again is read once."""
    paragraphs: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    texts: list[str] = []
    if body is None:
        return paragraphs, sections
    elements = [(element.tag, _element_blocks(element)) for element in body]
    repeats = _repeated_copies([b for _, blocks in elements for b in blocks])
    position = 0
    for tag, all_blocks in elements:
        blocks = [b for n, b in enumerate(all_blocks, position) if n not in repeats]
        position += len(all_blocks)
        if not paragraphs and blocks and title and _same_text(blocks[0], title):
            blocks = blocks[1:]
        if tag == "head" and blocks:
            if heading is not None and texts:
                sections.append(Section(heading=heading, text="\n\n".join(texts)))
            heading, texts = blocks[0], []
        elif heading is not None:
            texts.extend(blocks)
        paragraphs.extend(blocks)
    if heading is not None and texts:
        sections.append(Section(heading=heading, text="\n\n".join(texts)))
    return paragraphs, sections


def _element_blocks(element: _Element) -> list[str]:
    if element.tag == "list":
        blocks = [f"- {_flat(item)}" for item in element.iterfind("item") if _flat(item)]
    else:
        blocks = [_flat(element)] if _flat(element) else []
    # Pager numbers and bullet-only rows carry no words: widgets, not paragraphs.
    return [b for b in blocks if _HAS_LETTER.search(b)]


def _repeated_copies(blocks: list[str]) -> set[int]:
    """Positions of the paragraphs the text states again: the earlier of two equal ones,
    and one of the first few that a longer paragraph contains (a standfirst or summary
    over a body that opens with the same sentences)."""
    last = {block: n for n, block in enumerate(blocks)}
    repeats = {n for n, b in enumerate(blocks) if len(b) >= _MIN_REPEAT_CHARS and last[b] != n}
    for n, block in enumerate(blocks[:_REPEAT_SEARCH_BLOCKS]):
        if len(block) >= _MIN_REPEAT_CHARS and any(
            len(other) > len(block) and block in other for other in blocks
        ):
            repeats.add(n)
    return repeats


def _fragment_tree(html: str) -> HtmlElement:
    """A piece of HTML without <html> or <body> (a feed summary), wrapped as a page."""
    try:
        return document_fromstring(f"<html><body>{html}</body></html>")
    except (ParserError, ValueError) as exc:
        raise Rejected("not_html", f"the document could not be read as HTML: {exc}") from exc


def fragment_blocks(tree: HtmlElement) -> list[str]:
    """The texts of a small page's innermost blocks, in order."""
    tree = deepcopy(tree)
    strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    blocks = [_flat(e) for e in tree.iter(*_BLOCK_TAGS) if not len(e.xpath(".//p|.//div"))]
    paragraphs = [b for b in blocks if b]
    if not paragraphs:
        whole = _flat(tree)
        paragraphs = [whole] if whole else []
    return paragraphs


def _split_terms(values: list[str]) -> list[str]:
    """Keywords come as one comma-separated string as often as a list."""
    return [t for v in values for t in re.split(r"\s*[,;]\s*", str(v)) if t]


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a).lower() == re.sub(r"\W+", "", b).lower()


def _flat(element: _Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _strings(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values or []:
        text = re.sub(r"\s+", " ", str(value)).strip()
        if text and text not in seen:
            seen.append(text)
    return seen
