"""HTML pages: real ones in Cyrillic, Turkish, Japanese and a mis-declared charset, and a
small page written here to pin each metadata rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.parser.html import extract_html
from services.parser.metadata import clean_authors, clean_title
from services.parser.parse import parse_event
from shared.errors import Rejected
from tests.unit.parser.conftest import bytes_event, html_fixture

MOJIBAKE = re.compile("Ã.|Ð.|Ñ\u0080|Ä±|Å\u009f|â€|\ufffd")


def _parse_page(name: str, url: str | None = None):  # type: ignore[no-untyped-def]
    article = parse_event(bytes_event(html_fixture(name), url=url), max_bytes=10_000_000).article
    assert article is not None
    return article


def test_cyrillic_page() -> None:
    article = _parse_page("mk_ru_cyrillic")
    assert article.title == (
        "Присяжные оправдали мужчину, который обвинялся в убийстве активиста в Серпухове"
    )
    assert article.authors == ["Сергей Борисов"]
    assert article.published_at == datetime(
        2020, 12, 29, 16, 19, 16, tzinfo=timezone(timedelta(hours=3))
    )
    assert article.language == "ru"
    assert "Срочно в номер" in article.tags
    assert "Дмитрий Грибов" in article.text
    assert not MOJIBAKE.search(article.text + article.title)


def test_turkish_page() -> None:
    article = _parse_page("mynet_turkish")
    assert article.title == "Samsun’da sobadan zehirlenen 2 çocuk hastanelik oldu"
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2020-11-30"
    assert article.language == "tr"
    assert "İlkadım ilçesi Kadıköy Mahallesi" in article.text
    assert not MOJIBAKE.search(article.text)


def test_japanese_page() -> None:
    article = _parse_page("goo_japanese")
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2020-07-13T01:10:40+09:00"
    assert article.language == "ja"
    assert article.text.startswith("今年の4月に新卒で販売業に就職したものです。")
    assert not MOJIBAKE.search(article.text)
    # Pager rows ("- 4", "- 5") carry no words and are not paragraphs.
    assert not re.search(r"(?m)^- \d+$", article.text)


def test_page_declaring_latin1_but_written_in_utf8() -> None:
    event = parse_event(bytes_event(html_fixture("sn_dk_misdeclared_charset")), max_bytes=10**7)
    assert event.raw.encoding == "utf-8"
    assert event.article is not None
    assert event.article.title == "Forstærket håb om 737 MAX-erstatning løfter Norwegian-aktie"
    assert event.article.authors == ["Ritzau"]
    assert not MOJIBAKE.search(event.article.text)


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_cyrillic_page_in_a_legacy_charset(charset: str) -> None:
    html = html_fixture("mk_ru_cyrillic").decode("utf-8")
    data = html.encode(charset, errors="replace")
    event = bytes_event(data)
    event.raw.encoding = charset  # as the HTTP header said
    article = parse_event(event, max_bytes=10**7).article
    assert article is not None
    assert article.title is not None and article.title.startswith("Присяжные оправдали")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour bridge reopens after repairs | The Coastal Courier</title>
<meta property="og:site_name" content="The Coastal Courier">
<meta name="description" content="The bridge was closed for six weeks.">
<meta property="og:image" content="https://img.example.com/bridge.jpg">
<meta property="article:section" content="Local">
<meta property="article:tag" content="Transport">
<link rel="canonical" href="/news/harbour-bridge-reopens">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Harbour bridge reopens after repairs",
 "datePublished": "2023-05-04T08:30:00+02:00", "dateModified": "2023-05-05T10:00:00+02:00",
 "author": {"@type": "Person", "name": "By Ana Lima | Staff Reporter"}}
</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Thursday morning after six weeks of repairs to
its steel deck, the city's roads department said.</p>
<h2>What changed</h2>
<p>Engineers replaced 40 corroded plates and resurfaced both lanes, and the speed limit on the
bridge has been lowered to 40 km/h while the new surface settles.</p>
<ul><li>Cyclists get a separated lane on the north side.</li>
<li>Buses return to their usual route from Monday.</li></ul>
<blockquote>"It is safer than it has been in twenty years," the department's chief
engineer said.</blockquote>
<p>Traffic had been diverted through the old town since the end of March, adding up to half an
hour to some commutes.</p></article>
<div class="share">Share on Facebook Share on Twitter</div>
<footer>© 2023 The Coastal Courier. Cookie settings.</footer></body></html>"""


def test_metadata_from_a_small_page() -> None:
    article = extract_html(PAGE, "https://coastal.example.com/news/harbour-bridge-reopens?ref=rss")
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.authors == ["Ana Lima"]
    assert article.published_at == datetime(2023, 5, 4, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    assert article.modified_at == datetime(2023, 5, 5, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert article.language == "en"
    assert article.canonical_url == "https://coastal.example.com/news/harbour-bridge-reopens"
    assert article.publisher == "The Coastal Courier"
    assert article.lead == "The bridge was closed for six weeks."
    assert article.section == "Local"
    assert "Transport" in article.tags
    assert article.image_url == "https://img.example.com/bridge.jpg"


def test_body_keeps_structure_and_drops_chrome() -> None:
    article = extract_html(PAGE, "https://coastal.example.com/news/harbour-bridge-reopens")
    paragraphs = article.text.split("\n\n")
    assert "What changed" in paragraphs
    assert "- Cyclists get a separated lane on the north side." in paragraphs
    assert any(p.startswith('"It is safer than it has been') for p in paragraphs)
    assert [s.heading for s in article.sections] == ["What changed"]
    for chrome_text in ("Share on Facebook", "Cookie settings", "Home"):
        assert chrome_text not in article.text


def test_future_dates_are_not_publication_dates() -> None:
    future = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    page = PAGE.replace("2023-05-04T08:30:00+02:00", future).replace(
        "2023-05-05T10:00:00+02:00", future
    )
    article = extract_html(page, "https://coastal.example.com/news/harbour-bridge-reopens")
    assert article.published_at is None or article.published_at <= datetime.now(UTC)
    assert article.modified_at is None


def test_declared_language_is_dropped_when_the_text_is_in_another_script() -> None:
    page = PAGE.replace('lang="en"', 'lang="ru"')
    article = extract_html(page, None)
    assert article.language is None


@pytest.mark.parametrize(
    ("title", "sites", "h1", "expected"),
    [
        ("Bridge reopens - The Coastal Courier", ["The Coastal Courier"], None, "Bridge reopens"),
        ("Coastal Courier | Bridge reopens", ["coastal-courier.com"], None, "Bridge reopens"),
        ("Bridge reopens | Local | Courier", [], "Bridge reopens", "Bridge reopens"),
        ("Q&A: what the bridge means", ["The Coastal Courier"], None, "Q&A: what the bridge means"),
        (
            "Bridge reopens after six weeks of repairs | COMMENTARY",
            [],
            None,
            "Bridge reopens after six weeks of repairs",
        ),
        (
            "Repairs will last into June - engineer",
            ["Courier"],
            None,
            "Repairs will last into June - engineer",
        ),
        # Corpus pages: the site's name first, known only from the <h1> (aryanews.com).
        (
            "خبرگزاری آریا - ورود 50 هزار میلیارد تومان نقدینگی به بورس در 3 ماه",
            ["aryanews.com"],
            "ورود 50 هزار میلیارد تومان نقدینگی به بورس در 3 ماه",
            "ورود 50 هزار میلیارد تومان نقدینگی به بورس در 3 ماه",
        ),
        # ... but an <h1> that is the site's logo is no headline.
        (
            "Bridge reopens after repairs - Courier",
            [],
            "Courier",
            "Bridge reopens after repairs - Courier",
        ),
        # The full-width bar, unspaced (news.biglobe.ne.jp).
        (
            "与田祐希が写真集を公開｜BIGLOBEニュース",
            ["BIGLOBEニュース"],
            None,
            "与田祐希が写真集を公開",
        ),
        # A pipe left where the site's name was cut off (hatawtabloid.com).
        (
            "| Aktres, sunod-sunuran sa aktor BF",
            ["HATAW! D'yaryo ng Bayan"],
            None,
            "Aktres, sunod-sunuran sa aktor BF",
        ),
    ],
)
def test_title_without_the_site_name(
    title: str, sites: list[str], h1: str | None, expected: str
) -> None:
    assert clean_title(title, sites, h1) == expected


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe | Staff", ["Jane Doe"]),
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Spencer S Hsu; The Washington Post", ["Spencer S Hsu"]),
        ("GARY B GRAVES", ["Gary B Graves"]),
        ("Associated Press", ["Associated Press"]),
        ("Mynet.com", []),
    ],
)
def test_authors_are_names_not_bylines(byline: str, names: list[str]) -> None:
    assert clean_authors(byline) == names


def test_a_summary_fragment_is_still_an_article() -> None:
    article = extract_html("<p>Short teaser about the bridge reopening on Thursday.</p>", None)
    assert article.text == "Short teaser about the bridge reopening on Thursday."


def test_a_wire_dateline_is_the_articles_dateline_not_its_text() -> None:
    # As the plain-text parser reads it: "PRAGUE (Reuters) -" was kept in the text, where it
    # became a keyword and a lead mention of the city.
    story = "".join(
        f"<p>{'PRAGUE (Reuters) - ' if n == 0 else ''}Deliveries of Skoda cars dropped "
        f"slightly in the quarter, the carmaker said in its report number {n}.</p>"
        for n in range(5)
    )
    page = f"<html><head><title>Skoda deliveries dip</title></head><body><article>" \
        f"<h1>Skoda deliveries dip</h1>{story}</article></body></html>"  # fmt: skip
    article = extract_html(page, "https://wire.example.com/skoda")
    assert article.dateline == "Prague"
    assert article.text.startswith("Deliveries of Skoda cars dropped")
    assert article.lead is not None and article.lead.startswith("Deliveries")


def test_a_page_whose_body_trafilatura_misses_is_not_read_as_its_menu() -> None:
    # A regional mk.ru page: broken markup puts the story inside an <aside>, which the fast
    # pass drops; its last resort was the whole page, and the text began with the region
    # picker ("Ваш регион: Москва Санкт-Петербург ..."). The pass with fallbacks finds it.
    article = _parse_page(
        "mk_ru_regional_menu",
        "https://oren.mk.ru/social/2020/02/18/orenburgskim-chinovnikam-kupyat-eshhe-pyat-avtomobiley.html",
    )
    assert article.text.startswith("В Оренбургской области чиновники живут припеваючи")
    assert "Ваш регион" not in article.text
    assert len(article.text) < 1000


def test_a_page_with_nothing_but_navigation_has_no_text() -> None:
    regions = "".join(f'<li><a href="/{n}">Region {n}</a></li>' for n in range(30))
    page = (
        "<html><head><title>Journalists awarded in Ryazan</title></head><body>"
        f'<div class="menu">Your region: <ul>{regions}</ul></div>'
        '<h1>Journalists awarded in Ryazan</h1><div class="article"></div></body></html>'
    )
    with pytest.raises(Rejected) as refused:
        extract_html(page, "https://rzn.example.com/social/journalists-awarded")
    assert refused.value.reason == "no_text"


@pytest.mark.parametrize(
    ("byline", "sites", "names"),
    [
        # Corpus pages: the site credited as its author, beside a person or alone.
        ("O TEMPO; Patrícia Cassese", ["otempo.com.br"], ["Patrícia Cassese"]),
        ("Listin Diario; Héctor J Cruz", ["listindiario.com"], ["Héctor J Cruz"]),
        ("UOL", ["UOL", "uol.com.br"], []),
        ("Par sudinfo be", ["sudinfo.be"], []),
        ("Reuters Editorial", ["Reuters", "feeds.reuters.com"], []),
        # A person named beside the outlet stays.
        (
            "Wilmer Leon Sputnik International",
            ["Sputnik International"],
            ["Wilmer Leon Sputnik International"],
        ),
        ("Ritzau", ["sn.dk"], ["Ritzau"]),
    ],
)
def test_the_site_is_not_its_own_author(byline: str, sites: list[str], names: list[str]) -> None:
    assert clean_authors(byline, sites) == names


def test_an_author_keeps_the_vowel_sign_that_ends_the_name() -> None:
    # trafilatura trims trailing non-word characters from a byline, and a combining mark is
    # one: hindi.business-standard.com's `शुभायन चक्रवर्ती` came out as `शुभायन चक्रवर्त`.
    page = PAGE.replace(
        '"name": "By Ana Lima | Staff Reporter"', '"name": "शुभायन चक्रवर्ती"'
    ).replace('lang="en"', 'lang="hi"')
    article = extract_html(page, "https://coastal.example.com/news/harbour-bridge-reopens")
    assert article.authors == ["शुभायन चक्रवर्ती"]


def test_a_standfirst_the_body_repeats_is_read_once() -> None:
    # hindustantimes.com, bohemia.cu: the summary over the story, then the story's first
    # paragraph opening with the same sentence; moneycontrol.com: the same paragraph twice.
    standfirst = (
        "Pramod Dandia, who paints walls in Baliguda block, has been painting the walls of "
        "villages with murals on Covid-19 to show the importance of social distance."
    )
    body = "".join(
        f"<p>{standfirst if n == 1 else ''} Paragraph {n} of the story goes on about the "
        f"murals and the villages of the district, with more detail each time.</p>"
        for n in range(5)
    )
    page = (
        "<html><head><title>Odisha artist paints murals</title></head><body><article>"
        f"<h1>Odisha artist paints murals</h1><p>{standfirst}</p>{body}</article></body></html>"
    )
    article = extract_html(page, "https://news.example.com/odisha-artist")
    assert article.text.count("Pramod Dandia") == 1
    assert article.text.startswith("Paragraph 0 of the story")
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 5 and paragraphs[1].startswith(standfirst)


def test_a_body_of_many_short_lines_without_links_is_still_the_article() -> None:
    results = "\n".join(f"Team {n} {n % 4}-{n % 3} Club {n}" for n in range(40))
    page = (
        "<html><head><title>Results</title></head><body>"
        f"<article><pre>{results}</pre></article></body></html>"
    )
    article = extract_html(page, "https://sport.example.com/results")
    assert "Team 39 3-0 Club 39" in article.text
