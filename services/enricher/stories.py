"""Story assignment: each enriched article joins the best matching open story or starts one.

The article's features (story_features.py) are weighted by how rare they were among the
recent articles; its heaviest features look up candidate stories in the index
(story_index.py), which are scored (story_scoring.py); the article joins the best open
story at or above the threshold, else starts its own. An article that nearly duplicates
an earlier one joins that one's story whatever the score. The commit is optimistic: if
another replica changed what this one read, it reads again, so two replicas do not start
two stories for one event.
"""

from __future__ import annotations

import hashlib
from typing import Final

from services.enricher.story_features import ArticleFeatures
from services.enricher.story_index import Commit, Snapshot, StoryIndex
from services.enricher.story_scoring import (
    QUERY_SIZE,
    ArticleTime,
    Match,
    StoryProfile,
    best_match,
    cosine,
    heaviest,
    is_open,
    joined,
    started,
    tfidf_vector,
)
from shared.events import StoryLink

# Reads before the commit goes through unchecked: each failed one means another replica
# just committed under the same features; this many in a row is a pile-up, not a race.
ATTEMPTS: Final = 6


def story_id_for(article_id: str) -> str:
    """A new story's id, from the article that starts it (a replay makes the same one)."""
    return "s" + hashlib.blake2b(article_id.encode(), digest_size=12).hexdigest()


class StoryAssigner:
    def __init__(self, index: StoryIndex, *, threshold: float, quiet_s: float) -> None:
        self._index = index
        self._threshold = threshold
        self._quiet_s = quiet_s

    async def assign(self, article: ArticleFeatures) -> StoryLink:
        for attempt in range(1, ATTEMPTS + 1):
            link = await self._attempt(article, checked=attempt < ATTEMPTS)
            if link is not None:
                return link
        raise AssertionError("an unchecked commit always lands")  # pragma: no cover

    async def _attempt(self, article: ArticleFeatures, *, checked: bool) -> StoryLink | None:
        features = list(article.weights)
        # The index's own housekeeping (document-frequency buckets, postings' window) is
        # in arrival time, the clock its keys expire by; only the quiet check reads both.
        received = article.time.received
        snapshot = await self._index.snapshot(
            article.article_id, article.duplicate_of, article.weights, received, self._quiet_s
        )
        if snapshot.story_of_article is not None:
            return await self._replayed(article.article_id, snapshot.story_of_article)
        vector = tfidf_vector(article.weights, snapshot.frequencies, snapshot.documents)
        weights = heaviest(vector, QUERY_SIZE)
        query = list(weights)
        match = await self._duplicate_story(vector, article.time, snapshot)
        if match is None:
            match = await self._best_story(vector, weights, article.time, snapshot)
        if match is None:
            story = started(story_id_for(article.article_id), vector, article.time)
        else:
            story = joined(match.story, vector, article.time)
        change = Commit(article.article_id, story, query, features, received, self._quiet_s)
        done = await self._index.commit(change, snapshot.version if checked else None)
        if done.outcome == "conflict":
            return None
        if done.outcome == "replayed" and done.story_id is not None:
            # Another replica assigned this very article meanwhile (a redelivery).
            return await self._replayed(article.article_id, done.story_id)
        return StoryLink(
            id=story.id,
            size=story.size,
            new=match is None,
            score=round(match.score, 4) if match else None,
        )

    async def _duplicate_story(
        self, vector: dict[str, float], time: ArticleTime, snapshot: Snapshot
    ) -> Match | None:
        if snapshot.story_of_duplicate is None:
            return None
        found = await self._index.profiles([snapshot.story_of_duplicate])
        if not found or not is_open(found[0], time, self._quiet_s):
            return None
        return Match(found[0], cosine(vector, found[0].centroid))

    async def _best_story(
        self,
        vector: dict[str, float],
        weights: dict[str, float],
        time: ArticleTime,
        snapshot: Snapshot,
    ) -> Match | None:
        # The index read the candidates for the query as it weighed it; were its weights
        # not these to the last bit (another machine's logarithm, say), the candidates are
        # read again for these, so that the decision is this process's whatever the index.
        profiles = snapshot.candidates
        if list(snapshot.query.items()) != list(weights.items()):
            profiles = await self._index.candidates(weights, time.received, self._quiet_s)
        return best_match(
            vector, profiles, time=time, quiet_s=self._quiet_s, threshold=self._threshold
        )

    async def _replayed(self, article_id: str, story_id: str) -> StoryLink:
        found: list[StoryProfile] = await self._index.profiles([story_id])
        size = found[0].size if found else 1
        return StoryLink(id=story_id, size=size, new=story_id == story_id_for(article_id))
