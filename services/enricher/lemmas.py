"""Words of the languages beyond English: their dictionary forms and their stop words.

Names in Ukrainian, Russian and Polish are inflected ("у Києві", "do Warszawy"); the
gazetteers of those languages match names by their lemmas, from simplemma (MIT, its
dictionaries ship inside the package, nothing is downloaded). Stop words come from spaCy's
language modules, which ship without a model.
"""

from __future__ import annotations

import importlib
from functools import cache, lru_cache
from typing import Final

import simplemma

# The languages beyond English whose countries, places and keywords the enricher finds.
LOCAL_LANGUAGES: Final = frozenset({"uk", "ru", "de", "fr", "es", "pl", "it", "pt"})


@lru_cache(maxsize=200_000)
def dictionary_form(word: str, language: str) -> str:
    """The word's dictionary form as simplemma writes it: names keep their capital
    ("Alejandro", "Иван"), common words lose it ("губернатор", "según")."""
    return str(simplemma.lemmatize(word, lang=language))


def lemma(word: str, language: str) -> str:
    """The word's dictionary form, case-folded ("Києві" -> "київ", "Warszawy" -> "warszawa")."""
    return dictionary_form(word, language).casefold()


def lemma_key(tokens: list[str], language: str) -> str:
    return " ".join(lemma(token, language) for token in tokens)


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words of the language (casefolded); empty for a language it lacks."""
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(str(word).casefold() for word in module.STOP_WORDS)
