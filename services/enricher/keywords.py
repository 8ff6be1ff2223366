"""Key phrases: runs of content words between stop words and punctuation, weighted by
frequency, length, named entities and the title.

Statistical extractors (YAKE) score n-grams that cross phrase boundaries and return
fragments such as "government strongly" or "Korea issued". Here a phrase can only be a
run of words with no stop word, adverb, verb form or punctuation inside it, which keeps
noun phrases ("South Korean government", "military cooperation") whole; entities give
the run extra weight because they are what the article is about.

The method is the same in every language the enricher reads (KEYWORD_LANGUAGES): beyond
English the stop words are spaCy's for the language and the news words of
keyword_words.py, and phrases are counted by their lemmas, so "у Києві" and "Київ" are one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from spacy.lang.en.stop_words import STOP_WORDS

from services.enricher.keyword_words import (
    CONJUGATED_ENDINGS,
    INFINITIVE_ENDINGS,
    NEWS_WORDS,
)
from services.enricher.lemmas import lemma, stop_words
from services.enricher.text import TextSpan
from services.enricher.word_classes import WordClasses
from shared.events import Entity, Keyword

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# French and Italian elide an article or pronoun into the next word ("l'Ukraine").
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|dell|dall|nell|sull|all|un)['’]", re.IGNORECASE)
_ELIDING: Final = frozenset({"fr", "it"})
# German writes every noun with a capital: a capital after a lowercase word is no name.
_ALL_NOUNS_CAPITALISED: Final = frozenset({"de"})
KEYWORD_LANGUAGES: Final = frozenset({"en", *NEWS_WORDS})
# Reporting and other frequent news verbs end a phrase like a stop word does.
_VERBS: Final = frozenset(
    """said says say saying told tells tell stated states state called calls call reported
    reports according announced announces confirmed confirms denied denies claimed claims
    warned warns urged urges condemned condemns agreed agrees signed signs recognized
    recognised acknowledged issued issues added adds noted notes asked asks wrote writes
    cease end ends continue continues obliges undermines support supports provide sent
    sending took take make made went goes going get got became become seems seemed
    including despite amid time times year years day days week weeks people way part
    lot number grew rose fell won lost left began begun came saw met held led gave kept ran
    spoke fought hit put set cut struck sought brought thought built sold paid fled told
    became""".split()  # noqa: SIM905 - a word list reads better as text
)
_CALENDAR_WORDS: Final = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "june july august september october november december jan feb mar apr jun jul aug sep "
    "sept oct nov dec"
)
_CALENDAR: Final = frozenset(_CALENDAR_WORDS.split())
# spaCy splits "wasn't", "you're" into a word and a stop word ("n't", "'re"); here the
# token stays whole, so a word ending in one of those stop words is a stop word too.
_CONTRACTIONS: Final = tuple(sorted(w for w in STOP_WORDS if "'" in w or "’" in w))
_NO_WORD_CLASSES: Final = WordClasses()
_MAX_WORDS: Final = 4
_TOP: Final = 10
_TITLE_BONUS: Final = 1.0


def _is_boundary_word(word: str, classes: WordClasses, language: str) -> bool:
    if language != "en":
        return _is_local_boundary_word(word, language)
    lower = word.lower()
    if lower in STOP_WORDS or lower in _VERBS or lower in _CALENDAR or word.isdigit():
        return True
    if lower.endswith(_CONTRACTIONS):
        return True
    if word[0].islower():
        if len(word) > 4 and lower.endswith(("ly", "ing", "ed")):
            return True
        if classes.is_verb_only(lower):
            return True
    return len(word) < 2


def _is_local_boundary_word(word: str, language: str) -> bool:
    lower = word.casefold()
    if lower in stop_words(language) or word.isdigit() or len(word) < 2:
        return True
    news = NEWS_WORDS.get(language, frozenset())
    base = lemma(word, language)
    if lower in news or base in news:
        return True
    return word[0].islower() and _is_verb_form(lower, base, language)


def _is_verb_form(lower: str, base: str, language: str) -> bool:
    if not base.endswith(INFINITIVE_ENDINGS.get(language, ())):
        return False
    conjugated = CONJUGATED_ENDINGS.get(language)
    if conjugated is not None:
        return lower != base and lower.endswith(conjugated)
    return True


def candidate_phrases(
    sentences: Iterable[TextSpan],
    classes: WordClasses = _NO_WORD_CLASSES,
    language: str = "en",
) -> list[str]:
    """Runs of up to four content words inside each sentence, as written.

    A run is also cut where a lowercase word meets a capitalised one: "accuses Turkey" and
    "defeat President Trump" are a verb or its object before a name, while a name before
    common nouns ("South Korean government") is one phrase.
    """
    phrases: list[str] = []
    for sentence in sentences:
        run: list[str] = []
        previous_end = -1
        for match in _TOKEN.finditer(sentence.text):
            word = match.group()
            gap = sentence.text[previous_end : match.start()] if previous_end >= 0 else " "
            if gap.strip():
                _close(run, phrases)
            previous_end = match.end()
            if language in _ELIDING and (elision := _ELISION.match(word)):
                _close(run, phrases)  # the elided word is a stop word
                word = word[elision.end() :]
            possessive = _POSSESSIVE.search(word)
            if possessive:
                word = word[: possessive.start()]
            if not word or _is_boundary_word(word, classes, language):
                _close(run, phrases)
                continue
            if (
                run
                and run[-1][0].islower()
                and word[0].isupper()
                and language not in _ALL_NOUNS_CAPITALISED
            ):
                _close(run, phrases)
            run.append(word)
            if possessive:
                _close(run, phrases)
        _close(run, phrases)
    return phrases


def _close(run: list[str], phrases: list[str]) -> None:
    if 0 < len(run) <= _MAX_WORDS:
        phrases.append(" ".join(run))
    run.clear()


def extract_keywords(
    sentences: Sequence[TextSpan],
    entities: Sequence[Entity] = (),
    title: str | None = None,
    classes: WordClasses = _NO_WORD_CLASSES,
    language: str = "en",
) -> list[Keyword]:
    phrases = candidate_phrases(sentences, classes, language)
    counts = Counter(_key(p, language) for p in phrases)
    surface: dict[str, str] = {}
    for phrase in phrases:
        surface.setdefault(_key(phrase, language), phrase)
    entity_weight = {_key(e.text, language): e.count for e in entities if e.type != "group"}
    title_folded = _key(title or "", language)
    scores: dict[str, float] = {}
    for key, count in counts.items():
        length = len(key.split())
        score = count * (1.0 + 0.5 * (length - 1))
        score += sum(w for name, w in entity_weight.items() if _contains_words(key, name))
        if key in title_folded:
            score += _TITLE_BONUS
        scores[key] = score
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    kept: list[str] = []
    for key in ranked:
        # A phrase already inside a better one adds nothing ("Korean" in "South Korean ...").
        if any(_contains_words(better, key) for better in kept):
            continue
        kept.append(key)
        if len(kept) == _TOP:
            break
    if not kept:
        return []
    best = scores[kept[0]]
    return [Keyword(text=surface[k], score=round(scores[k] / best, 4)) for k in kept]


def _key(phrase: str, language: str) -> str:
    """What counts as the same phrase: its words case-folded, and beyond English their
    lemmas, so inflected forms of one phrase add up."""
    if language == "en":
        return phrase.casefold()
    return " ".join(lemma(w, language) for w in _TOKEN.findall(phrase))


def _contains_words(phrase: str, part: str) -> bool:
    return f" {part} " in f" {phrase} "
