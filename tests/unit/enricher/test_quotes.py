"""Quotes: direct, reported and block; speakers; a missing closing mark does not crash."""

from __future__ import annotations

import time

import pytest

from services.enricher.quotes import find_quotes


def test_direct_quote_with_speaker_after() -> None:
    quotes = find_quotes('"We will not give up," said Prime Minister Jane Doe on Monday.')
    assert len(quotes) == 1
    assert quotes[0].kind == "direct"
    assert quotes[0].speaker == "Prime Minister Jane Doe"
    assert quotes[0].text == "We will not give up,"


def test_direct_quote_with_speaker_before() -> None:
    quotes = find_quotes("John Smith told reporters: “The plant will close next year.”")
    assert [(q.kind, q.speaker) for q in quotes] == [("direct", "John Smith")]


def test_reported_speech() -> None:
    quotes = find_quotes("The ministry said that the talks would resume in May.")
    assert [(q.kind, q.speaker, q.text) for q in quotes] == [
        ("reported", "ministry", "the talks would resume in May.")
    ]


def test_block_quote_attributed_by_a_dash_paragraph() -> None:
    text = (
        "The strike is a violation of the ceasefire.\n\n"
        "– the Foreign Ministry said in a statement.\n\n"
        "Talks continue."
    )
    quotes = find_quotes(text)
    assert quotes[0].kind == "block"
    assert quotes[0].speaker == "Foreign Ministry"
    assert text[quotes[0].start : quotes[0].end] == "The strike is a violation of the ceasefire."


def test_unbalanced_quote_mark_does_not_crash_or_swallow_the_article() -> None:
    text = (
        'He said the plan "will never work, and left.\n\n'
        'In another paragraph, "a second quote" appears.'
    )
    quotes = find_quotes(text)
    unclosed = [q for q in quotes if not q.closed]
    assert len(unclosed) == 1
    assert unclosed[0].text == "will never work, and left."
    assert any(q.closed and q.text == "a second quote" for q in quotes)


def test_lone_quote_marks_and_scare_quotes() -> None:
    assert find_quotes('"') == []
    assert find_quotes('They called it a "mockery".') == []


def test_pronoun_is_no_speaker() -> None:
    quotes = find_quotes('"It is over," he said.')
    assert quotes[0].speaker is None


def test_speaker_without_auxiliaries_or_pronoun_phrases() -> None:
    quotes = find_quotes("Environment minister Sussan Ley has said that koalas may be endangered.")
    assert quotes[0].speaker == "Environment minister Sussan Ley"
    assert find_quotes('"The real world is calling," said it all.')[0].speaker is None


def test_german_low_opening_mark_closes_with_the_english_opening_mark() -> None:
    text = "Der Minister sagte: „Wir ändern das Gesetz.“ Danach ging er nach Hause.\n\n„Ja“."
    quotes = find_quotes(text)
    assert [(q.text, q.closed) for q in quotes] == [("Wir ändern das Gesetz.", True)]
    nested = find_quotes("Er sagte: «Wir ändern dieses „wichtige“ Gesetz heute».")
    assert [(q.text, q.closed) for q in nested] == [
        ("Wir ändern dieses „wichtige“ Gesetz heute", True)
    ]


def test_speaker_after_the_verb_keeps_an_abbreviated_title() -> None:
    cases = {
        '"We will act," said Sen. Chuck Schumer, a New York Democrat.': "Sen. Chuck Schumer",
        '"Wear a mask," said Dr. Anthony Fauci.': "Dr. Anthony Fauci",
        '"It is over," said Gov. Gavin Newsom on Monday.': "Gov. Gavin Newsom",
        '"It is over," said John Smith. He left.': "John Smith",
    }
    for text, speaker in cases.items():
        assert [q.speaker for q in find_quotes(text)] == [speaker]


def test_a_conjunction_is_no_part_of_a_speaker() -> None:
    cases = {
        "But they said that the protests reflected real concerns.": None,
        "And the ministry said that the talks would resume.": "ministry",
        'Moore declined to identify the donor but said: "I do think we will see more."': None,
        '"We will win this," said Health and Human Services Secretary Alex Azar.': (
            "Health and Human Services Secretary Alex Azar"
        ),
    }
    for text, speaker in cases.items():
        assert [q.speaker for q in find_quotes(text)] == [speaker]


def test_many_quotes_in_one_long_sentence_cost_linear_time() -> None:
    # Each quote's speaker was searched for in the whole sentence before it: 7 s here.
    text = 'He called them "a b" and ' * 1000 + 'finally "we will win," said John Smith.'
    started = time.perf_counter()
    quotes = find_quotes(text)
    assert time.perf_counter() - started < 1.0
    assert len(quotes) == 1001
    assert quotes[-1].speaker == "John Smith"


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("首相は「経済を立て直す必要がある」と述べた。", "経済を立て直す必要がある"),
        ("記者会見で『来年度から実施する』と話した。", "来年度から実施する"),
        ("他说：“我们必须加快改革。”", "我们必须加快改革。"),
    ],
)
def test_chinese_and_japanese_quotes_are_found_without_spaces(text: str, quoted: str) -> None:
    assert [q.text for q in find_quotes(text) if q.kind == "direct"] == [quoted]


def test_a_quoted_single_character_is_no_quote() -> None:
    assert find_quotes("彼は「はい」と答えた。") == []
