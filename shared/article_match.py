"""The read side's filters over one event in memory: what the live stream and alerts use to
pick, from the enriched stream, the articles a stored search would find.

It follows the stores' rules (shared/store/read_sql.py): title and text split into
lower-case tokens of letters and digits, a phrase is consecutive tokens of the title
followed by the text (as PostgreSQL's search vector holds them; SQLite's FTS5 columns do
not let a phrase run from the title into the text, the one place the stores differ);
within a facet any value matches, facets are ANDed; entities, places and topic labels
match without case; dates are on published_at, an undated article never matches a date
range; the tone range is on the enrichment's GDELT-style tone, an article without one
never matches a tone range; a story id matches the event's story or one it merged (a
merge made later is known to the store only, whose search resolves it). The sort, limit
and cursor do not filter.

Matching many queries against each article (alerts) is why both sides are prepared once:
`CompiledQuery` parses a query once (its words, its sets of values), `ArticleFacts` reads an
event once (its facets as sets, its tokens and where they are), and each check is then set
look-ups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from shared.events import ArticleEvent
from shared.store.article_query import ArticleQuery, Term, WebSearch, token_list


class ArticleFacts:
    """What filters look at in one event, read once for every query matched against it."""

    def __init__(self, event: ArticleEvent) -> None:
        article, enrichment = event.article, event.enrichment
        self.event = event
        # As ArticleRow.of stores them (shared/store/article_store.py).
        self.source = event.source.name or (article.publisher if article else None)
        self.language = (
            enrichment.language.code
            if enrichment and enrichment.language
            else (article.language if article else None)
        )
        self.published_at: datetime | None = article.published_at if article else None
        self.tone = enrichment.tone.tone if enrichment and enrichment.tone else None
        if enrichment:
            self.countries = frozenset(c.alpha2.upper() for c in enrichment.countries)
            self.entities = frozenset(e.text.lower() for e in enrichment.entities)
            self.places = frozenset(p.name.lower() for p in enrichment.places)
            self.topic_codes = frozenset(t.code for t in enrichment.topics)
            self.topic_labels = frozenset(t.label.lower() for t in enrichment.topics)
        else:
            self.countries = self.entities = self.places = frozenset()
            self.topic_codes = self.topic_labels = frozenset()
        link = enrichment.story if enrichment else None
        self.stories = frozenset({link.id, *link.merged}) if link else frozenset()
        self._title = (article.title or "") if article else ""
        self._text = article.text if article else ""

    @cached_property
    def tokens(self) -> list[str]:
        return token_list(f"{self._title}\n{self._text}")

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(self.tokens)

    @cached_property
    def _starts(self) -> dict[str, list[int]]:
        """Where each token occurs: a phrase is looked for at its first word's places only."""
        index: dict[str, list[int]] = defaultdict(list)
        for i, token in enumerate(self.tokens):
            index[token].append(i)
        return index

    def has(self, term: Term) -> bool:
        first = term.tokens[0]
        if first not in self.words:
            return False
        size = len(term.tokens)
        if size == 1:
            return True
        if not all(token in self.words for token in term.tokens[1:]):
            return False
        tokens = self.tokens
        return any(tuple(tokens[i : i + size]) == term.tokens for i in self._starts[first])


@dataclass(frozen=True)
class CompiledQuery:
    """A query's filters parsed once, as sets in the form ArticleFacts holds them."""

    query: ArticleQuery
    search: WebSearch | None
    sources: frozenset[str]
    languages: frozenset[str]
    countries: frozenset[str]
    entities: frozenset[str]
    places: frozenset[str]
    topic_codes: frozenset[str]
    topic_labels: frozenset[str]
    stories: frozenset[str]

    @classmethod
    def of(cls, query: ArticleQuery) -> CompiledQuery:
        return cls(
            query=query,
            search=query.websearch,
            sources=frozenset(query.sources),
            languages=frozenset(query.languages),
            countries=frozenset(query.countries),
            entities=frozenset(v.lower() for v in query.entities),
            places=frozenset(v.lower() for v in query.places),
            topic_codes=frozenset(query.topics),
            topic_labels=frozenset(v.lower() for v in query.topics),
            stories=frozenset(query.stories),
        )

    def matches(self, facts: ArticleFacts) -> bool:
        query = self.query
        # Cheapest and most selective first; the words last.
        if self.sources and facts.source not in self.sources:
            return False
        if self.languages and facts.language not in self.languages:
            return False
        if self.countries and self.countries.isdisjoint(facts.countries):
            return False
        if self.entities and self.entities.isdisjoint(facts.entities):
            return False
        if self.places and self.places.isdisjoint(facts.places):
            return False
        if (self.topic_codes or self.topic_labels) and (
            self.topic_codes.isdisjoint(facts.topic_codes)
            and self.topic_labels.isdisjoint(facts.topic_labels)
        ):
            return False
        if self.stories and self.stories.isdisjoint(facts.stories):
            return False
        if query.tone_min is not None or query.tone_max is not None:
            tone = facts.tone
            if tone is None:
                return False
            if query.tone_min is not None and tone < query.tone_min:
                return False
            if query.tone_max is not None and tone > query.tone_max:
                return False
        if query.date_from or query.date_to:
            published = facts.published_at
            if published is None:
                return False
            if query.date_from and published < query.date_from:
                return False
            if query.date_to and published > query.date_to:
                return False
        search = self.search
        if search is None:
            return True
        return all(any(facts.has(t) for t in clause) for clause in search.positive) and not any(
            facts.has(t) for t in search.negative
        )


def matches(query: ArticleQuery, event: ArticleEvent) -> bool:
    """One query against one event (the live stream); alerts compile theirs once."""
    return CompiledQuery.of(query).matches(ArticleFacts(event))
