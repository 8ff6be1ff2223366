"""What an article says about the event it reports: weighted features for story assignment.

Features are of six kinds, each a string key: a word's lemma (`w:`), a number (`n:`,
tolls, scores, years), a named entity (`e:`, organisation, event or group, case-folded;
a person by the last word of the name), a place by its GeoNames id (`p:`, so "Kyiv" and
"Київ" are one feature), a focus country (`c:`) and a month of a year the text names
(`t:`, story_dates.py). Where a word
stands weighs on it: the title counts `TITLE_WEIGHT` times a body word, the lead
`LEAD_WEIGHT` times. Pure: the index (story_index.py) and the scoring (story_scoring.py)
take it from here.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from services.enricher.lemmas import lemma, stop_words
from services.enricher.story_dates import month_years
from services.enricher.story_scoring import ArticleTime
from services.enricher.text import WORD
from shared.events import ArticleEvent, Enrichment

# Headlines and leads name the event; the body adds background that two similar events
# share (what rehab is, how earthquakes are measured).
TITLE_WEIGHT: Final = 3.0
LEAD_WEIGHT: Final = 2.0
# An entity or place mention is worth this many words: the same kind of event in another
# place or with another person is a different event.
ENTITY_WEIGHT: Final = 2.0
PLACE_WEIGHT: Final = 2.0
DATE_WEIGHT: Final = 2.0
COUNTRY_WEIGHT: Final = 0.5
_ENTITY_TYPES: Final = frozenset({"person", "organisation", "event", "group"})
_MIN_WORD: Final = 3
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?![\w])")


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    """An article's features with their raw weights, and when it came and was published."""

    article_id: str
    weights: Mapping[str, float]
    time: ArticleTime
    duplicate_of: str | None = None


def article_time(event: ArticleEvent) -> ArticleTime:
    article = event.article
    published = article.published_at if article is not None else None
    return ArticleTime(
        received=event.source.received_at.timestamp(),
        published=published.timestamp() if published is not None else None,
    )


def _numbers(text: str) -> list[str]:
    # Years, scores, tolls and sums tell one event from another of its kind.
    return ["n:" + number.replace(",", "") for number in _NUMBER.findall(text)]


def _words(text: str, language: str, stops: frozenset[str]) -> list[str]:
    out = _numbers(text)
    for match in WORD.finditer(text):
        word = match.group().casefold()
        if len(word) < _MIN_WORD or word in stops:
            continue
        root = lemma(word, language)  # as written outside LEMMATIZED_LANGUAGES
        if len(root) >= _MIN_WORD and root not in stops:
            out.append("w:" + root)
    return out


def _lead_and_body(text: str, lead: str | None) -> tuple[str, str]:
    """The lead and the rest: a lead the text starts with (the parser takes the first
    paragraph as the lead) is weighed as the lead only, not once more in the body."""
    text = text.strip()
    if not lead:
        first, _, rest = text.partition("\n\n")
        return first, rest
    lead = lead.strip()
    return lead, text.removeprefix(lead).strip() if text.startswith(lead) else text


def _damped(counts: Mapping[str, float]) -> dict[str, float]:
    # Sublinear: the tenth mention of a word says less than the second.
    return {key: 1.0 + math.log(count) for key, count in counts.items() if count >= 1.0}


def word_weights(title: str, lead: str, body: str, language: str) -> dict[str, float]:
    stops = stop_words(language)
    counts: defaultdict[str, float] = defaultdict(float)
    for text, weight in ((title, TITLE_WEIGHT), (lead, LEAD_WEIGHT), (body, 1.0)):
        for word in _words(text, language, stops):
            counts[word] += weight
    return _damped(counts)


def _entity_key(type_: str, text: str) -> str:
    # One report names "Bill Gortney", the next only "Gortney": a person is their last
    # name, as reports name them after the first mention.
    name = text.casefold()
    return "e:" + (name.split()[-1] if type_ == "person" and name.strip() else name)


def named_weights(enrichment: Enrichment, text: str) -> dict[str, float]:
    """The names, places, focus countries and months of years (in `text`) of an article."""
    counts: defaultdict[str, float] = defaultdict(float)
    for entity in enrichment.entities:
        if entity.type in _ENTITY_TYPES:
            counts[_entity_key(entity.type, entity.text)] += entity.count * ENTITY_WEIGHT
    for place in enrichment.places:
        counts[f"p:{place.geonames_id}"] += max(place.count, 1) * PLACE_WEIGHT
    for country in enrichment.countries:
        if country.focus:
            counts["c:" + country.alpha2] += COUNTRY_WEIGHT
    for month, mentions in month_years(text).items():
        counts[month] += mentions * DATE_WEIGHT
    return {key: 1.0 + math.log(count) if count >= 1.0 else count for key, count in counts.items()}


def article_features(event: ArticleEvent) -> ArticleFeatures | None:
    """The event's features; None when it has no article or enrichment to read."""
    article, enrichment = event.article, event.enrichment
    if article is None or enrichment is None:
        return None
    language = enrichment.language.code if enrichment.language else "en"
    lead, body = _lead_and_body(article.text, article.lead)
    weights = word_weights(article.title or "", lead, body, language)
    weights.update(named_weights(enrichment, f"{article.title or ''}\n{article.text}"))
    return ArticleFeatures(
        article_id=event.id,
        weights=weights,
        time=article_time(event),
        duplicate_of=enrichment.duplicate_of,
    )
