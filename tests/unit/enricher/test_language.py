from __future__ import annotations

from services.enricher.language import detect_language


def test_english_and_ukrainian() -> None:
    english = detect_language("The government condemned the launch and called for talks.")
    ukrainian = detect_language("Уряд засудив запуск ракети і закликав до переговорів.")
    assert english is not None and english.code == "en" and english.confidence > 0.5
    assert ukrainian is not None and ukrainian.code == "uk"


def test_long_text_is_judged_as_a_whole_not_by_its_first_line() -> None:
    # The library's default would read only the first 80 characters (the English line).
    text = "Breaking news update from our correspondents in the capital, filed late on Monday\n" + (
        "Le gouvernement a annoncé lundi une réforme des retraites très contestée. " * 5
    )
    guess = detect_language(text)
    assert guess is not None and guess.code == "fr"


def test_no_text_no_guess() -> None:
    assert detect_language("   \n ") is None
