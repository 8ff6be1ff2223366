"""The pure half of near-duplicate detection: signatures, similarity, LSH bands."""

from __future__ import annotations

from services.enricher.duplicates import BANDS, band_digests, signature, similarity

ARTICLE = (
    "The South Korean government strongly condemned North Korea's first public "
    "acknowledgment of sending troops to Russia to participate in the war against Ukraine. "
    "The Ministry of Foreign Affairs issued a statement after North Korea confirmed the "
    "participation of its military in the war. Officials called the step a mockery of "
    "international law and urged Moscow and Pyongyang to end their military cooperation."
)


def test_small_edits_keep_a_high_similarity() -> None:
    edited = ARTICLE.replace("strongly condemned", "condemned").replace("Officials", "They")
    a, b = signature(ARTICLE), signature(edited)
    assert a is not None and b is not None
    assert similarity(a, b) >= 0.7
    assert any(x == y for x, y in zip(band_digests(a), band_digests(b), strict=True))


def test_unrelated_texts_are_not_similar() -> None:
    other = (
        "The striker scored in the 89th minute to give his team a 2-1 victory at a packed "
        "stadium, and the coach praised his players after a difficult season in the league."
    )
    a, b = signature(ARTICLE), signature(other)
    assert a is not None and b is not None
    assert similarity(a, b) < 0.2


def test_signature_is_the_same_in_every_process() -> None:
    a, b = signature(ARTICLE), signature(ARTICLE)
    assert a is not None and b is not None
    assert similarity(a, b) == 1.0
    assert len(band_digests(a)) == BANDS


def test_text_without_words_has_no_signature() -> None:
    assert signature("  ... !!! ") is None
