"""The read side's filters over one event in memory: what the live stream and alerts use to
pick, from the enriched stream, the articles a stored search would find.

It follows the stores' rules (shared/store/read_sql.py): title and text split into
lower-case tokens of letters and digits, a phrase is consecutive tokens; within a facet any
value matches, facets are ANDed; entities, places and topic labels match without case;
dates are on published_at, an undated article never matches a date range; a story id
matches the event's story or one it merged. The sort,
limit and cursor do not filter.
"""

from __future__ import annotations

from shared.events import ArticleEvent
from shared.store.article_query import ArticleQuery, Term, WebSearch, token_list
from shared.store.article_store import ArticleRow


def matches(query: ArticleQuery, event: ArticleEvent) -> bool:
    article, enrichment = event.article, event.enrichment
    row = ArticleRow.of(event)
    if query.date_from or query.date_to:
        published = row.published_at
        if published is None:
            return False
        if query.date_from and published < query.date_from:
            return False
        if query.date_to and published > query.date_to:
            return False
    if query.sources and row.source not in query.sources:
        return False
    if query.languages and row.language not in query.languages:
        return False
    countries = {c.alpha2.upper() for c in enrichment.countries} if enrichment else set()
    if query.countries and not countries & set(query.countries):
        return False
    entities = {e.text.lower() for e in enrichment.entities} if enrichment else set()
    if query.entities and not entities & {v.lower() for v in query.entities}:
        return False
    places = {p.name.lower() for p in enrichment.places} if enrichment else set()
    if query.places and not places & {v.lower() for v in query.places}:
        return False
    if query.topics:
        topics = enrichment.topics if enrichment else []
        wanted = set(query.topics) | {v.lower() for v in query.topics}
        if not any(t.code in wanted or t.label.lower() in wanted for t in topics):
            return False
    if query.stories:
        # The event knows its story and the ids merged into it by this article; an id
        # merged later is known to the store only (the stored search resolves it).
        link = enrichment.story if enrichment else None
        ids = {link.id, *link.merged} if link else set()
        if not ids & set(query.stories):
            return False
    search = query.websearch
    if search is None:
        return True
    text = f"{article.title or ''}\n{article.text}" if article else ""
    return _text_matches(search, token_list(text))


def _text_matches(search: WebSearch, tokens: list[str]) -> bool:
    def found(term: Term) -> bool:
        size = len(term.tokens)
        return any(
            tuple(tokens[i : i + size]) == term.tokens for i in range(len(tokens) - size + 1)
        )

    return all(any(found(t) for t in clause) for clause in search.positive) and not any(
        found(t) for t in search.negative
    )
