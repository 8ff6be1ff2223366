"""Scraped plain text: the seed's must-show values, and three pages of other shapes parsed by
the same rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.parser import chrome
from services.parser.parse import parse_event
from services.parser.plaintext import parse_plain_text
from tests.unit.parser.conftest import FIXTURES, text_event

SEED_CHROME = ("date 2025-04-28", "$41.750.06", "Kyiv • UNN", "3054 views", "WarNews of the World")


def test_seed_gives_every_must_show_value(seed_text: str) -> None:
    event = parse_event(text_event(seed_text, "text/plain"), max_bytes=10_000_000)
    article = event.article
    assert article is not None
    assert article.title == (
        "DPRK troops' participation in Russia's war against Ukraine: Seoul condemns "
        "cooperation between Moscow and Pyongyang"
    )
    assert article.published_at is not None
    assert article.published_at.isoformat().startswith("2025-04-28")
    assert article.dateline == "Kyiv"
    assert article.publisher == "UNN"
    assert article.views == 3054
    assert article.authors == ["Yevhen Ustimenko"]
    assert article.categories == ["War", "News of the World"]
    assert article.lead is not None
    assert article.lead.startswith("The South Korean government condemned")
    assert [s.heading for s in article.sections] == ["Details", "Context"]
    assert article.sections[0].text.startswith("The Ministry of Foreign Affairs of South Korea")
    assert article.sections[1].text.endswith("forged documents for them.")


def test_seed_text_holds_no_chrome(seed_text: str) -> None:
    article = parse_plain_text(seed_text)
    for line in SEED_CHROME:
        assert line not in article.text
    assert "Yevhen Ustimenko" not in article.text
    # The headline is the title, not a paragraph; its caption repetition is dropped.
    assert article.title is not None and article.title not in article.text
    # The quotation's attribution is story, not chrome.
    assert "– the South Korean Foreign Ministry said in a statement." in article.text


def test_seed_rules_are_not_its_words(seed_text: str) -> None:
    """The same page with other names, places and categories parses the same way."""
    # The seed separates its chrome with no-break spaces, as scraped pages often do.
    swapped = (
        seed_text.replace("\xa0", " ")
        .replace("Kyiv • UNN", "Lviv • Zaxid")
        .replace("Yevhen Ustimenko", "Olha Kovalenko")
        .replace("WarNews of the World", "PoliticsEconomyWorld Markets")
        .replace("3054 views", "17 views")
        .replace("2025-04-28", "2024-12-01")
        .replace("Details", "What happened")
    )
    article = parse_plain_text(swapped)
    assert (article.dateline, article.publisher) == ("Lviv", "Zaxid")
    assert article.authors == ["Olha Kovalenko"]
    assert article.categories == ["Politics", "Economy", "World Markets"]
    assert article.views == 17
    assert article.published_at == datetime(2024, 12, 1, tzinfo=UTC)
    assert [s.heading for s in article.sections] == ["What happened", "Context"]


def _fixture(name: str) -> str:
    return (FIXTURES / "plaintext" / name).read_text(encoding="utf-8")


def test_regional_page_with_byline_at_top_and_no_dateline() -> None:
    article = parse_plain_text(_fixture("regional_byline_top.txt"))
    assert article.title == "Tram line to the airport delayed again as contractor misses deadline"
    assert article.authors == ["Maria Kowalska"]
    assert article.published_at == datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
    assert article.dateline is None
    assert article.section == "Transport"
    assert article.tags == ["Transport", "Airport", "Trams", "City Council"]
    assert [s.heading for s in article.sections] == ["What went wrong", "What happens next"]
    assert article.lead is not None and article.lead.startswith("The opening of the new tram")
    for chrome_line in ("Skip to main content", "Share", "Advertisement", "Tags:", "Most read"):
        assert chrome_line not in article.text
    assert "By Maria Kowalska" not in article.text


def test_wire_page_with_dateline_inside_the_first_paragraph() -> None:
    article = parse_plain_text(_fixture("wire_dateline_in_text.txt"))
    assert article.title == "EU ministers agree to extend gas storage rules for another year"
    assert article.authors == ["Jane Doe", "Tomas Berg"]
    assert article.published_at == datetime(2024, 3, 3, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    assert (article.dateline, article.publisher) == ("Brussels", "Meridian")
    assert article.section == "World"
    assert article.categories == ["Europe", "Energy", "Markets"]
    assert article.text.startswith("European Union energy ministers agreed on Sunday")
    for chrome_line in ("Listen to article", "Reporting by", "Topics:", "Meridian News Agency"):
        assert chrome_line not in article.text


def test_portal_page_with_numeric_date_views_and_author_at_the_end() -> None:
    article = parse_plain_text(_fixture("portal_views_author_end.txt"))
    assert (
        article.title == "Grid operator restores power to most of Kharkiv after overnight strikes"
    )
    assert article.published_at == datetime(2024, 2, 3, 18, 45, tzinfo=UTC)
    assert article.views == 1204
    assert article.authors == ["Olena Petrenko"]
    assert article.categories == ["Economy", "Energy", "Kharkiv"]
    assert article.dateline is None
    assert [s.heading for s in article.sections] == ["Why it matters"]
    assert article.lead is not None and article.lead.startswith("Power has been restored")
    for chrome_line in ("Views:", "Photo: press service", "Read also:", "Author:"):
        assert chrome_line not in article.text


@pytest.mark.parametrize(
    ("line", "terms"),
    [
        ("WarNews of the World", ["War", "News of the World"]),
        ("SportFootballChampions League", ["Sport", "Football", "Champions League"]),
        ("ПолітикаНовини світу", ["Політика", "Новини світу"]),
    ],
)
def test_glued_category_links_split_where_a_capital_follows_lowercase(
    line: str, terms: list[str]
) -> None:
    assert chrome.categories(line) == ("categories", terms)


def test_a_name_with_an_inner_capital_is_not_split() -> None:
    assert chrome.split_glued("McCain") == ["McCain"]


@pytest.mark.parametrize(
    ("line", "count"),
    [("• 3054 views", 3054), ("Views: 1 204", 1204), ("12.5K reads", 12500), ("3,100 views", 3100)],
)
def test_view_counters(line: str, count: int) -> None:
    assert chrome.views(line) == count


@pytest.mark.parametrize(
    "line", ["The report has 3054 pages.", "Kyiv • UNN", "views of the city", "2025-04-28"]
)
def test_lines_that_are_not_view_counters(line: str) -> None:
    assert chrome.views(line) is None


def test_a_sentence_with_a_date_is_not_a_date_line() -> None:
    assert chrome.date_line("The treaty signed on 2024-05-01 obliges both parties to help") is None
    assert chrome.date_line("Updated: 5 March 2024 14:02") is not None


def test_bylines_give_names_without_roles() -> None:
    assert chrome.byline("By Jane Doe | Staff Writer") == ["Jane Doe"]
    assert chrome.byline("By the end of the year, prices rose") is None


def test_empty_or_chrome_only_text_is_rejected() -> None:
    from shared.errors import Rejected

    with pytest.raises(Rejected) as empty:
        parse_plain_text("   \n\n ")
    assert empty.value.reason == "no_text"
