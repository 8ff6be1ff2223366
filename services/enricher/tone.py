"""Tone with VADER: the mean sentence compound score and GDELT's word-count tone.

VADER is an English lexicon; other languages get no tone rather than a wrong one.
GDELT's tone is (positive words - negative words) / all words * 100, here with VADER's
lexicon deciding which words are positive or negative.

VADER's time grows with the square of a sentence's words (each sentiment word re-reads
the whole sentence, and a "but" re-scans every word before it): a "sentence" of thousands
of words, a list or a text without full stops, took seconds to minutes. A sentence longer
than `_MAX_SENTENCE_WORDS` (more than any real one) is scored as the mean of its pieces.
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.enricher.text import TextSpan
from shared.events import Tone

# The longest sentence of the English corpus pages has 284 words (a list).
_MAX_SENTENCE_WORDS = 300


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def measure_tone(sentences: list[TextSpan], word_list: list[str]) -> Tone:
    """Tone of a text from its sentences and its (letter-only) words."""
    vader = analyzer()
    compounds = [_compound(vader, s.text) for s in sentences]
    lexicon: dict[str, float] = vader.lexicon
    positive = negative = 0
    for word in word_list:
        valence = lexicon.get(word.lower(), 0.0)
        if valence > 0:
            positive += 1
        elif valence < 0:
            negative += 1
    total = max(len(word_list), 1)
    positive_pct = 100.0 * positive / total
    negative_pct = 100.0 * negative / total
    return Tone(
        lexicon="vader",
        compound_mean=round(sum(compounds) / len(compounds), 4) if compounds else 0.0,
        positive_pct=round(positive_pct, 3),
        negative_pct=round(negative_pct, 3),
        tone=round(positive_pct - negative_pct, 3),
        sentences=len(compounds),
    )


def _compound(vader: SentimentIntensityAnalyzer, sentence: str) -> float:
    words = sentence.split()
    if len(words) <= _MAX_SENTENCE_WORDS:
        return float(vader.polarity_scores(sentence)["compound"])
    pieces = [
        " ".join(words[i : i + _MAX_SENTENCE_WORDS])
        for i in range(0, len(words), _MAX_SENTENCE_WORDS)
    ]
    return sum(float(vader.polarity_scores(p)["compound"]) for p in pieces) / len(pieces)
