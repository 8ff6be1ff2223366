"""Countries and places of an article: which names stand for what, and which matter most.

A name found by the gazetteer is kept unless the NER model put it inside a person's name
(a city also inside an organisation's: "Vladimir Putin", "Paris Hilton", "Moscow Times"
are no places). An ambiguous name ("Georgia": the country or the US state) goes to the
candidate whose country the rest of the article supports, or that words around it point to.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import pycountry

from services.enricher.gazetteer import Gazetteer, GazetteerEntry, NameMatch, country_entry
from shared.events import CountryMention, Place

Where = Literal["title", "dateline", "lead", "body"]

# How much a mention says about what the article is about.
_WEIGHT: Final[dict[Where, float]] = {"title": 3.0, "lead": 2.0, "body": 1.0, "dateline": 1.0}
# A country is a focus when it scores at least this share of the best-scored country.
_FOCUS_SHARE: Final = 0.5
_US_STATE_CUES: Final = re.compile(
    r"\b(?:Gov\.|[Gg]overnor|state of|[Cc]ounty|Atlanta|Savannah|Republicans?|Democrats?|"
    r"Democratic|GOP|U\.S\.|Sen\.|[Ss]enator|[Ss]tate [Ll]egislature|Peach State)"
)
_REGION_AFTER: Final = re.compile(r"\s+(?:region|[Oo]blast|province|governorate|prefecture)\b")
_CUE_WINDOW: Final = 120


@dataclass(frozen=True, slots=True)
class Located:
    match: NameMatch
    entry: GazetteerEntry
    where: Where


@dataclass(frozen=True, slots=True)
class ArticleParts:
    """The parts of an article names are looked for in; offsets refer to `text`."""

    text: str
    title: str | None = None
    dateline: str | None = None
    lead_end: int = 0


def _inside(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _named_in(name: str, names: set[str]) -> bool:
    return any(f" {name} " in f" {other} " for other in names)


def _where_in_text(start: int, lead_end: int) -> Where:
    return "lead" if start < lead_end else "body"


def locate(
    gazetteer: Gazetteer,
    parts: ArticleParts,
    person_spans: Sequence[tuple[int, int]] = (),
    organisation_spans: Sequence[tuple[int, int]] = (),
) -> list[Located]:
    """Every name in the article resolved to one gazetteer entry."""
    person_names = {parts.text[s:e] for s, e in person_spans}
    organisation_names = {parts.text[s:e] for s, e in organisation_spans}
    found: list[tuple[NameMatch, Where]] = []
    for match in gazetteer.find(parts.text):
        is_place = match.candidates[0].kind != "country"
        if _inside(match.start, match.end, person_spans):
            continue
        if is_place and _inside(match.start, match.end, organisation_spans):
            continue
        found.append((match, _where_in_text(match.start, parts.lead_end)))
    extras: tuple[tuple[Where, str | None], ...] = (
        ("title", parts.title),
        ("dateline", parts.dateline),
    )
    for where, extra in extras:
        for match in gazetteer.find(extra or ""):
            # The title has no NER of its own: a name the body shows to be a person's or
            # an organisation's is taken the same way there.
            is_place = match.candidates[0].kind != "country"
            if _named_in(match.text, person_names) or (
                is_place and _named_in(match.text, organisation_names)
            ):
                continue
            found.append((match, where))
    support = Counter(m.candidates[0].country for m, _ in found if len(m.candidates) == 1)
    located: list[Located] = []
    for match, where in found:
        context = parts.text if where in ("lead", "body") else (parts.title or "")
        located.append(Located(match, _choose(match, support, context), where))
    return located


def _choose(match: NameMatch, support: Counter[str], context: str) -> GazetteerEntry:
    if len(match.candidates) == 1:
        return match.candidates[0]
    window = context[max(0, match.start - _CUE_WINDOW) : match.end + _CUE_WINDOW]
    if any(c.kind == "us_state" for c in match.candidates) and _US_STATE_CUES.search(window):
        return next(c for c in match.candidates if c.kind == "us_state")
    # Otherwise the country the rest of the article talks about; ties go to the first
    # candidate, the country.
    return max(match.candidates, key=lambda c: support[c.country])


def countries_of(located: Sequence[Located]) -> list[CountryMention]:
    counts: Counter[str] = Counter()
    scores: dict[str, float] = {}
    for item in located:
        counts[item.entry.country] += 1
        scores[item.entry.country] = scores.get(item.entry.country, 0.0) + _WEIGHT[item.where]
    if not scores:
        return []
    best = max(scores.values())
    mentions: list[CountryMention] = []
    for alpha2, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        entry = country_entry(alpha2)
        alpha3 = _alpha3(alpha2)
        if alpha3 is None:
            continue
        mentions.append(
            CountryMention(
                alpha2=alpha2,
                alpha3=alpha3,
                name=entry.name,
                count=counts[alpha2],
                score=round(score, 2),
                focus=score >= _FOCUS_SHARE * best,
            )
        )
    return mentions


def _alpha3(alpha2: str) -> str | None:
    country = pycountry.countries.get(alpha_2=alpha2)
    return str(country.alpha_3) if country is not None else None


def places_of(located: Sequence[Located], text: str) -> list[Place]:
    places: dict[int, Place] = {}
    for item in located:
        entry = item.entry
        if entry.kind == "country" or entry.geonames_id is None:
            continue
        place = places.get(entry.geonames_id)
        if place is None:
            place = Place(
                name=entry.name,
                kind=entry.kind,
                country=entry.country,
                geonames_id=entry.geonames_id,
                lat=entry.lat,
                lon=entry.lon,
                count=0,
            )
            places[entry.geonames_id] = place
        if item.where == "dateline":
            place.in_dateline = True
        elif item.where in ("lead", "body"):
            place.count += 1
            place.offsets.append((item.match.start, item.match.end))
            if entry.kind == "city" and _REGION_AFTER.match(text, item.match.end):
                place.kind = "region"
    return sorted(places.values(), key=lambda p: (-p.count, p.name))


def resolve_geography(
    gazetteer: Gazetteer,
    parts: ArticleParts,
    person_spans: Sequence[tuple[int, int]] = (),
    organisation_spans: Sequence[tuple[int, int]] = (),
) -> tuple[list[CountryMention], list[Place]]:
    located = locate(gazetteer, parts, person_spans, organisation_spans)
    return countries_of(located), places_of(located, parts.text)
