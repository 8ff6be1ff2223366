from __future__ import annotations

import time

from services.enricher.text import split_sentences, words
from services.enricher.tone import measure_tone
from tests.unit.enricher.helpers import enrich_text


def test_negative_text() -> None:
    tone = enrich_text(
        "The attack killed twelve people. Officials condemned the horrific violence and "
        "warned of more deaths."
    ).tone
    assert tone is not None
    assert tone.compound_mean < -0.3
    assert tone.negative_pct > tone.positive_pct
    assert tone.tone < 0
    assert tone.sentences == 2


def test_positive_text() -> None:
    tone = enrich_text(
        "The festival was a wonderful success. Visitors loved the music and praised the "
        "friendly volunteers."
    ).tone
    assert tone is not None
    assert tone.compound_mean > 0.3
    assert tone.tone > 0


def test_no_tone_without_a_lexicon() -> None:
    enrichment = enrich_text(
        "Die Regierung hat am Dienstag ein neues Gesetz beschlossen, das ab Januar gilt."
    )
    assert enrichment.tone is None
    assert not next(a for a in enrichment.analyses if a.name == "tone").ran


def test_a_sentence_of_thousands_of_words_costs_linear_time() -> None:
    # A list without full stops is one "sentence": VADER took 6 s on these 10,000 words.
    text = "Results: " + " ".join(f"good win {i} but sad loss" for i in range(2000))
    started = time.perf_counter()
    tone = measure_tone(split_sentences(text), [w.text for w in words(text)])
    assert time.perf_counter() - started < 1.0
    assert tone.sentences == 1
    assert -1.0 <= tone.compound_mean <= 1.0
