"""Cleaning what pages say about themselves: a headline without the site's name, a list of
people rather than a byline, the language the page declares when the text agrees."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement  # type: ignore[import-untyped]

from services.parser.chrome import is_name, split_names

# Spaced separators, and the full-width bar Chinese and Japanese titles put unspaced.
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\u2013\u2014:»«·•~/]|-{1,2}|::)\s+|\s*\uff5c\s*")
_AUTHOR_NOISE = re.compile(
    r"^\s*(?:by|af|av|von|par|por|di|door|от|автор[ыи]?|authors?|written by|posted by)\s*:?\s+",
    re.I,
)
_SITE_LIKE = re.compile(
    r"(?:[.\s](?:com|net|org|info|news|ru|ua|kz|md|nl|de|fr|it|es|pl|tr|co|uk|in|az))$", re.I
)
# Which script a language is written in; a page that declares one and is written in
# another declared wrongly (a template's default `lang="en"` is common).
_SCRIPTS = {
    "CYRILLIC": {"ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg"},
    "ARABIC": {"ar", "fa", "ur", "ps", "ku", "sd", "ug"},
    "HEBREW": {"he", "yi", "iw"},
    "GREEK": {"el"},
    "DEVANAGARI": {"hi", "mr", "ne", "sa"},
    "BENGALI": {"bn", "as"},
    "THAI": {"th"},
    "HANGUL": {"ko"},
    "CJK": {"zh", "ja"},
    "HIRAGANA": {"ja"},
    "KATAKANA": {"ja"},
    "GEORGIAN": {"ka"},
    "ARMENIAN": {"hy"},
    "TAMIL": {"ta"},
}
_SAMPLE_CHARS = 2000


def clean_title(title: str | None, site_names: list[str], headline: str | None) -> str | None:
    """The headline without the `| Site Name` a page's <title> usually carries."""
    # A pipe left at either end is where a site's name was cut off (`| Headline`).
    title = " ".join((title or "").split()).strip("| ")
    if not title:
        return None
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) == 1:
        return title
    keys = [_key(name) for name in site_names if _key(name)]
    while len(parts) > 1 and _names_site(parts[-1], keys):
        parts.pop()
    while len(parts) > 1 and _names_site(parts[0], keys):
        parts.pop(0)
    if len(parts) > 1 and headline:
        # The page's <h1> says where the headline ends when the site's name is unknown, and
        # where it starts when a shorter first part is the site's (`Site - Headline`).
        head_key = _key(headline)
        runs = [parts[:end] for end in range(len(parts), 0, -1)]
        if len(headline) > len(parts[0]):
            runs.append(parts[1:])
        if any(_key(" ".join(run)) == head_key for run in runs):
            return _longest_piped(" ".join(headline.split()))
    cleaned = _rejoin(title, parts) or title
    return _longest_piped(cleaned)


def _longest_piped(title: str) -> str:
    """`Headline | Section | Site`: a pipe is never a headline's own punctuation, so when
    one piece is longer than all the others together it is the headline."""
    pieces = [p.strip() for p in title.split(" | ") if p.strip()]
    if len(pieces) < 2:
        return title
    longest = max(pieces, key=len)
    return longest if 2 * len(longest) > sum(len(p) for p in pieces) else title


def clean_authors(value: str | None, site_names: Sequence[str] = ()) -> list[str]:
    """`By Jane Doe | Staff; John Roe, Reporter` -> ['Jane Doe', 'John Roe']. Names that do
    not look like a person's (a desk, an outlet) are kept only when nothing else is left,
    and the site's own name (`site_names`: its name, its host) is no author at all."""
    if not value:
        return []
    keys = [_key(name) for name in site_names if _key(name)]
    people: list[str] = []
    others: list[str] = []
    for part in re.split(r";|\n", value):
        part = _AUTHOR_NOISE.sub("", part).strip()
        if not part or ("@" in part and " " not in part):
            continue
        if _SITE_LIKE.search(part) or _is_site(part, keys):
            continue  # `Mynet.com`, `Zaxid net`, `UOL` on uol.com.br: the site, as its author
        names = [_person_case(n) for n in split_names(part) if not n.lower().startswith("the ")]
        if names:
            people.extend(n for n in names if n not in people)
        else:
            short = re.split(r"\s+[|/\u2013\u2014-]\s+|,", part)[0].strip()
            if 3 <= len(short) <= 60 and short not in others:
                others.append(short)
    return people or others[:3]


def with_final_marks(name: str, page: str) -> str:
    """The name as the page writes it to its end: trafilatura trims a byline's trailing
    non-word characters, and to Python's regexes a combining mark is one, so the vowel sign
    that ends a Devanagari or Bengali name went with them (`चक्रवर्त` for `चक्रवर्ती`)."""
    start = page.find(name)
    if start < 0:
        return name
    end = start + len(name)
    while end < len(page) and unicodedata.category(page[end]).startswith("M"):
        end += 1
    return page[start:end]


def _is_site(part: str, keys: list[str]) -> bool:
    """The site's name, or its name with a word added (`Reuters Editorial`), unless that
    makes a person's name (`Wilmer Leon Sputnik International`: the person is kept)."""
    key = _key(part)
    return bool(key) and any(
        key == k or (len(k) >= 4 and k in key and not is_name(part)) for k in keys
    )


def _person_case(name: str) -> str:
    """`GARY B GRAVES` -> `Gary B Graves`: bylines set in capitals are a style, not a name."""
    return name.title() if name.isupper() and len(name) > 3 else name


def declared_language(tree: HtmlElement) -> str | None:
    """The page's own declaration: <html lang>, Content-Language, og:locale."""
    candidates = [tree.get("lang"), tree.get("xml:lang")]
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language", "dc.language"):
            candidates.append(meta.get("content"))
    for candidate in candidates:
        code = re.split(r"[-_,;\s]", (candidate or "").strip().lower())[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return None


def language_fits_text(code: str, text: str) -> bool:
    """Whether the text is written in the script the declared language uses."""
    script = dominant_script(text[:_SAMPLE_CHARS])
    if script is None:
        return True
    if script == "LATIN":
        return not any(code in codes for codes in _SCRIPTS.values())
    return code in _SCRIPTS.get(script, set())


def dominant_script(text: str) -> str | None:
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        script = "CJK" if name.startswith("CJK") else name.split(" ", 1)[0]
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda s: counts[s])


def canonical_url(tree: HtmlElement, found: str | None, page_url: str | None) -> str | None:
    """<link rel=canonical>, made absolute against the page's URL; else what was found."""
    for link in tree.iterfind(".//link[@rel]"):
        if link.get("rel", "").lower() == "canonical" and link.get("href"):
            href = str(link.get("href", "")).strip()
            absolute = urljoin(page_url, href) if page_url else href
            if urlsplit(absolute).scheme in ("http", "https"):
                return absolute
    return found or page_url


def meta_values(tree: HtmlElement, *keys: str) -> list[str]:
    """Contents of <meta property|name=key> tags, in page order, without repeats."""
    wanted = {k.lower() for k in keys}
    values: list[str] = []
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        content = " ".join((meta.get("content") or "").split())
        if key in wanted and content and content not in values:
            values.append(content)
    return values


def first_heading(tree: HtmlElement) -> str | None:
    for h1 in tree.iterfind(".//h1"):
        text = " ".join(h1.text_content().split())
        if text:
            return text
    return None


def _names_site(part: str, keys: list[str]) -> bool:
    key = _key(part)
    if not key or len(part.split()) > 6:
        return False
    return any(
        key == k
        or (len(k) >= 3 and key.startswith(k))
        or (len(k) >= 4 and k in key)
        or (len(key) >= 4 and key in k)
        for k in keys
    )


def _rejoin(title: str, parts: list[str]) -> str:
    """The kept parts with the separators the title had between them."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if start >= 0 and end > start else " - ".join(parts)


def _key(text: str) -> str:
    text = re.sub(r"^(?:https?://)?(?:www\d?\.|m\.)?", "", text.lower())
    text = re.sub(r"\.(?:com|net|org|co|ru|ua|de|fr|it|es|tr|uk|info|news)(?:\.\w+)?$", "", text)
    return re.sub(r"\W+", "", text)
