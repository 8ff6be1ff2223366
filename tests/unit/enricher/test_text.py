from __future__ import annotations

import time

from services.enricher.enrich import count_words
from services.enricher.text import split_paragraphs, split_sentences
from tests.unit.enricher.helpers import enrich_text


def test_sentences_keep_abbreviations_and_closing_quotes() -> None:
    text = 'Mr. Smith went to the U.S. embassy. He said "no." Then he left!\n\nNew paragraph'
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Smith went to the U.S. embassy.",
        'He said "no."',
        "Then he left!",
        "New paragraph",
    ]
    for span in split_sentences(text):
        assert text[span.start : span.end] == span.text


def test_a_long_list_of_initials_is_split_in_linear_time() -> None:
    # Each "J. " re-read the sentence so far: 8,000 signatories took 18 s, twice per article.
    names = ", ".join(f"{chr(65 + i % 26)}. Smith" for i in range(8000))
    started = time.perf_counter()
    sentences = split_sentences(f"Signed by {names}. The end.")
    assert time.perf_counter() - started < 1.0
    assert [s.text for s in sentences][1:] == ["The end."]


def test_paragraphs() -> None:
    assert [p.text for p in split_paragraphs("a\n\n  b\n \nc")] == ["a", "b", "c"]


def test_word_count_and_reading_time() -> None:
    enrichment = enrich_text(" ".join(["word"] * 460))
    assert count_words("Kim's 3 well-known words") == 5
    assert enrichment.word_count == 460
    assert enrichment.reading_time_s == 120
