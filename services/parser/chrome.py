"""What a line of scraped page text is, judged by its shape: a date header, a dateline, a
view counter, a byline, a name standing alone, a run of category links, a heading.

Each function looks at one line and knows nothing of any one site: the shapes are the ones
news templates share (short lines, bullets and pipes as separators, Title Case names, links
whose text was glued together when the markup was stripped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.parser.dates import find_date

# Longest line that can still be page chrome rather than prose.
SHORT_LINE = 80
# Separators templates put between the items of a meta line: "Kyiv • UNN", "Tags | War".
_SEPARATORS = re.compile(r"\s*(?:•|·|\||/|\u2014|\u2013)\s*")
_WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*", re.U)
_NUMBER = r"(\d[\d\s.,]*\d|\d)\s*([kKmM]?)"
_VIEWS = re.compile(
    rf"^(?:{_NUMBER}\s*(?:views?|reads?|просмотр\w*|перегляд\w*)|(?:views?|reads?)\s*:?\s*{_NUMBER})$",
    re.I,
)
_READING_TIME = re.compile(r"^\d{1,3}\s*(?:min(?:ute)?s?|хв|мин)\.?(?:\s+read(?:ing)?)?$", re.I)
_BYLINE = re.compile(r"^(?:by|written by|author|authors|words by|from)\s*:?\s+(.+)$", re.I)
_DATE_WORDS = re.compile(
    r"^(?:date|published|posted|updated|modified|last updated|first published|on)\b\s*:?\s*$",
    re.I,
)
_UPDATED = re.compile(r"\b(?:updated|modified|edited)\b", re.I)
_LABELLED_TERMS = re.compile(
    r"^(?P<label>tags?|topics?|categor(?:y|ies)|filed under|sections?|keywords?|more on)"
    r"\s*:\s*(?P<rest>.+)$",
    re.I,
)
_CREDIT = re.compile(
    r"^(?:\(?(?:additional\s+)?(?:reporting|writing|editing|compiled|translated)\s+by\b"
    r"|(?:photo|image|picture|video|source|credit)s?\s*:)",
    re.I,
)
# Buttons and widgets a scraper keeps as lines of their own. Generic interface words of
# news templates, not any one outlet's vocabulary.
_INTERFACE = re.compile(
    r"^(?:share|share this(?: article)?|tweet|facebook|twitter|x|telegram|whatsapp|viber|"
    r"linkedin|email|e-mail|print|copy link|copy|save|listen|listen to (?:this )?article|"
    r"comments?|\d+ comments?|advertisement|ad|sponsored|subscribe|sign up|sign in|log in|"
    r"read more|read also|see also|related|related articles|recommended|follow us|"
    r"skip to (?:main )?content|menu|search|home|close|loading\.*|"
    r"(?:share|follow)(?: on)? (?:facebook|twitter|x|telegram)(?:\s*(?:•|·|\||,)\s*\w+)*)"
    r"[.:!]?$",
    re.I,
)
# `Read also: <another headline>`: a link to another story placed inside this one.
_RELATED_LINK = re.compile(
    r"^(?:read also|read more|also read|see also|related|more)\s*:\s*\S", re.I
)
# A picture caption ends with its credit: `... Photo: press service`, `(Image by Jane Roe)`.
_CAPTION_CREDIT = re.compile(
    r"(?:photo|image|picture|фото|illustration)s?\s*(?:by|:|©)\s*[^.!?]{1,60}\)?$", re.I
)
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", ";", ",")
_LOWER_JOINERS = {"of", "the", "and", "in", "on", "for", "a", "to", "&", "at", "de", "la"}
# Words that make a capitalised phrase a job title or a desk, not a person.
_ROLE_WORDS = {
    "correspondent",
    "reporter",
    "editor",
    "writer",
    "staff",
    "contributor",
    "journalist",
    "columnist",
    "analyst",
    "producer",
    "photographer",
    "news",
    "desk",
    "agency",
    "team",
    "editorial",
    "board",
    "press",
    "service",
    "office",
    "bureau",
    "senior",
    "chief",
}
_NAME_PARTICLES = {"van", "von", "de", "del", "der", "da", "di", "la", "le", "bin", "al", "ibn"}


@dataclass(frozen=True)
class DateLine:
    value: datetime
    updated: bool


def date_line(line: str) -> DateLine | None:
    """A short line whose point is a date: the date found in it, and whether the line says
    it is an update. The rest of such a line (a label, a clock, a ticker) is chrome."""
    if len(line) > SHORT_LINE:
        return None
    found = find_date(line)
    if found is None:
        return None
    value, (start, end) = found
    rest = line[:start] + " " + line[end:]
    # What is left must be chrome-sized: labels and tickers, not a sentence with a date.
    words = [w for w in _WORD.findall(rest) if len(w) > 1]
    if len(words) > 4:
        return None
    return DateLine(value=value, updated=bool(_UPDATED.search(line[:start])))


# `LONDON, March 3 (Reuters) - ...` or `KYIV — ...`: a wire dateline opening the story.
_WIRE_DATELINE = re.compile(
    r"^(?P<city>[A-ZÀ-ÞА-ЯІЇЄҐ][A-ZÀ-ÞА-ЯІЇЄҐ.'\- ]{1,30}[A-ZÀ-ÞА-ЯІЇЄҐ])"
    r"(?:,\s*[A-Z][a-z]+\.?\s+\d{1,2})?\s*(?:\((?P<publisher>[^()]{2,40})\))?\s*[-\u2013\u2014]{1,2}\s+"
)


@dataclass(frozen=True)
class WireDateline:
    city: str  # as a name: "Prague", not "PRAGUE"
    publisher: str | None  # the wire's, in parentheses: "Reuters"
    rest: str  # the paragraph after it


def wire_dateline(paragraph: str) -> WireDateline | None:
    """`PRAGUE (Reuters) - The ...` -> ("Prague", "Reuters", "The ..."): the dateline that
    opens a wire story's first paragraph, which is no part of its text (nor a keyword)."""
    match = _WIRE_DATELINE.match(paragraph)
    if match is None:
        return None
    city = match.group("city").strip()
    if len(city.split()) > 3 or find_date(city):
        return None
    publisher = match.group("publisher")
    return WireDateline(
        city=city.title(),
        publisher=publisher.strip() if publisher else None,
        rest=paragraph[match.end() :],
    )


def dateline(line: str) -> tuple[str, str] | None:
    """`City • Publisher` -> (city, publisher): two short Capitalised parts and a bullet."""
    if len(line) > 60 or not re.search(r"[•·|]", line):
        return None
    parts = [p for p in re.split(r"\s*[•·|]\s*", line) if p]
    if len(parts) != 2:
        return None
    if not all(_is_proper_phrase(p, max_words=4) for p in parts):
        return None
    return parts[0], parts[1]


def views(line: str) -> int | None:
    """`• 3054 views`, `Views: 1 204`, `12.5K reads` -> the count."""
    if len(line) > 60:
        return None
    match = _VIEWS.match(line.strip(" •·|"))
    if match is None:
        return None
    number, scale = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return _count(number, scale)


def byline(line: str) -> list[str] | None:
    """`By Jane Doe and John Roe | Staff Writer` -> the names; None if not a byline."""
    if len(line) > SHORT_LINE:
        return None
    match = _BYLINE.match(line.strip())
    if match is None:
        return None
    names = split_names(match.group(1))
    return names or None


def split_names(text: str) -> list[str]:
    """Names out of a credit: roles, outlets and contact details after a separator dropped."""
    text = _SEPARATORS.split(text, maxsplit=1)[0]
    text = re.sub(r"\S+@\S+|@\w+|https?://\S+|\(.*?\)", " ", text)
    names = []
    for part in re.split(r",|;|\s+and\s+|\s+&\s+|\s+und\s+|\s+et\s+|\s+\u0456\s+|\s+и\s+", text):
        name = " ".join(part.split()).strip(" .:-")
        if is_name(name) and name not in names:
            names.append(name)
    return names


def is_name(text: str) -> bool:
    """A person's name: two to four capitalised words (particles like `van` allowed)."""
    words = text.split()
    if not 2 <= len(words) <= 4 or len(text) > 50:
        return False
    if any(w.lower().strip(".,") in _ROLE_WORDS for w in words):
        return False
    capitalised = [w for w in words if w.lower() not in _NAME_PARTICLES]
    return len(capitalised) >= 2 and all(
        w[0].isupper() and _is_word(w) and not _has_inner_capital(w) for w in capitalised
    )


def categories(line: str) -> tuple[str, list[str]] | None:
    """A run of category or tag links -> ('categories' | 'tags', the terms).

    Either labelled (`Tags: a, b`), separated (`Economy | Energy`), or glued together when
    the links lost their markup: `WarNews of the World` splits where a capital letter
    follows a lowercase one, which a single term almost never contains."""
    line = line.strip()
    if not line or len(line) > SHORT_LINE or line.endswith(_SENTENCE_END):
        return None
    labelled = _LABELLED_TERMS.match(line)
    if labelled:
        kind = (
            "tags" if labelled.group("label").lower().startswith(("tag", "key")) else "categories"
        )
        terms = [t.strip() for t in re.split(r"\s*(?:,|•|·|\||;|#)\s*", labelled.group("rest"))]
        terms = [t for t in terms if t]
        return (kind, terms) if terms else None
    if re.search(r"\s[•·|]\s|,\s", line):
        terms = [t for t in re.split(r"\s*(?:,|•|·|\|)\s*", line) if t]
        if len(terms) >= 2 and all(_is_term(t) for t in terms):
            return "categories", terms
        return None
    glued = split_glued(line)
    if len(glued) >= 2 and all(_is_term(t) for t in glued):
        return "categories", glued
    return None


def split_glued(line: str) -> list[str]:
    """`WarNews of the World` -> ['War', 'News of the World']: split where a lowercase
    letter runs straight into a capital (three letters at least before it, so `McCain`
    stays)."""
    return [
        p for p in re.split(r"(?<=[^\W\d_]{3})(?<=[a-zà-ÿа-яіїєґ])(?=[A-ZÀ-ÞА-ЯІЇЄҐ])", line) if p
    ]


def is_interface(line: str) -> bool:
    """A button or widget label kept as text: Share, Print, 12 comments, Advertisement..."""
    return len(line) <= 60 and bool(_INTERFACE.match(line.strip(" •·|")))


def is_related_link(line: str) -> bool:
    return len(line) <= 200 and bool(_RELATED_LINK.match(line))


def is_caption(line: str) -> bool:
    return len(line) <= 300 and bool(_CAPTION_CREDIT.search(line))


def is_credit(line: str) -> bool:
    """`Reporting by ...; Editing by ...`, `Photo: ...`: credits, not the story."""
    return len(line) <= 200 and bool(_CREDIT.match(line))


def is_date_label(line: str) -> bool:
    """`Published:` on a line of its own, its date on the next."""
    return bool(_DATE_WORDS.match(line))


def is_reading_time(line: str) -> bool:
    return bool(_READING_TIME.match(line.strip(" •·|")))


def meta_items(line: str) -> list[str] | None:
    """The items of a meta line (`March 3, 2024 · 4 min read · 1,204 views`), or None when
    the line has no separators or is too long to be one."""
    if len(line) > SHORT_LINE + 40:
        return None
    items = [i for i in re.split(r"\s+[•·|]\s+|\s+[\u2014\u2013]\s+", line.strip(" •·|")) if i]
    return items if len(items) >= 2 else None


def is_heading(line: str) -> bool:
    """A section heading: short, capitalised, no closing punctuation, not a name."""
    words = line.split()
    return (
        1 <= len(words) <= 8
        and len(line) <= 70
        and line[0].isupper()
        and not line.endswith(_SENTENCE_END)
        and not line.startswith(("\u2013", "\u2014", "-", "«", '"', "“"))
    )


def _is_proper_phrase(text: str, max_words: int) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= max_words
        and words[0][:1].isupper()
        and all(_is_word(w) or w.lower() in _LOWER_JOINERS for w in words)
    )


def _is_term(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 5
        and len(text) <= 40
        and (text[0].isupper() or text[0].isdigit() or text.startswith("#"))
        and all(_is_word(w.lstrip("#")) or w.lower() in _LOWER_JOINERS for w in words)
    )


def _is_word(word: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_][\w'\u2019.-]*", word))


def _has_inner_capital(word: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2}[a-zà-ÿа-я][A-ZÀ-ÞА-Я]", word))


def _count(number: str, scale: str) -> int | None:
    digits = re.sub(r"[\s,]", "", number)
    multiplier = {"k": 1_000, "m": 1_000_000}.get(scale.lower(), 1)
    try:
        value = float(digits) if multiplier > 1 else int(digits.replace(".", ""))
    except ValueError:
        return None
    return int(value * multiplier)
