"""Which English words can only be verbs, from the NER model package's lemmatizer tables.

The enricher runs no tagger (it would double the NER time), yet key phrases must not end
in a verb ("India celebrates"). The English model ships WordNet-derived lemma tables
(`lemma_index`: base forms per part of speech; `lemma_exc`: irregular forms); a word whose
base form is a verb and never a noun is taken as a verb. A model without the tables gives
empty classes, and phrases are cut by stop words and suffixes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.lookups import Lookups


@dataclass(frozen=True)
class WordClasses:
    verbs: frozenset[str] = frozenset()
    nouns: frozenset[str] = frozenset()
    irregular_verbs: frozenset[str] = frozenset()

    def is_verb_only(self, word: str) -> bool:
        """True for a lowercase word that is a verb form and no noun form."""
        if word in self.irregular_verbs:
            return word not in self.nouns
        for base in _base_forms(word):
            if base in self.nouns:
                return False
        return any(base in self.verbs for base in _base_forms(word))


def _base_forms(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    for suffix in ("ed", "ing"):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            forms += [stem, stem + "e", stem[:-1]]
    return forms


@lru_cache(maxsize=4)
def english_word_classes(model_name: str) -> WordClasses:
    try:
        package = spacy.util.get_package_path(model_name)
    except Exception:
        return WordClasses()
    tables = [p for p in package.glob("*/lemmatizer/lookups") if p.is_dir()]
    if not tables:
        return WordClasses()
    return _classes_from(tables[0])


def _classes_from(directory: Path) -> WordClasses:
    lookups = Lookups().from_disk(directory)
    if not (lookups.has_table("lemma_index") and lookups.has_table("lemma_exc")):
        return WordClasses()
    index = lookups.get_table("lemma_index")
    exceptions = lookups.get_table("lemma_exc")
    noun_exceptions = set(exceptions.get("noun", {}))
    return WordClasses(
        verbs=frozenset(index.get("verb", [])),
        nouns=frozenset(index.get("noun", [])) | noun_exceptions,
        irregular_verbs=frozenset(exceptions.get("verb", {})),
    )
