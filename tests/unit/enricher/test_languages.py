"""Countries and places beyond English, on the development set in
tests/fixtures/enricher/languages/ (short news texts per language, the expected countries
and places marked, inflected forms and surname traps among them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.enricher.gazetteers import gazetteer
from services.enricher.geography import ArticleParts, resolve_geography
from services.enricher.lemmas import LOCAL_LANGUAGES

DEV_SET = Path(__file__).parents[2] / "fixtures" / "enricher" / "languages"


def _scores(found: list[set[str]], expected: list[set[str]]) -> tuple[float, float]:
    hits = sum(len(f & e) for f, e in zip(found, expected, strict=True))
    n_found = sum(map(len, found))
    n_expected = sum(map(len, expected))
    return (hits / n_found if n_found else 1.0, hits / n_expected if n_expected else 1.0)


@pytest.mark.parametrize("language", sorted(LOCAL_LANGUAGES))
def test_countries_and_places_precision_and_recall(language: str) -> None:
    cases = json.loads((DEV_SET / f"{language}.json").read_text(encoding="utf-8"))
    assert len(cases) >= 10
    found_countries, found_places, expected_countries, expected_places = [], [], [], []
    for case in cases:
        countries, places = resolve_geography(gazetteer(language), ArticleParts(case["text"]))
        found_countries.append({c.alpha2 for c in countries})
        found_places.append({p.name for p in places})
        expected_countries.append(set(case["countries"]))
        expected_places.append(set(case["places"]))
    country_p, country_r = _scores(found_countries, expected_countries)
    place_p, place_r = _scores(found_places, expected_places)
    print(f"{language}: countries P={country_p:.2f} R={country_r:.2f}; "
          f"places P={place_p:.2f} R={place_r:.2f}")  # fmt: skip
    assert country_p >= 0.9 and country_r >= 0.9
    assert place_p >= 0.9 and place_r >= 0.8


def test_ukrainian_kyiv_seoul_pyongyang_are_the_english_seeds_places() -> None:
    uk_text = "У Києві заявили, що Сеул і Пхеньян ведуть переговори. Делегація прибула до Пхеньяна."
    en_text = "Kyiv said that Seoul and Pyongyang are in talks. A delegation arrived in Pyongyang."
    uk_countries, uk_places = resolve_geography(gazetteer("uk"), ArticleParts(uk_text))
    _, en_places = resolve_geography(gazetteer("en"), ArticleParts(en_text))
    assert {c.alpha2 for c in uk_countries} == {"UA", "KR", "KP"}
    assert {(p.name, p.geonames_id) for p in uk_places} == {
        (p.name, p.geonames_id) for p in en_places
    }
    assert {p.geonames_id for p in uk_places} == {703448, 1835848, 1871859}
    assert next(p for p in uk_places if p.name == "Pyongyang").count == 2


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "El expresidente Alejandro Toledo habló con la prensa."),
        ("ru", "Хоккеист Александр Овечкин провёл матч."),
        ("fr", "La chanteuse Sofia Madrid a annulé sa tournée."),
        ("pt", "Como todos os anos, o festival atraiu turistas."),
    ],
)
def test_surnames_first_names_and_common_words_are_no_places(language: str, text: str) -> None:
    assert resolve_geography(gazetteer(language), ArticleParts(text)) == ([], [])


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # Each word's lemma is also the lemma of some city's GeoNames alternate name in
        # another language ("Vine", "Haga", "Son La", "Landen", "Радам").
        ("es", "Venía de una reunión. Hicimos lo que pudimos. Es el final."),
        ("de", "Das Land hilft den Ländern des Landes zum ersten Mal."),
        ("uk", "Рішення ухвалили у Верховній Раді. Голова Ради заявив про це."),
        ("fr", "Lire la suite. Il a dit non."),
    ],
)
def test_common_words_sharing_a_lemma_with_a_foreign_name_are_no_places(
    language: str, text: str
) -> None:
    assert resolve_geography(gazetteer(language), ArticleParts(text)) == ([], [])


def test_inflected_forms_match_through_lemmas() -> None:
    (match,) = gazetteer("pl").find("Premier przyleciał do Warszawy.")
    assert match.candidates[0].name == "Warsaw"
    (match,) = gazetteer("de").find("Russlands Armee")
    assert match.candidates[0].country == "RU"
