"""Per-language names and cue words the gazetteers of the languages beyond English need.

pycountry's translations give the ISO names ("Російська Федерація", "Federación Rusa");
articles say "Росія", "Rusia", "РФ". Keys are written in their nominative (dictionary)
form: the gazetteer matches inflected forms through their lemmas.
"""

from __future__ import annotations

from typing import Final


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


COUNTRY_ALIASES: Final[dict[str, dict[str, str]]] = {
    "uk": {
        "Росія": "RU", "РФ": "RU", "КНДР": "KP", "Республіка Корея": "KR", "США": "US",
        "Америка": "US", "Британія": "GB", "Великобританія": "GB", "Іран": "IR",
        "Сирія": "SY", "Молдова": "MD", "Білорусь": "BY", "Туреччина": "TR", "Чехія": "CZ",
        "Китай": "CN", "КНР": "CN", "Японія": "JP", "Ізраїль": "IL", "Палестина": "PS",
    },
    "ru": {
        "Россия": "RU", "РФ": "RU", "КНДР": "KP", "США": "US", "Америка": "US",
        "Великобритания": "GB", "Британия": "GB", "Иран": "IR", "Сирия": "SY",
        "Молдавия": "MD", "Молдова": "MD", "Белоруссия": "BY", "Беларусь": "BY",
        "Турция": "TR", "Чехия": "CZ", "Китай": "CN", "КНР": "CN", "Япония": "JP",
        "Израиль": "IL", "Палестина": "PS",
    },
    "pl": {
        "Rosja": "RU", "Federacja Rosyjska": "RU", "USA": "US", "Ameryka": "US",
        "KRLD": "KP", "Iran": "IR", "Syria": "SY", "Mołdawia": "MD", "Białoruś": "BY",
        "Turcja": "TR", "Niemiec": "DE",
        "Czechy": "CZ", "Chiny": "CN", "Japonia": "JP", "Izrael": "IL",
    },
    "de": {
        "Russland": "RU", "Ukraine": "UA", "USA": "US", "Amerika": "US",
        "Großbritannien": "GB", "Iran": "IR", "Syrien": "SY", "Moldau": "MD",
        "Belarus": "BY", "Weißrussland": "BY", "Türkei": "TR", "Tschechien": "CZ",
        "China": "CN", "Japan": "JP", "Israel": "IL", "Südkorea": "KR", "Nordkorea": "KP",
    },
    "fr": {
        "Russie": "RU", "Ukraine": "UA", "Amérique": "US", "USA": "US",
        "Grande-Bretagne": "GB", "Iran": "IR", "Syrie": "SY", "Moldavie": "MD",
        "Biélorussie": "BY", "Turquie": "TR", "Tchéquie": "CZ", "Chine": "CN",
        "Japon": "JP", "Israël": "IL", "Corée du Sud": "KR", "Corée du Nord": "KP",
    },
    "es": {
        "Rusia": "RU", "EE.UU": "US", "EEUU": "US", "Estados Unidos": "US",
        "Gran Bretaña": "GB", "Irán": "IR", "Siria": "SY", "Moldavia": "MD",
        "Bielorrusia": "BY", "Turquía": "TR", "Chequia": "CZ", "China": "CN",
        "Japón": "JP", "Israel": "IL",
    },
    "it": {
        "Russia": "RU", "USA": "US", "America": "US", "Gran Bretagna": "GB", "Iran": "IR",
        "Siria": "SY", "Moldavia": "MD", "Bielorussia": "BY", "Turchia": "TR",
        "Repubblica Ceca": "CZ", "Cina": "CN", "Giappone": "JP", "Israele": "IL",
    },
    "pt": {
        "Rússia": "RU", "EUA": "US", "Estados Unidos": "US", "Grã-Bretanha": "GB",
        "Irã": "IR", "Irão": "IR", "Síria": "SY", "Moldávia": "MD", "Bielorrússia": "BY",
        "Turquia": "TR", "Chéquia": "CZ", "China": "CN", "Japão": "JP", "Israel": "IL",
        "Polônia": "PL", "Polónia": "PL",
    },
}  # fmt: skip

# City names GeoNames lacks in a language, by GeoNames id.
CITY_ALIASES: Final[dict[str, dict[str, int]]] = {
    "es": {"Járkov": 706483},
}

# Words that may stand right before a place's name ("Hauptstadt Berlin", "Según Kiev"):
# any other capitalised word there makes the name a person's surname ("Alejandro Toledo").
NAME_TITLES: Final[dict[str, frozenset[str]]] = {
    "uk": _set("Біля Під Поблизу Згідно Місто Столиця Область Регіон"),
    "ru": _set("Около Под Вблизи Согласно Город Столица Область Регион"),
    "pl": _set("Według Pod Koło Obok Miasto Stolica Obwód Region"),
    "de": _set(
        "Hauptstadt Stadt Großstadt Metropole Hafenstadt Region Gebiet Oblast Provinz "
        "Bezirk Raum Großraum Laut Nahe Bei"
    ),
    "fr": _set("Selon Près Ville Capitale Région Province Oblast"),
    "es": _set("Según Cerca Ciudad Capital Región Provincia"),
    "it": _set("Secondo Presso Città Capitale Regione Provincia"),
    "pt": _set("Segundo Perto Cidade Capital Região Província"),
}

# Prepositions of place: a name that is also a common word ("Most", "Como", "Mira") counts
# as a place only right after one of these.
PLACE_PREPOSITIONS: Final[dict[str, frozenset[str]]] = {
    "uk": _set("у в до з із зі від біля під над поблизу"),
    "ru": _set("в во из до у под над около возле"),
    "pl": _set("w we do z ze pod koło obok nad"),
    "de": _set("in nach aus bei von"),
    "fr": _set("à de depuis vers"),
    "es": _set("en a de desde hacia"),
    "it": _set("a in da di verso"),
    "pt": _set("em no na a de desde para"),
}

# Names that are common words of the language, beyond its stop words.
COMMON_WORDS: Final[dict[str, frozenset[str]]] = {
    "uk": frozenset({"Мир", "Суми", "Ніжин"}),
    "ru": frozenset({"Мир", "Орёл", "Орел"}),
    "pl": frozenset({"Most", "Mira", "Będzie"}),
    "de": frozenset({"Essen", "Halle", "Mark", "Hamm", "Marl"}),
    "fr": frozenset({"Mira", "Tours"}),
    "es": frozenset({"Mira", "Como", "Leon"}),
    "it": frozenset({"Mira", "Ora"}),
    "pt": frozenset({"Como", "Mira", "Natal"}),
}
