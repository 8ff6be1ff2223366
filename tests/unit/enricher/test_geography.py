"""Countries and places, including the traps: people named like places, demonyms, Georgia."""

from __future__ import annotations

from tests.unit.enricher.helpers import enrich_text


def test_person_named_like_a_city_is_no_place() -> None:
    enrichment = enrich_text(
        "Paris Hilton arrived in London on Tuesday for the launch of her new perfume."
    )
    assert "Paris" not in {p.name for p in enrichment.places}
    assert "FR" not in {c.alpha2 for c in enrichment.countries}
    assert {p.name for p in enrichment.places} == {"London"}


def test_person_with_a_place_like_name_gives_no_place() -> None:
    enrichment = enrich_text("Vladimir Putin met Jordan Peterson at a forum on Tuesday.")
    assert enrichment.places == []
    assert "JO" not in {c.alpha2 for c in enrichment.countries}


def test_the_white_house_is_not_casablanca() -> None:
    # GeoNames lists "White House" among Casablanca's names: Morocco was a focus country
    # of US political news.
    enrichment = enrich_text(
        "A White House spokesman declined to comment. Officials at the White House were "
        "not available on Monday.",
        title="White House responds to criticism",
    )
    assert enrichment.places == []
    assert enrichment.countries == []


def test_demonyms_and_compound_demonyms_count_for_their_countries() -> None:
    enrichment = enrich_text(
        "South Korean officials discussed the Russian-Ukrainian war with French diplomats."
    )
    assert {"KR", "RU", "UA", "FR"} <= {c.alpha2 for c in enrichment.countries}
    assert "KP" not in {c.alpha2 for c in enrichment.countries}


def test_aliases() -> None:
    enrichment = enrich_text("The DPRK fired a missile; the ROK and the U.S. condemned the launch.")
    assert {"KP", "KR", "US"} <= {c.alpha2 for c in enrichment.countries}


def test_georgia_the_us_state() -> None:
    enrichment = enrich_text(
        "Georgia Gov. Brian Kemp signed the bill in Atlanta on Monday, and Republicans in "
        "the state legislature praised it."
    )
    assert {c.alpha2 for c in enrichment.countries} == {"US"}
    georgia = next(p for p in enrichment.places if p.name == "Georgia")
    assert georgia.kind == "us_state" and georgia.country == "US"


def test_georgia_the_country() -> None:
    enrichment = enrich_text(
        "Georgia's prime minister met EU officials in Tbilisi as protesters demanded that "
        "the government drop a law modelled on Russia's."
    )
    assert "GE" in {c.alpha2 for c in enrichment.countries}
    assert "US" not in {c.alpha2 for c in enrichment.countries}
    assert all(p.kind != "us_state" for p in enrichment.places)


def test_capital_stands_for_its_country_and_dateline_counts() -> None:
    enrichment = enrich_text("Officials in Beijing rejected the claims.", dateline="Kyiv")
    countries = {c.alpha2 for c in enrichment.countries}
    assert {"CN", "UA"} <= countries
    kyiv = next(p for p in enrichment.places if p.name == "Kyiv")
    assert kyiv.in_dateline and kyiv.count == 0


def test_focus_goes_to_the_most_mentioned_countries() -> None:
    enrichment = enrich_text(
        "Japan and Japan's neighbours met in Tokyo. Japanese officials spoke. Brazil sent "
        "an observer.",
        title="Japan hosts regional talks",
    )
    countries = {c.alpha2: c for c in enrichment.countries}
    assert countries["JP"].focus
    assert not countries["BR"].focus


def test_non_english_country_names() -> None:
    enrichment = enrich_text(
        "Der Bundeskanzler reiste am Montag nach Paris. Deutschland und Frankreich wollen "
        "enger zusammenarbeiten."
    )
    assert {"DE", "FR"} <= {c.alpha2 for c in enrichment.countries}


def test_title_names_follow_the_body_s_people_and_organisations() -> None:
    enrichment = enrich_text(
        "Paris Hilton spoke to the Moscow Times about Russia.",
        title="Paris Hilton tells Moscow Times about her Russia trip",
    )
    assert {p.name for p in enrichment.places} == set()
    russia = next(c for c in enrichment.countries if c.alpha2 == "RU")
    assert russia.count == 2  # the body and the title
    assert "FR" not in {c.alpha2 for c in enrichment.countries}
