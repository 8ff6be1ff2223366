"""Words that end a key phrase in the languages beyond English, as dictionary forms.

spaCy's stop words (lemmas.stop_words) hold the function words; what they lack is what
news text repeats in every article: reporting verbs ("заявив", "sagte", "a déclaré"),
months, weekdays and units of time. They are matched by their lemma, so one entry covers
every inflected form ("березня", "березні" -> "березень").
"""

from __future__ import annotations

from typing import Final

_WORDS: Final = {
    "uk": """заявити сказати повідомити додати зазначити наголосити підкреслити вважати
        говорити розповісти написати стати бути мати могти
        січень лютий березень квітень травень червень липень серпень вересень жовтень
        листопад грудень понеділок вівторок середа четвер п'ятниця субота неділя
        рік день тиждень місяць година раз слово""",
    "ru": """заявить сказать сообщить добавить отметить подчеркнуть считать говорить
        рассказать написать стать быть иметь мочь
        январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
        понедельник вторник среда четверг пятница суббота воскресенье
        год день неделя месяц час раз слово""",
    "pl": """powiedzieć oświadczyć poinformować dodać zaznaczyć podkreślić uważać mówić
        napisać stać być mieć móc
        styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik
        listopad grudzień poniedziałek wtorek środa czwartek piątek sobota niedziela
        rok dzień tydzień miesiąc godzina raz słowo""",
    "de": """sagen erklären mitteilen berichten betonen hinzufügen fordern sprechen
        schreiben heißen sollen müssen können wollen werden haben sein
        januar februar märz april mai juni juli august september oktober november dezember
        montag dienstag mittwoch donnerstag freitag samstag sonntag
        jahr tag woche monat stunde mal""",
    "fr": """dire déclarer annoncer affirmer ajouter indiquer souligner estimer expliquer
        écrire devoir pouvoir vouloir faire être avoir
        janvier février mars avril mai juin juillet août septembre octobre novembre
        décembre lundi mardi mercredi jeudi vendredi samedi dimanche
        an année jour semaine mois heure fois""",
    "es": """decir declarar anunciar afirmar añadir indicar señalar asegurar explicar
        escribir deber poder querer hacer ser estar haber tener
        enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre
        diciembre lunes martes miércoles jueves viernes sábado domingo
        año día semana mes hora vez""",
    "it": """dire dichiarare annunciare affermare aggiungere indicare sottolineare spiegare
        scrivere dovere potere volere fare essere avere
        gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre
        novembre dicembre lunedì martedì mercoledì giovedì venerdì sabato domenica
        anno giorno settimana mese ora volta""",
    "pt": """dizer declarar anunciar afirmar acrescentar indicar sublinhar explicar escrever
        dever poder querer fazer ser estar ter haver
        janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro
        dezembro segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado
        domingo ano dia semana mês hora vez""",
}

NEWS_WORDS: Final[dict[str, frozenset[str]]] = {
    language: frozenset(words.split()) for language, words in _WORDS.items()
}

# A lowercase word whose lemma ends like an infinitive is a verb form: it ends a phrase
# ("готує", "beschlossen"). Slavic and German infinitives are distinctive, and German nouns
# are capitalised.
INFINITIVE_ENDINGS: Final[dict[str, tuple[str, ...]]] = {
    "uk": ("ти", "тися", "тись"),
    "ru": ("ать", "ять", "еть", "ить", "уть", "ыть", "ться", "ти", "чь"),
    "pl": ("ać", "eć", "ić", "yć", "ąć", "uć"),
    "de": ("en", "ern", "eln"),
    "fr": ("er", "ir", "re"),
    "es": ("ar", "er", "ir"),
    "it": ("are", "ere", "ire"),
    "pt": ("ar", "er", "ir"),
}
# In the Romance languages nouns and adjectives share those lemmas ("ajuda" -> "ajudar",
# "militari" -> "militare"), so there a verb form must also end in a conjugation's ending
# that nouns do not have (past, future, imperfect, gerund).
CONJUGATED_ENDINGS: Final[dict[str, tuple[str, ...]]] = {
    "fr": ("ait", "aient", "ent", "era", "eront", "ira", "iront", "ant"),
    "es": ("ó", "aron", "ieron", "ará", "erá", "irá", "arán", "erán", "irán", "aba", "aban",
           "ían", "ando", "iendo"),
    "it": ("ò", "arono", "erono", "irono", "arà", "erà", "irà", "eranno", "iranno",
           "aranno", "ava", "avano", "ando", "endo"),
    "pt": ("ou", "aram", "eram", "iram", "ará", "erá", "irá", "arão", "erão", "irão",
           "ava", "avam", "iam", "ando", "endo", "indo"),
}  # fmt: skip
