"""An article another tool already structured (JSON) -> our `Article`.

Scrapers, news APIs and JSON-LD all name the same fields differently; each of our fields
takes the first of its usual names that the document fills. The body may be plain text or
HTML; HTML goes through the same extraction as a fetched page.
"""

from __future__ import annotations

import json
import re
from typing import Any

from services.parser.dates import parse_date
from services.parser.html import extract_html
from services.parser.metadata import clean_authors
from services.parser.plaintext import split_paragraphs
from shared.errors import Rejected
from shared.events import Article

# Field names as other tools write them, compared without case, `_` or `-`.
_TITLE = ("title", "headline", "name", "heading")
_TEXT = (
    "text", "body", "content", "articlebody", "maintext", "fulltext", "articletext",
    "contenttext", "plaintext", "story", "html", "rawhtml", "contenthtml", "bodyhtml",
)  # fmt: skip
_LEAD = ("description", "lead", "summary", "abstract", "excerpt", "standfirst", "subtitle")
_AUTHORS = ("authors", "author", "byline", "creator", "creators", "writer")
_PUBLISHED = (
    "datepublished", "publishedat", "published", "publishdate", "publicationdate", "pubdate",
    "datepublish", "date", "created", "createdat", "datecreated", "time", "timestamp",
)  # fmt: skip
_MODIFIED = ("datemodified", "modifiedat", "modified", "updated", "updatedat", "datemodify")
_URL = ("canonicalurl", "url", "link", "href", "permalink", "sourceurl")
_LANGUAGE = ("language", "lang", "inlanguage", "locale")
_PUBLISHER = ("publisher", "sitename", "source", "sourcename", "outlet", "site", "domain")
_IMAGE = ("imageurl", "image", "topimage", "thumbnail", "thumbnailurl", "leadimage")
_SECTION = ("section", "articlesection", "category")
_CATEGORIES = ("categories",)
_TAGS = ("tags", "keywords", "topics", "subjects")
_WRAPPERS = ("article", "data", "item", "result", "document", "story")
_HTML_HINT = re.compile(r"<(?:p|div|br|h[1-6]|article|span|ul|li|a)\b[^>]*>", re.I)


def parse_json_article(text: str, url: str | None) -> Article:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Rejected("invalid_json", f"the JSON article cannot be read: {exc}") from exc
    except RecursionError as exc:
        # json's decoder recurses per level: nesting past Python's recursion limit (about
        # a thousand levels, no article needs ten) fails the same way on every retry.
        raise Rejected("too_deep", "the JSON document is nested too deep to read") from exc
    fields = _article_object(data)
    if fields is None:
        raise Rejected("not_an_article", "the JSON holds no object with an article's fields")
    body = _first_text(fields, _TEXT)
    if body is None:
        raise Rejected("no_text", "the JSON article has no text, body or content field")
    page_url = _first_text(fields, _URL) or url
    if _HTML_HINT.search(body[:5000]):
        from_html = extract_html(body, page_url)
        paragraphs = from_html.text.split("\n\n")
    else:
        paragraphs = split_paragraphs(body)
    if not paragraphs:
        raise Rejected("no_text", "the JSON article's text is empty")
    section = _terms(_first(fields, _SECTION))
    return Article(
        title=_first_text(fields, _TITLE),
        text="\n\n".join(paragraphs),
        lead=_first_text(fields, _LEAD) or paragraphs[0],
        authors=_people(_first(fields, _AUTHORS)),
        published_at=parse_date(_first(fields, _PUBLISHED)),
        modified_at=parse_date(_first(fields, _MODIFIED)),
        language=_language(_first_text(fields, _LANGUAGE)),
        canonical_url=page_url,
        publisher=_name(_first(fields, _PUBLISHER)),
        section=section[0] if section else None,
        categories=_terms(_first(fields, _CATEGORIES)) or section,
        tags=_terms(_first(fields, _TAGS)),
        image_url=_name(_first(fields, _IMAGE), key="url"),
        extractor="json",
    )


def _article_object(data: Any) -> dict[str, Any] | None:
    """The object holding the article: the top level, a wrapper's content, a JSON-LD
    @graph's article node, or the first of a list. One with a body wins over one with
    only a title (a JSON-LD WebSite node has a `name` too)."""
    return _find_object(data, 0, need_text=True) or _find_object(data, 0, need_text=False)


def _find_object(data: Any, depth: int, *, need_text: bool) -> dict[str, Any] | None:
    if depth > 3:
        return None
    if isinstance(data, list):
        for item in data[:20]:
            found = _find_object(item, depth + 1, need_text=need_text)
            if found is not None:
                return found
        return None
    if not isinstance(data, dict):
        return None
    fields = {_key(k): v for k, v in data.items()}
    if _first(fields, _TEXT) is not None:
        return fields
    for key in ("@graph", *_WRAPPERS):
        found = _find_object(fields.get(_key(key)), depth + 1, need_text=need_text)
        if found is not None:
            return found
    if not need_text and _first(fields, _TITLE) is not None:
        return fields
    return None


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _first_text(fields: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = _name(fields.get(name))
        if value:
            return value
    return None


def _name(value: Any, key: str = "name") -> str | None:
    """A string field, or the `name` (or `url`) of an object such as a JSON-LD Person."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get(key) or value.get("name") or value.get("url") or value.get("@value")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _people(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = _name(item)
        for person in clean_authors(name) if name else []:
            if person not in names:
                names.append(person)
    return names


def _terms(value: Any) -> list[str]:
    items = re.split(r"\s*[,;|]\s*", value) if isinstance(value, str) else value
    if not isinstance(items, list):
        return []
    terms: list[str] = []
    for item in items:
        term = _name(item)
        if term and term not in terms:
            terms.append(term)
    return terms


def _language(value: str | None) -> str | None:
    code = re.split(r"[-_]", value.lower())[0] if value else ""
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()
