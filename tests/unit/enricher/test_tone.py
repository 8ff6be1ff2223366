from __future__ import annotations

from tests.unit.enricher.helpers import enrich_text


def test_negative_text() -> None:
    tone = enrich_text(
        "The attack killed twelve people. Officials condemned the horrific violence and "
        "warned of more deaths."
    ).tone
    assert tone is not None
    assert tone.compound_mean < -0.3
    assert tone.negative_pct > tone.positive_pct
    assert tone.tone < 0
    assert tone.sentences == 2


def test_positive_text() -> None:
    tone = enrich_text(
        "The festival was a wonderful success. Visitors loved the music and praised the "
        "friendly volunteers."
    ).tone
    assert tone is not None
    assert tone.compound_mean > 0.3
    assert tone.tone > 0


def test_no_tone_without_a_lexicon() -> None:
    enrichment = enrich_text(
        "Die Regierung hat am Dienstag ein neues Gesetz beschlossen, das ab Januar gilt."
    )
    assert enrichment.tone is None
    assert not next(a for a in enrichment.analyses if a.name == "tone").ran
