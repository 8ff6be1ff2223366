"""IPTC media topics (top level) from a lexicon of indicative word stems.

Offline, fast and inspectable: each topic has stems that news writing uses for it; a
topic's score is its share of all stem hits in the title and text (the title counts
twice). Checked against hand-labelled examples in tests/fixtures/enricher/, which is
where a change to the lexicon has to prove itself.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from shared.events import Topic

_MIN_HITS: Final = 2
_MIN_SHARE: Final = 0.2
_MAX_TOPICS: Final = 3

# code -> (label, stems); a stem matches any word starting with it.
IPTC_TOPICS: Final[dict[str, tuple[str, str]]] = {
    "medtop:01000000": (
        "arts, culture, entertainment and media",
        "film movie cinema actor actress music album song singer concert festival museum "
        "painting artist exhibition theatre theater novel author book celebrit television "
        "netflix hollywood oscar grammy journalis newspaper broadcast",
    ),
    "medtop:02000000": (
        "crime, law and justice",
        "police crime criminal arrest court judge trial prosecut lawsuit sued jail prison "
        "sentenc convict murder robbery theft fraud suspect detective investigat lawyer "
        "attorney guilty verdict indict homicide smuggl corruption bribe",
    ),
    "medtop:03000000": (
        "disaster, accident and emergency incident",
        "earthquake flood wildfire fire hurricane tsunami crash collision accident "
        "explosion derail disaster rescue evacuat emergenc casualt injured landslide "
        "firefighter collapse",
    ),
    "medtop:04000000": (
        "economy, business and finance",
        "economy economic market stock shares investor bank inflation interest rate gdp "
        "trade tariff export import compan business revenue profit earnings price taxes "
        "budget tax currency dollar euro finance financial industry retail startup "
        "billion million",
    ),
    "medtop:05000000": (
        "education",
        "school student teacher universit college education pupil classroom curriculum "
        "exam tuition campus academic graduat kindergarten",
    ),
    "medtop:06000000": (
        "environment",
        "climate emission carbon pollution environment wildlife biodiversity species "
        "conservation renewable solar wind deforest recycl plastic greenhouse fossil "
        "endangered ecolog",
    ),
    "medtop:07000000": (
        "health",
        "health hospital patient doctor nurse disease virus vaccin covid pandemic "
        "infection medic cancer treatment drug symptom epidemic outbreak clinic "
        "coronavirus diagnos mental",
    ),
    "medtop:08000000": (
        "human interest",
        "anniversar birthday wedding celebrat heartwarming rescued dog cats pets "
        "oldest record-breaking reunion",
    ),
    "medtop:09000000": (
        "labour",
        "worker employee employment unemploy job wage salary strike union labour labor "
        "layoff pension workplace hiring",
    ),
    "medtop:10000000": (
        "lifestyle and leisure",
        "travel tourism tourist holiday vacation recipe restaurant food fashion hobby "
        "leisure garden cooking diet fitness",
    ),
    "medtop:11000000": (
        "politics",
        "government minister ministry president parliament election vote voter party "
        "senate congress lawmaker legislat politic diplomat sanction treaty summit "
        "campaign governor mayor cabinet opposition referendum voted voting "
        "statement condemn",
    ),
    "medtop:12000000": (
        "religion",
        "church religio pope mosque temple faith christian muslim islam jewish "
        "catholic bishop priest pray worship",
    ),
    "medtop:13000000": (
        "science and technology",
        "scien research technolog software internet computer intelligence "
        "robot smartphone digital cyber data satellite space nasa physics "
        "chemistry biolog experiment laborator innovation",
    ),
    "medtop:14000000": (
        "society",
        "communit famil children poverty homeless immigra migrant refugee protest "
        "discriminat racism gender equality welfare social charity housing",
    ),
    "medtop:15000000": (
        "sport",
        "match tournament championship league football soccer basketball tennis "
        "olympic player coach goal team season cup athlete racing cricket golf "
        "scored victory defeat stadium",
    ),
    "medtop:16000000": (
        "conflict, war and peace",
        "war military troop army soldier missile attack bomb weapon invasion "
        "ceasefire peace conflict fighting fighter combat terror militant rebel "
        "airstrike drone offensive occupation defense defence nato bombing shelling wars",
    ),
    "medtop:17000000": (
        "weather",
        "weather temperature rain rainfall snow storm heatwave drought celsius "
        "meteorolog thunder frost humid",
    ),
}


def _stem_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, (_, stems) in IPTC_TOPICS.items():
        for stem in stems.split():
            table[stem] = code
    return table


_STEM_TOPIC: Final = _stem_table()
_WORD: Final = re.compile(r"[^\W\d_]+")
# Stems this short are whole words ("war", not "warning"; "rain", not "rainbow").
_WHOLE_WORD_LENGTH: Final = 4


def _topic_of(word: str) -> str | None:
    for end in range(len(word), 2, -1):
        code = _STEM_TOPIC.get(word[:end])
        whole_enough = end > _WHOLE_WORD_LENGTH or end == len(word) or word[end:] == "s"
        if code is not None and whole_enough:
            return code
    return None


def topic_hits(text: str) -> Counter[str]:
    hits: Counter[str] = Counter()
    for match in _WORD.finditer(text.lower()):
        code = _topic_of(match.group())
        if code is not None:
            hits[code] += 1
    return hits


def classify_topics(text: str, title: str | None = None) -> list[Topic]:
    hits = topic_hits(text)
    for _ in range(2):
        hits.update(topic_hits(title or ""))
    total = sum(hits.values())
    if total < _MIN_HITS:
        return []
    topics = [
        Topic(code=code, label=IPTC_TOPICS[code][0], score=round(count / total, 4))
        for code, count in hits.most_common()
        if count / total >= _MIN_SHARE
    ]
    return topics[:_MAX_TOPICS]
