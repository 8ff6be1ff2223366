"""How well an article matches a story, and what the story becomes when it joins: pure.

An article is a unit TF-IDF vector over its features (story_features.py), the document
frequencies counted over the recent articles (the index keeps them per time window). A
story is the sum of its articles' vectors, cut to its `PROFILE_SIZE` heaviest features
(the index keeps that much per story); the match is the cosine of article and story, the
words, the numbers and the names each a channel of its own. The article joins the best open
story at or above the threshold, else starts its own.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

# Features kept per story profile: enough for the headline words, the people and places
# and the body's distinctive words; the rest of the tail barely moves a cosine.
PROFILE_SIZE: Final = 80
# The features of an article looked up in the index for candidate stories, and indexed
# for the story it joins.
QUERY_SIZE: Final = 16


@dataclass(frozen=True, slots=True)
class ArticleTime:
    """When an article came (POSIX seconds), and when it says it was published, if it does.

    Two clocks: a feed's fresh news has published close to arrival, but an archive page
    dated years ago arrives today, and an article the parser finds no date in has only
    its arrival. Times are compared on one clock (`is_open`), never across the two."""

    received: float
    published: float | None = None


@dataclass(frozen=True, slots=True)
class StoryProfile:
    """A story as the index keeps it: size, its articles' arrival span (`first`, `last`),
    the published span of those that have a date (None while none has), and its heaviest
    features."""

    id: str
    size: int
    first: float
    last: float
    centroid: Mapping[str, float] = field(default_factory=dict)
    published_first: float | None = None
    published_last: float | None = None

    def to_json(self) -> str:
        data: dict[str, object] = {"size": self.size, "first": self.first, "last": self.last}
        if self.published_first is not None:
            data["pf"], data["pl"] = self.published_first, self.published_last
        data["c"] = self.centroid
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, story_id: str, data: str | bytes) -> StoryProfile:
        return cls.from_dict(story_id, json.loads(data))

    @classmethod
    def from_dict(cls, story_id: str, raw: Mapping[str, Any]) -> StoryProfile:
        return cls(
            story_id,
            int(raw["size"]),
            raw["first"],
            raw["last"],
            raw["c"],
            raw.get("pf"),
            raw.get("pl"),
        )


@dataclass(frozen=True, slots=True)
class Match:
    story: StoryProfile
    score: float


def idf(df: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's): never zero, 1 for the rarest."""
    return math.log((documents + 1) / (df + 1)) + 1.0


# Each kind of feature (story_features.py, by its prefix) is a channel of its own, scaled
# to unit length, and the match is the channels' cosines weighed by their shares: a long
# text's words would drown its few names and places otherwise.
CHANNEL_OF: Final[Mapping[str, str]] = {
    "w": "words",
    "n": "numbers",
    "e": "named",
    "p": "named",
    "c": "named",
    "t": "named",
}
# Names alone mislead (the same boxer's two fights); words alone miss that two texts
# name the same people and places in different words. Numbers (the 23 pirates of one
# attack, the 26 of the next; a toll, a score, a year) are rarely shared by two events of
# one kind (ECB+: numbers' cosine 0.31 within an event, 0.04 across a topic's two, words'
# 0.37 and 0.16), and among a long text's words they weighed next to nothing.
SHARES: Final[Mapping[str, float]] = {"words": 0.5, "numbers": 0.2, "named": 0.3}


def channel(feature: str) -> str:
    return CHANNEL_OF[feature[0]]


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {key: v / norm for key, v in vector.items()} if norm else {}


def _split(vector: Mapping[str, float]) -> dict[str, dict[str, float]]:
    parts: dict[str, dict[str, float]] = {}
    for key, value in vector.items():
        parts.setdefault(channel(key), {})[key] = value
    return parts


def channel_units(vector: Mapping[str, float]) -> dict[str, float]:
    """The vector with each channel scaled to unit length."""
    out: dict[str, float] = {}
    for part in _split(vector).values():
        out.update(_unit(part))
    return out


def tfidf_vector(
    weights: Mapping[str, float], frequencies: Mapping[str, int], documents: int
) -> dict[str, float]:
    """The article's weights times their idf, each channel a unit vector."""
    return channel_units(
        {key: w * idf(frequencies.get(key, 0), documents) for key, w in weights.items()}
    )


def heaviest(vector: Mapping[str, float], size: int) -> dict[str, float]:
    return dict(heapq.nlargest(size, vector.items(), key=lambda item: item[1]))


def channels_of(vector: Mapping[str, float]) -> frozenset[str]:
    return frozenset(channel(key) for key in vector)


def cosine(
    vector: Mapping[str, float],
    centroid: Mapping[str, float],
    channels: frozenset[str] | None = None,
) -> float:
    """The channels' cosines of a (channel-unit) vector and a centroid, weighed by their
    shares among the `channels` the vector has. One pass over the centroid, which is
    the shorter of the two."""
    channels = channels_of(vector) if channels is None else channels
    total = sum(SHARES[name] for name in channels)
    if total == 0.0:
        return 0.0
    dots: dict[str, float] = {}
    norms: dict[str, float] = {}
    for key, weight in centroid.items():
        name = CHANNEL_OF[key[0]]
        norms[name] = norms.get(name, 0.0) + weight * weight
        mine = vector.get(key)
        if mine is not None:
            dots[name] = dots.get(name, 0.0) + mine * weight
    score = sum(
        SHARES[name] * dots[name] / math.sqrt(norms[name]) for name in channels if name in dots
    )
    return max(0.0, min(1.0, score / total))


def is_open(story: StoryProfile, time: ArticleTime, quiet_s: float) -> bool:
    """A story takes new members until it has been quiet for `quiet_s`, either side of
    its span (an article published earlier may still arrive later). A dated article is
    checked against the published span of the story's dated articles; an undated one,
    or one meeting a story none of whose articles is dated, by arrival against the
    story's arrival span: an undated article is not years away from a dated story
    because its only time is its arrival."""
    if time.published is not None and story.published_first is not None:
        assert story.published_last is not None
        return story.published_first - quiet_s <= time.published <= story.published_last + quiet_s
    return story.first - quiet_s <= time.received <= story.last + quiet_s


def best_match(
    vector: Mapping[str, float],
    stories: Iterable[StoryProfile],
    *,
    time: ArticleTime,
    quiet_s: float,
    threshold: float,
) -> Match | None:
    """The open story the article matches best at or above the threshold, if any."""
    best: Match | None = None
    channels = channels_of(vector)
    for story in stories:
        if not is_open(story, time, quiet_s):
            continue
        score = cosine(vector, story.centroid, channels)
        if score >= threshold and (best is None or score > best.score):
            best = Match(story, score)
    return best


def started(story_id: str, vector: Mapping[str, float], time: ArticleTime) -> StoryProfile:
    published = time.published
    return StoryProfile(
        story_id, 1, time.received, time.received, heaviest(vector, PROFILE_SIZE),
        published, published,
    )  # fmt: skip


def _widened(
    low: float | None, high: float | None, at: float | None
) -> tuple[float | None, float | None]:
    if at is None:
        return low, high
    return min(at, low if low is not None else at), max(at, high if high is not None else at)


def joined(story: StoryProfile, vector: Mapping[str, float], time: ArticleTime) -> StoryProfile:
    """The story with one more article: its vector added to the centroid, cut to size."""
    published_first, published_last = _widened(
        story.published_first, story.published_last, time.published
    )
    summed = dict(story.centroid)
    for key, weight in vector.items():
        summed[key] = summed.get(key, 0.0) + weight
    return replace(
        story,
        size=story.size + 1,
        first=min(story.first, time.received),
        last=max(story.last, time.received),
        published_first=published_first,
        published_last=published_last,
        centroid={k: round(v, 5) for k, v in heaviest(summed, PROFILE_SIZE).items()},
    )
