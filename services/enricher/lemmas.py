"""Words of English and the languages beyond it: their dictionary forms and stop words.

Names in Ukrainian, Russian and Polish are inflected ("у Києві", "do Warszawy"); the
gazetteers of those languages match names by their lemmas, from simplemma (MIT, its
dictionaries ship inside the package, nothing is downloaded). Stop words come from spaCy's
language modules, which ship without a model.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries import DefaultDictionaryFactory

# The languages beyond English whose countries, places and keywords the enricher finds.
LOCAL_LANGUAGES: Final = frozenset({"uk", "ru", "de", "fr", "es", "pl", "it", "pt"})
# The languages whose words the enricher takes by their dictionary forms.
LEMMATIZED_LANGUAGES: Final = LOCAL_LANGUAGES | {"en"}


# A language's dictionary takes 0.2 to 7 s to load and 10 to 650 MB. simplemma keeps 8 by
# default: the 9 languages here, interleaved, and before them the 30 of the corpus that the
# stories lemmatized, reloaded one for nearly every article (60% of the enricher's time).
# A slot per language: each is loaded once per process.
def new_lemmatizer() -> Lemmatizer:
    return Lemmatizer(
        lemmatization_strategy=DefaultStrategy(
            dictionary_factory=DefaultDictionaryFactory(cache_max_size=len(LEMMATIZED_LANGUAGES))
        )
    )


_LEMMATIZER: Final = new_lemmatizer()
_SPACY_SPEC = importlib.util.find_spec("spacy")  # found, not imported
assert _SPACY_SPEC is not None and _SPACY_SPEC.origin is not None
_SPACY_LANGUAGES: Final = Path(_SPACY_SPEC.origin).parent / "lang"
_LANGUAGE_CODE: Final = re.compile(r"[a-z]{2,3}")


def dictionary_form(word: str, language: str) -> str:
    """The word's dictionary form as simplemma writes it: names keep their capital
    ("Alejandro", "Иван"), common words lose it ("губернатор", "según"). A word of a
    language outside `LEMMATIZED_LANGUAGES` is returned as it is."""
    if language not in LEMMATIZED_LANGUAGES:
        return word  # before the cache, so it keeps its slots for lemmas
    return _lemmatized(word, language)


@lru_cache(maxsize=200_000)
def _lemmatized(word: str, language: str) -> str:
    return str(_LEMMATIZER.lemmatize(word, language))


def lemma(word: str, language: str) -> str:
    """The word's dictionary form, case-folded ("Києві" -> "київ", "Warszawy" -> "warszawa")."""
    return dictionary_form(word, language).casefold()


def lemma_key(tokens: list[str], language: str) -> str:
    return " ".join(lemma(token, language) for token in tokens)


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words of the language (casefolded); empty for a language it lacks."""
    path = _SPACY_LANGUAGES / language / "stop_words.py"
    if not _LANGUAGE_CODE.fullmatch(language) or not path.is_file():
        return frozenset()
    # The file alone: importing it as `spacy.lang.<language>.stop_words` runs the package's
    # __init__ first, whose tokenizer exceptions take about a second per language to compile.
    spec = importlib.util.spec_from_file_location(f"_spacy_stop_words_{language}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(str(word).casefold() for word in module.STOP_WORDS)
