"""The enricher's work on events: what the text says about itself.

Pure and Redis-free, so the CLI runs it in process. It runs the analyses of the registry
(registry.py) in order; those that need Redis are run by the stage after it
(redis_analyses.py) and are recorded here as not run. An analysis that cannot run for the
article's language is recorded as not run, with the reason, rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.enricher.analysis import Analysis
from services.enricher.inputs import NO_NER, ArticleInputs, Ner, ner_models, run_ner
from services.enricher.language import detect_language
from services.enricher.registry import ANALYSES
from services.enricher.text import words
from shared.errors import Rejected
from shared.events import AnalysisRun, Article, ArticleEvent, Enrichment, utc_now

# Adult silent-reading speed for non-fiction; the figure news sites use for "N min read".
_WORDS_PER_MINUTE = 230


def count_words(text: str) -> int:
    return len(words(text))


def enrich_events(
    events: Sequence[ArticleEvent],
    *,
    ner_model: str | None = None,
    analyses: Sequence[Analysis] = ANALYSES,
) -> list[ArticleEvent]:
    """Enrich several events, their NER batched through the model."""
    articles: list[Article] = []
    for event in events:
        if event.article is None:
            raise Rejected("not_parsed", "the event has no article section to enrich")
        articles.append(event.article)
    guesses = [detect_language(_title_and_text(a)) for a in articles]
    languages = [g.code if g else "und" for g in guesses]
    models = ner_models(ner_model)
    ner = _ner_where_needed(articles, languages, models, analyses)
    enriched_at = utc_now()
    out: list[ArticleEvent] = []
    for event, article, guess, ner_result in zip(events, articles, guesses, ner, strict=True):
        # Keyword extraction reads the English model's word lists, whatever the language.
        inputs = ArticleInputs(article, guess, ner_result, english_model=models["en"])
        out.append(
            event.model_copy(update={"enrichment": enrich_article(inputs, analyses)}).stamped(
                "enricher", enriched_at
            )
        )
    return out


def enrich_event(
    event: ArticleEvent,
    *,
    ner_model: str | None = None,
    analyses: Sequence[Analysis] = ANALYSES,
) -> ArticleEvent:
    return enrich_events([event], ner_model=ner_model, analyses=analyses)[0]


def enrich_article(inputs: ArticleInputs, analyses: Sequence[Analysis]) -> Enrichment:
    """Every analysis of the registry on one article, each recorded as run or not, and why."""
    word_count = len(inputs.words)
    fields: dict[str, object] = {
        "word_count": word_count,
        "reading_time_s": round(word_count * 60 / _WORDS_PER_MINUTE),
    }
    runs: list[AnalysisRun] = []
    for analysis in analyses:
        if not analysis.runs_for(inputs.language):
            runs.append(analysis.skipped_for(inputs.language))
            continue
        outcome = analysis.run(inputs)
        runs.append(analysis.record(outcome))
        fields.update(outcome.fields)
    return Enrichment.model_validate({**fields, "analyses": runs})


def _ner_where_needed(
    articles: Sequence[Article],
    languages: Sequence[str],
    models: dict[str, str],
    analyses: Sequence[Analysis],
) -> list[Ner]:
    """The NER of the articles in a language some analysis needs it for, batched."""
    needed = [
        i
        for i, language in enumerate(languages)
        if any("ner" in a.needs and a.runs_for(language) for a in analyses)
    ]
    results = [NO_NER] * len(articles)
    found = run_ner([articles[i].text for i in needed], [languages[i] for i in needed], models)
    for i, result in zip(needed, found, strict=True):
        results[i] = result
    return results


def _title_and_text(article: Article) -> str:
    return f"{article.title}\n{article.text}" if article.title else article.text
