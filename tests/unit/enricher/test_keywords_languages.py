"""Keywords beyond English: the same extractor with the language's stop words, news words
and lemmas. Each text's key phrases are found whole, and no phrase holds a stop word, a
reporting verb or a month."""

from __future__ import annotations

import pytest

from services.enricher.keyword_words import NEWS_WORDS
from services.enricher.keywords import KEYWORD_LANGUAGES, extract_keywords
from services.enricher.lemmas import LOCAL_LANGUAGES, lemma, stop_words
from services.enricher.text import split_sentences

TEXTS: dict[str, tuple[str, set[str]]] = {
    "uk": (
        "Президент України заявив у вівторок, що нові системи протиповітряної оборони "
        "прибудуть до Києва в березні. Системи протиповітряної оборони захистять енергетичну "
        "інфраструктуру, повідомив міністр оборони.",
        {"системи протиповітряної оборони", "енергетичну інфраструктуру", "Президент України"},
    ),
    "ru": (
        "Министр иностранных дел заявил в понедельник, что мирные переговоры продолжатся в "
        "Женеве. Мирные переговоры начнутся в марте, сообщило министерство.",
        {"мирные переговоры", "Министр иностранных дел"},
    ),
    "pl": (
        "Rząd przyjął we wtorek nowy pakiet pomocy wojskowej dla Ukrainy, powiedział minister "
        "obrony. Pakiet pomocy wojskowej obejmuje amunicję artyleryjską.",
        {"nowy pakiet pomocy wojskowej", "amunicję artyleryjską"},
    ),
    "de": (
        "Die Bundesregierung hat am Dienstag neue Hilfen für die Ukraine beschlossen. Der "
        "Kanzler sagte in Berlin, die Lieferungen von Luftabwehrsystemen sollten im März "
        "beginnen. Die Luftabwehrsysteme schützen die Energieversorgung.",
        {"Bundesregierung", "Luftabwehrsystemen", "Energieversorgung"},
    ),
    "fr": (
        "Le président français a déclaré mardi à Paris que les négociations de paix avec "
        "l'Ukraine continuent. Les négociations de paix reprendront en mars, selon le "
        "ministre.",
        {"négociations", "président français", "Ukraine"},
    ),
    "es": (
        "El gobierno de España anunció el martes en Madrid un nuevo paquete de ayuda militar "
        "para Ucrania. El ministro de Defensa dijo que la ayuda militar llegará en marzo.",
        {"ayuda militar", "paquete", "Ucrania"},
    ),
    "it": (
        "Il governo italiano ha annunciato martedì a Roma un nuovo pacchetto di aiuti "
        "militari per l'Ucraina. Gli aiuti militari arriveranno a marzo, ha detto il ministro.",
        {"aiuti militari", "pacchetto", "Ucraina"},
    ),
    "pt": (
        "O governo português anunciou na terça-feira em Lisboa um novo pacote de ajuda "
        "humanitária para a Ucrânia. A ajuda humanitária chegará em março, disse o ministro.",
        {"ajuda humanitária", "governo português", "Ucrânia"},
    ),
}


def test_every_language_with_local_names_has_keywords_and_a_text_here() -> None:
    assert frozenset({*LOCAL_LANGUAGES, "en"}) == KEYWORD_LANGUAGES
    assert set(TEXTS) == LOCAL_LANGUAGES


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_key_phrases_are_found_whole(language: str) -> None:
    text, expected = TEXTS[language]
    found = [k.text for k in extract_keywords(split_sentences(text), language=language)]
    for phrase in expected:
        # Whole: the phrase's words, in a keyword of their own or inside a longer one.
        assert any(f" {phrase} " in f" {keyword} " for keyword in found), found


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_no_phrase_holds_a_stop_word_a_news_verb_or_a_month(language: str) -> None:
    text, _ = TEXTS[language]
    stops, news = stop_words(language), NEWS_WORDS[language]
    for keyword in extract_keywords(split_sentences(text), language=language):
        for word in keyword.text.split():
            assert word.casefold() not in stops, keyword.text
            assert lemma(word, language) not in news, keyword.text


def test_inflected_forms_of_a_phrase_add_up() -> None:
    text = (
        "Мирні переговори тривають. Учасники мирних переговорів зустрілися в Женеві. "
        "Про мирні переговори говорили всі."
    )
    keywords = extract_keywords(split_sentences(text), language="uk")
    assert keywords[0].text == "Мирні переговори"


def test_english_is_unchanged_by_the_other_languages() -> None:
    text = "Officials said the new air defence systems will arrive in March."
    sentences = split_sentences(text)
    assert extract_keywords(sentences) == extract_keywords(sentences, language="en")
