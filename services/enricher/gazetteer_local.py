"""The gazetteers of the languages beyond English (`LOCAL_LANGUAGES`).

Each is the English gazetteer plus the language's own names: pycountry's translated country
names, the aliases of local_names.py, and the GeoNames alternate names of the cities in the
language's script (GeoNames does not tag their language). Every name is also indexed by its
words' lemmas, so inflected forms match ("у Києві", "do Warszawy", "Nordkoreas"), and a
place keeps its GeoNames id: "Київ" and "Kyiv" are one place.

Without a NER model for these languages, two guards stand in for it: a city right after a
capitalised word that is no title or preposition is a person's surname ("Alejandro
Toledo"), and so is every later mention of it; a name that is also a common word of the
language ("Como", "Most") counts only after a preposition of place.
"""

from __future__ import annotations

import re
from functools import cache, partial
from typing import Final

from services.enricher.gazetteer import (
    MAX_WORDS,
    Gazetteer,
    GazetteerEntry,
    NameMatch,
    country_entry,
    english_gazetteer,
    keep_most_populous,
    name_key,
)
from services.enricher.lemmas import dictionary_form, lemma, lemma_key, stop_words
from services.enricher.local_names import (
    CITY_ALIASES,
    COMMON_WORDS,
    COUNTRY_ALIASES,
    NAME_TITLES,
    PLACE_PREPOSITIONS,
)
from services.enricher.places_data import MIN_CITY_POPULATION, is_local_alternate, places
from services.enricher.text import TextSpan, words

_CYRILLIC: Final = re.compile(r"[Ѐ-ӿ]")
_CYRILLIC_LANGUAGES: Final = frozenset({"uk", "ru"})
# German adds -s for the genitive of names ("Russlands", "Kiews"), which simplemma keeps.
_GENITIVE_S: Final = frozenset({"de"})
_NOUNS_CAPITALISED: Final = frozenset({"de"})


def _in_script(name: str, language: str) -> bool:
    return (_CYRILLIC.search(name) is not None) == (language in _CYRILLIC_LANGUAGES)


def local_country_names(language: str) -> dict[str, str]:
    """pycountry's names in `language`, with the head of "Іран, Ісламська Республіка"."""
    from services.enricher.gazetteer import translated_country_names

    names = translated_country_names(language)
    heads: dict[str, set[str]] = {}
    for name, alpha2 in _comma_names(language):
        heads.setdefault(name.split(",", 1)[0].strip(), set()).add(alpha2)
    for head, codes in heads.items():
        # "Корея, Республіка" and "Корея, Народно-..." share a head that says neither.
        if len(codes) == 1 and head not in names:
            names[head] = next(iter(codes))
    return names


def _comma_names(language: str) -> list[tuple[str, str]]:
    import gettext

    import pycountry

    try:
        catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return []
    found = []
    for country in pycountry.countries:
        translated = catalog.gettext(country.name)
        if "," in translated and translated != country.name:
            found.append((translated, country.alpha_2))
    return found


def _local_cities(language: str) -> dict[str, GazetteerEntry]:
    table: dict[str, GazetteerEntry] = {}
    aliases = CITY_ALIASES.get(language, {})
    for city in places().cities:
        if city.population < MIN_CITY_POPULATION and not city.is_capital:
            continue
        entry = GazetteerEntry(
            "city", city.country, city.name, city.geonames_id, city.lat, city.lon, city.population
        )
        for name in city.alternate_names:
            if is_local_alternate(name) and _in_script(name, language):
                keep_most_populous(table, name_key(name), entry)
        for name, geonames_id in aliases.items():
            if geonames_id == city.geonames_id:
                table[name] = entry
    return table


def _rank(entries: tuple[GazetteerEntry, ...]) -> tuple[bool, int]:
    return (entries[0].kind == "country", entries[0].population)


@cache
def local_gazetteer(language: str) -> Gazetteer:
    names = dict(english_gazetteer().names)
    for name, city in _local_cities(language).items():
        current = names.get(name)
        if current is None:
            names[name] = (city,)
        elif (
            len(current) == 1
            and current[0].kind == "city"
            and current[0].population < city.population
            and current[0].geonames_id != city.geonames_id
        ):
            # "Odessa" here is Odesa before Odessa, Texas: the article's other names decide.
            names[name] = (city, current[0])
    countries = {**local_country_names(language), **COUNTRY_ALIASES.get(language, {})}
    for name, alpha2 in countries.items():
        names[name_key(name)] = (country_entry(alpha2),)
    if language in _GENITIVE_S:
        for name, entries in list(names.items()):
            if entries and " " not in name and not name.endswith(("s", "x", "z", "ß")):
                names.setdefault(f"{name}s", entries)
    names = {name: entries for name, entries in names.items() if len(words(name)) <= MAX_WORDS}
    lemma_names: dict[str, tuple[GazetteerEntry, ...]] = {}
    for name, entries in names.items():
        if not entries or not _in_script(name, language):
            continue
        tokens = [w.text for w in words(name)]
        if _reads_as_common_words(tokens, language):
            continue
        key = lemma_key(tokens, language)
        current = lemma_names.get(key)
        if current is None or _rank(entries) > _rank(current):
            lemma_names[key] = entries
    common = COMMON_WORDS.get(language, frozenset())
    guard = partial(_guard, language=language, common=common)
    return Gazetteer(names, MAX_WORDS, language, lemma_names, guard)


def _reads_as_common_words(tokens: list[str], language: str) -> bool:
    """Whether the name's lemmas are another word's, not the name's own inflections.

    GeoNames' alternate names are in every Latin (or Cyrillic) language, and simplemma reads
    some as a word of this one: Spanish "Vine" (Vienna) as "venir", so every "Venía" was
    Vienna; "Haga" (The Hague) as "hacer", German "Landen" (London) as "Land", "Son La" as
    "ser el". A one-word name in its dictionary form is its own lemma; one that is not, or
    a name of stop words only, is matched as written and never through its lemmas.
    """
    lemmas = [lemma(token, language) for token in tokens]
    if len(tokens) == 1 and lemmas[0] != tokens[0].casefold():
        return True
    stops = stop_words(language)
    return all(word in stops for word in lemmas)


def _guard(
    text: str,
    tokens: list[TextSpan],
    found: list[NameMatch],
    *,
    language: str,
    common: frozenset[str],
) -> list[NameMatch]:
    index = {token.start: i for i, token in enumerate(tokens)}
    starts = {match.start for match in found}
    stops = stop_words(language)
    surnames: set[str] = set()
    kept: list[NameMatch] = []
    for match in found:
        i = index[match.start]
        before = tokens[i - 1] if i > 0 else None
        adjacent = before is not None and text[before.end : match.start] == " "
        is_country = match.candidates[0].kind == "country"
        if not is_country and kept and adjacent and _is_city_before(kept[-1], before):
            # Two cities with nothing between them are a first name and a surname
            # ("Sofia Madrid").
            kept.pop()
            surnames.add(match.text)
            continue
        after = (
            tokens[i + len(words(match.text))] if i + len(words(match.text)) < len(tokens) else None
        )
        if (
            not is_country
            and after is not None
            and after.start not in starts
            and text[match.end : after.start] == " "
            and _is_surname(after, language)
        ):
            # "Александр Овечкин": a city's name is also a first name.
            continue
        if not is_country and (
            match.text in surnames
            or (adjacent and before is not None and _is_first_name(text, before, kept, language))
        ):
            surnames.add(match.text)
            continue
        if match.text in common or match.text.casefold() in stops:
            prepositions = PLACE_PREPOSITIONS.get(language, frozenset())
            if not (adjacent and before is not None and before.text.casefold() in prepositions):
                continue
        kept.append(match)
    return kept


def _is_city_before(previous: NameMatch, before: TextSpan | None) -> bool:
    return (
        before is not None
        and previous.end == before.end
        and previous.candidates[0].kind != "country"
    )


def _is_first_name(text: str, word: TextSpan, kept: list[NameMatch], language: str) -> bool:
    """A capitalised word before a city that is no title, stop word or place of its own.

    Mid-sentence, a capitalised word is a name (German capitalises its nouns: there only
    the titles of `NAME_TITLES` are not); at a sentence's start, it is one when simplemma
    keeps its capital ("Alejandro", not "Губернатор").
    """
    word_text = word.text
    if not word_text[0].isupper() or word_text.isupper() or len(word_text) < 2:
        return False
    if word_text in NAME_TITLES.get(language, frozenset()):
        return False
    if word_text.casefold() in stop_words(language):
        return False
    if kept and kept[-1].end >= word.end:
        return False
    if language in _NOUNS_CAPITALISED or _starts_sentence(text, word.start):
        return dictionary_form(word_text, language)[0].isupper()
    return True


def _is_surname(word: TextSpan, language: str) -> bool:
    if language in _NOUNS_CAPITALISED or not word.text[0].isupper() or word.text.isupper():
        return False
    return dictionary_form(word.text, language)[0].isupper()


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in '.!?:\n"«“'
