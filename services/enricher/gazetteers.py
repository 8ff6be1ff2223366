"""Which gazetteer an article's language gets: its own for the languages with local names
and lemmas (gazetteer_local.py), else the English one with the country names in that
language (gazetteer.py). Kept apart so the two gazetteer modules never import each other."""

from __future__ import annotations

from services.enricher.gazetteer import Gazetteer, gazetteer_with_country_names
from services.enricher.gazetteer_local import local_gazetteer
from services.enricher.lemmas import LOCAL_LANGUAGES


def gazetteer(language: str = "en") -> Gazetteer:
    if language in LOCAL_LANGUAGES:
        return local_gazetteer(language)
    return gazetteer_with_country_names(language)
