"""The port of the story index: what story assignment reads and writes, whatever holds it.

The enricher's index lives in Redis (story_index_redis.py), shared by its replicas; the
in-memory one here is for the evaluation bench and the unit tests of the algorithm only.

Assignment is optimistic: `snapshot` reads the index at a version, the candidate stories
with it (one read: a round trip per article less); `commit` writes the
article's story only if nothing it read has changed since (no story was indexed under one
of its query features, the story it joins has not grown), else says `conflict` and the
assigner reads again. So two replicas that see two articles of one new event at the same
time cannot both start a story for it: the second commit fails, re-reads, and joins.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal, Protocol

from services.enricher.story_scoring import QUERY_SIZE, StoryProfile, heaviest, tfidf_vector

# Stories read per query feature, most recently active first.
POSTING_READ: Final = 32
# Candidate stories scored per article: those sharing the most weight with it.
CANDIDATES: Final = 16
# Stories kept per feature: a feature common enough to fill it is no evidence anyway.
POSTING_CAP: Final = 512


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    story_of_article: str | None  # the article was assigned before (a replay)
    story_of_duplicate: str | None  # the story of the article it nearly duplicates
    documents: int  # articles counted for document frequencies
    frequencies: Mapping[str, int]
    # The article's query as the index weighed it from the frequencies it read (the
    # `QUERY_SIZE` heaviest of `tfidf_vector`), and the `candidates` it read for it; both
    # empty for an article assigned before.
    query: Mapping[str, float] = field(default_factory=dict)
    candidates: Sequence[StoryProfile] = ()


@dataclass(frozen=True, slots=True)
class Commit:
    article_id: str
    story: StoryProfile  # as it is with the article in it
    query: Sequence[str]  # the article's features that index the story
    features: Sequence[str]  # every feature of the article, counted for document frequency
    at: float  # the article's arrival: document-frequency bucket and postings' window
    window_s: float


@dataclass(frozen=True, slots=True)
class Committed:
    outcome: Literal["committed", "conflict", "replayed"]
    story_id: str | None = None


class StoryIndex(Protocol):
    async def snapshot(
        self,
        article_id: str,
        duplicate_of: str | None,
        weights: Mapping[str, float],
        at: float,
        window_s: float,
    ) -> Snapshot:
        """The index at a version: the article's story if it has one, else the document
        frequencies of its features (`weights`, raw) and the candidates for its query."""
        ...

    async def candidates(
        self, query: Mapping[str, float], at: float, window_s: float
    ) -> list[StoryProfile]:
        """The `CANDIDATES` stories sharing the most query weight with the article (of the
        `POSTING_READ` most recently active under each feature), most first."""
        ...

    async def profiles(self, story_ids: Sequence[str]) -> list[StoryProfile]:
        """The stories by id; those expired are left out."""
        ...

    async def commit(self, change: Commit, version: int | None) -> Committed:
        """Write the change if nothing read at `version` changed (None: write anyway)."""
        ...


def window_bucket(at: float, window_s: float) -> int:
    """Document frequencies are counted per window-long bucket of article time."""
    return int(at // window_s)


def posting_floor(at: float, window_s: float) -> float:
    """Stories last active before this are out of the window for an article at `at`."""
    return at - 2 * window_s


@dataclass
class MemoryStoryIndex:
    """The index in a process's memory: for the evaluation bench and algorithm tests."""

    version: int = 0
    stories: dict[str, StoryProfile] = field(default_factory=dict)
    articles: dict[str, str] = field(default_factory=dict)
    postings: dict[str, dict[str, float]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    frequencies: dict[int, dict[str, int]] = field(default_factory=dict)

    async def snapshot(
        self,
        article_id: str,
        duplicate_of: str | None,
        weights: Mapping[str, float],
        at: float,
        window_s: float,
    ) -> Snapshot:
        bucket = window_bucket(at, window_s)
        counts = [self.frequencies.get(b, {}) for b in (bucket, bucket - 1)]
        documents = sum(c.get("#", 0) for c in counts)
        frequencies = {f: sum(c.get(f, 0) for c in counts) for f in weights}
        found = Snapshot(
            version=self.version,
            story_of_article=self.articles.get(article_id),
            story_of_duplicate=self.articles.get(duplicate_of) if duplicate_of else None,
            documents=documents,
            frequencies=frequencies,
        )
        if found.story_of_article is not None:
            return found
        query = heaviest(tfidf_vector(weights, frequencies, documents), QUERY_SIZE)
        return replace(found, query=query, candidates=await self.candidates(query, at, window_s))

    async def candidates(
        self, query: Mapping[str, float], at: float, window_s: float
    ) -> list[StoryProfile]:
        floor = posting_floor(at, window_s)
        shared: dict[str, float] = {}
        for feature, weight in query.items():
            posted = self.postings.get(feature, {})
            recent = sorted((s for s in posted.items() if s[1] >= floor), key=lambda s: -s[1])
            for story, _ in recent[:POSTING_READ]:
                shared[story] = shared.get(story, 0.0) + weight
        ranked = heapq.nlargest(CANDIDATES, shared, key=lambda s: (shared[s], s))
        return await self.profiles(ranked)

    async def profiles(self, story_ids: Sequence[str]) -> list[StoryProfile]:
        return [self.stories[s] for s in dict.fromkeys(story_ids) if s in self.stories]

    async def commit(self, change: Commit, version: int | None) -> Committed:
        if change.article_id in self.articles:
            return Committed("replayed", self.articles[change.article_id])
        story = change.story
        if version is not None:
            stored = self.stories.get(story.id)
            if any(self.changed.get(f, 0) > version for f in change.query) or (
                (stored.size if stored else 0) != story.size - 1
            ):
                return Committed("conflict")
        self.version += 1
        self.stories[story.id] = story
        self.articles[change.article_id] = story.id
        for feature in change.query:
            self.postings.setdefault(feature, {})[story.id] = story.last
            self.changed[feature] = self.version
        counts = self.frequencies.setdefault(window_bucket(change.at, change.window_s), {})
        for feature in (*change.features, "#"):
            counts[feature] = counts.get(feature, 0) + 1
        return Committed("committed", story.id)
