"""The lemmatizer's dictionaries and the stop words: loaded once per language, not per article."""

from __future__ import annotations

import importlib
import itertools

import pytest
from simplemma.strategies.dictionaries import dictionary_factory

from services.enricher.lemmas import (
    LEMMATIZED_LANGUAGES,
    LOCAL_LANGUAGES,
    dictionary_form,
    new_lemmatizer,
    stop_words,
)


def test_every_lemmatized_language_keeps_its_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Articles in all the languages, interleaved, load each dictionary once: simplemma's
    default of 8 reloaded one (seconds) for nearly every article."""
    loads: list[str] = []

    def load(language: str) -> dict[bytes, bytes]:
        loads.append(language)
        return {b"houses": b"house"}

    monkeypatch.setattr(dictionary_factory, "_load_dictionary_from_disk", load)
    lemmatizer = new_lemmatizer()
    for round_, language in itertools.product(range(3), sorted(LEMMATIZED_LANGUAGES)):
        assert lemmatizer.lemmatize("houses", language) == "house", (round_, language)
    assert sorted(loads) == sorted(LEMMATIZED_LANGUAGES)


def test_english_and_the_local_languages_are_lemmatized_and_others_kept_as_written() -> None:
    assert LOCAL_LANGUAGES | {"en"} == LEMMATIZED_LANGUAGES
    assert dictionary_form("elections", "en") == "election"
    assert dictionary_form("Warszawy", "pl") == "Warszawa"
    # Turkish has a dictionary in simplemma, but loading it for a story's words is not worth
    # seconds and hundreds of MB in every enricher process.
    assert dictionary_form("seçimlerde", "tr") == "seçimlerde"


@pytest.mark.parametrize("language", ["en", "de", "fi", "ja", "zh"])
def test_stop_words_are_spacy_s(language: str) -> None:
    module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    assert stop_words(language) == {str(word).casefold() for word in module.STOP_WORDS}


@pytest.mark.parametrize("language", ["und", "xx-yy", "../en", "EN", ""])
def test_a_language_spacy_lacks_has_no_stop_words(language: str) -> None:
    assert stop_words(language) == frozenset()
