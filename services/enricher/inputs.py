"""What the analyses of one article read: its text split up, its NER mentions, its located
places. Each is computed once, when an analysis first asks for it; the NER runs before, in
batches over many articles, because the model is much faster that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from services.enricher.country_names import DEMONYMS
from services.enricher.entities import Mention, group_mentions, load_ner, recognise
from services.enricher.gazetteers import gazetteer
from services.enricher.geography import ArticleParts, Located, locate
from services.enricher.text import TextSpan, split_paragraphs, split_sentences, words
from shared.events import Article, Entity, LanguageGuess
from shared.settings import get_settings

# The one configured model (NEWSFLOW_NER_MODEL) is English; a deployment adds others by
# configuration later.
NER_LANGUAGES: Final = frozenset({"en"})


@dataclass(frozen=True, slots=True)
class Ner:
    mentions: list[Mention] | None  # None: the model did not run
    detail: str  # the model's name, or why it did not run


NO_NER: Final = Ner(None, "no analysis needs NER")


def ner_models(ner_model: str | None) -> dict[str, str]:
    model = ner_model or get_settings().ner_model
    return {language: model for language in NER_LANGUAGES}


def run_ner(texts: Sequence[str], languages: Sequence[str], models: dict[str, str]) -> list[Ner]:
    """NER of each text with its language's model, the texts of one language in one batch;
    `Ner.mentions` is None where no model is configured or installed, with the reason."""
    results: list[Ner] = [NO_NER] * len(texts)
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
                results[i] = Ner(None, reason)
            continue
        batch = recognise(nlp, [texts[i] for i in indices])
        for i, mentions in zip(indices, batch, strict=True):
            results[i] = Ner(mentions, model_name or "")
    return results


@dataclass(frozen=True)
class ArticleInputs:
    """One article, as the analyses see it."""

    article: Article
    guess: LanguageGuess | None
    ner: Ner
    english_model: str  # its word lists serve the English keyword extractor

    @property
    def language(self) -> str:
        return self.guess.code if self.guess else "und"

    @property
    def text(self) -> str:
        return self.article.text

    @cached_property
    def words(self) -> list[TextSpan]:
        return words(self.article.text)

    @cached_property
    def sentences(self) -> list[TextSpan]:
        return split_sentences(self.article.text)

    @cached_property
    def paragraphs(self) -> list[TextSpan]:
        return split_paragraphs(self.article.text)

    @cached_property
    def located(self) -> list[Located]:
        """Countries and places the gazetteer finds, outside people's and organisations' names."""
        mentions = self.ner.mentions or []
        return locate(
            gazetteer(self.language),
            ArticleParts(
                text=self.article.text,
                title=self.article.title,
                dateline=self.article.dateline,
                lead_end=self.paragraphs[0].end if self.paragraphs else 0,
            ),
            person_spans=[(m.start, m.end) for m in mentions if m.type == "person"],
            organisation_spans=[(m.start, m.end) for m in mentions if m.type == "organisation"],
        )

    @cached_property
    def entities(self) -> list[Entity]:
        if self.ner.mentions is None:
            return []
        return group_mentions(with_gazetteer_places(self.ner.mentions, self.located))


def with_gazetteer_places(mentions: list[Mention], located: Sequence[Located]) -> list[Mention]:
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
