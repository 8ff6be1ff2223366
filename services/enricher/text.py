"""Sentences and words of an article's text, with their character offsets.

The NER model runs without its parser or sentence recogniser (speed), so sentences come
from punctuation here; every analysis that reports offsets builds on these spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before
# whitespace and an opening character of a new sentence; a blank line always ends one.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?P<closers>[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[^\W_a-z])|(?P<paragraph>\n\s*\n)"
)
# Abbreviations whose final dot does not end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Corp|Ltd|Co|No|vs|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])\.$"
)
# The longest abbreviation ("Sept"), its dot and the character before it (for its \b): the
# end of a sentence so far that the abbreviation check reads. Reading all of it cost as
# much as the sentence for every dot in it, quadratic in a list of initials ("J. Smith, ...").
_ABBREVIATION_WINDOW = 6
WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class TextSpan:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[TextSpan]:
    """Sentences as spans of `text`, stripped of surrounding whitespace."""
    spans: list[TextSpan] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        end = boundary.start() + len(boundary.group("closers") or "")
        tail = text[max(start, boundary.start() - _ABBREVIATION_WINDOW) : boundary.start()]
        if not boundary.group("paragraph") and _ABBREVIATION.search(tail):
            continue
        _add_span(text, start, end, spans)
        start = boundary.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[TextSpan]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    begin = start + lead
    spans.append(TextSpan(begin, begin + len(stripped), stripped))


def split_paragraphs(text: str) -> list[TextSpan]:
    """Paragraphs (separated by blank lines) as spans of `text`."""
    spans: list[TextSpan] = []
    start = 0
    for gap in re.finditer(r"\n\s*\n", text):
        _add_span(text, start, gap.start(), spans)
        start = gap.end()
    _add_span(text, start, len(text), spans)
    return spans


def words(text: str) -> list[TextSpan]:
    """Letter-only words: hyphens, apostrophes and digits separate them."""
    return [TextSpan(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
