"""Quotations and their speakers: in quotation marks, reported ("X said that ..."), and
paragraph-long quotes attributed by the next paragraph ("- the Ministry said ...").

Quotation marks are paired inside a paragraph only, so one missing closing mark cannot
swallow the rest of the article: an opening mark left open at the paragraph's end gives a
quote up to there, marked `closed=False`.
"""

from __future__ import annotations

import re
from typing import Final

from services.enricher.text import TextSpan, split_paragraphs, split_sentences
from shared.events import Quote

# Chinese and Japanese corner brackets too: 「...」 and, within one, 『...』.
_OPENERS: Final = frozenset("“„«‹「『")
_CLOSERS: Final = frozenset("”»›」』")
_TOGGLES: Final = frozenset('"')
# German (and Czech, Slovak, ...) close „ with “, the mark English opens with.
_LOW_OPENER: Final = "„"
_LOW_CLOSERS: Final = frozenset("“")
_MIN_WORDS: Final = 2
# Chinese and Japanese write no spaces between words: a quote of theirs is long enough by
# its characters (two words are some four of them), not by its spaces.
_MIN_UNSPACED_CHARS: Final = 4
_UNSPACED_SCRIPT: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_VERB: Final = (
    r"(?:said|says|say|stated|states|told\s+[\w\s]{1,30}?|added|noted|warned|announced|"
    r"claimed|stressed|declared|insisted|wrote|explained|argued|emphasized|emphasised)"
)
_SPEAKER: Final = r"(?P<speaker>(?:[\w.'’-]+\s+){0,6}?[\w.'’-]+)"
_PRONOUNS: Final = frozenset({"he", "she", "they", "it", "we", "i", "you", "this", "that"})
_DASH_ATTRIBUTION: Final = re.compile(
    rf"^[–—-]\s*{_SPEAKER}\s+{_VERB}\b",
    re.IGNORECASE | re.UNICODE,
)
_REPORTED: Final = re.compile(
    rf"(?:^|,\s*){_SPEAKER}\s+{_VERB}\s+that\s+(?P<said>.+)$", re.UNICODE | re.DOTALL
)
# The speaker after the verb ends at a comma or the sentence's end: a dot with words after
# it in the same sentence is an abbreviation's ("said Sen. Chuck Schumer", "Dr.", "J. K.").
_SPEAKER_AFTER: Final = re.compile(
    rf"^[\s,.!?]*(?:{_VERB}\s+{_SPEAKER}\s*(?:[,!?]|\.(?!\s*\w)|$)|"
    rf"{_SPEAKER.replace('speaker', 'subject')}\s+{_VERB}\b)",
    re.UNICODE,
)
_SPEAKER_BEFORE: Final = re.compile(rf"{_SPEAKER}\s+{_VERB}\s*[:,]?\s*$", re.UNICODE)
_LEADING_ARTICLE: Final = re.compile(r"^(?:the|The)\s+")
# A speaker before the quote is at most seven words and the verb: the search for it reads
# this much of the sentence, not all of it again for every quote in a long sentence.
_BEFORE_REACH: Final = 400
# Where a speaker's name ends and the rest of the clause begins ("... Jane Doe on Monday").
_AFTER_SPEAKER_WORDS: Final = (
    "on in at during after before last this yesterday today tonight while when who which "
    "adding according as late earlier"
)
_AFTER_SPEAKER: Final = frozenset(_AFTER_SPEAKER_WORDS.split())
# "X has said", "X also told": the verb's helpers are not part of the speaker.
_AUXILIARIES: Final = frozenset(
    {"has", "have", "had", "also", "later", "would", "will", "previously", "again", "reportedly"}
)
# "But they said", "and said", "X declined to name the donor but said": a conjunction
# joins clauses; before the speaker it is dropped, before the verb the speaker is unknown.
_CONJUNCTIONS: Final = frozenset({"and", "but", "or", "yet"})


def clean_speaker(raw: str | None) -> str | None:
    """The speaker's name or description, or None for a pronoun ("he", "it all")."""
    if raw is None:
        return None
    kept: list[str] = []
    for word in raw.split():
        if word.casefold() in _AFTER_SPEAKER:
            break
        kept.append(word)
    while kept and kept[-1].casefold() in _AUXILIARIES:
        kept.pop()
    if kept and kept[-1].casefold() in _CONJUNCTIONS:
        return None
    while kept and kept[0].casefold() in _CONJUNCTIONS:
        kept.pop(0)
    if not kept or kept[0].casefold() in _PRONOUNS:
        return None
    speaker = _LEADING_ARTICLE.sub("", " ".join(kept)).strip(" ,.")
    return speaker or None


def _quoted_spans(paragraph: TextSpan) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of each quotation inside the paragraph, offsets in the text."""
    spans: list[tuple[int, int, bool]] = []
    open_at: int | None = None
    closers = _CLOSERS | _TOGGLES
    for i, ch in enumerate(paragraph.text):
        if open_at is None and (ch in _OPENERS or ch in _TOGGLES):
            open_at = i + 1
            closers = _CLOSERS | _TOGGLES | (_LOW_CLOSERS if ch == _LOW_OPENER else frozenset())
        elif open_at is not None and ch in closers:
            spans.append((paragraph.start + open_at, paragraph.start + i, True))
            open_at = None
    if open_at is not None:
        spans.append((paragraph.start + open_at, paragraph.end, False))
    return spans


def _sentence_at(sentences: list[TextSpan], offset: int) -> TextSpan | None:
    return next((s for s in sentences if s.start <= offset < s.end), None)


def _direct_speaker(text: str, start: int, end: int, sentence: TextSpan | None) -> str | None:
    if sentence is None:
        return None
    after = text[end + 1 : sentence.end]
    if found := _SPEAKER_AFTER.match(after):
        return clean_speaker(found.group("speaker") or found.group("subject"))
    before_end = max(sentence.start, start - 1)
    before = text[max(sentence.start, before_end - _BEFORE_REACH) : before_end]
    if found := _SPEAKER_BEFORE.search(before):
        return clean_speaker(found.group("speaker"))
    return None


def find_quotes(text: str) -> list[Quote]:
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text)
    quotes: list[Quote] = []
    reported: list[Quote] = []
    for sentence in sentences:
        if found := _REPORTED.search(sentence.text):
            said = found.group("said").strip()
            start = sentence.start + found.start("said")
            reported.append(
                Quote(
                    text=said,
                    kind="reported",
                    speaker=clean_speaker(found.group("speaker")),
                    start=start,
                    end=start + len(said),
                )
            )
    for index, paragraph in enumerate(paragraphs):
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        if following is not None and (found := _DASH_ATTRIBUTION.match(following.text)):
            quotes.append(
                Quote(
                    text=paragraph.text.strip('"“”«» '),
                    kind="block",
                    speaker=clean_speaker(found.group("speaker")),
                    start=paragraph.start,
                    end=paragraph.end,
                )
            )
        for start, end, closed in _quoted_spans(paragraph):
            words = text[start:end].split()
            unspaced = len(_UNSPACED_SCRIPT.findall(text, start, end))
            if len(words) < _MIN_WORDS and unspaced < _MIN_UNSPACED_CHARS:
                continue
            speaker = _direct_speaker(text, start, end, _sentence_at(sentences, start))
            if speaker is None:
                # Quoted words inside a reported statement are the reported speaker's.
                speaker = next(
                    (r.speaker for r in reported if r.start <= start and end <= r.end), None
                )
            quotes.append(
                Quote(
                    text=" ".join(words),
                    kind="direct",
                    speaker=speaker,
                    start=start,
                    end=end,
                    closed=closed,
                )
            )
    quotes.extend(reported)
    quotes.sort(key=lambda q: (q.start, q.kind))
    return quotes
