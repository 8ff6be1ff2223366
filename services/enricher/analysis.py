"""What an enrichment analysis declares: the registry (registry.py) is a list of these.

An analysis says its name (as recorded in `enrichment.analyses`), the `Enrichment` fields
it fills, the languages it runs for, what it needs, and its function. The enricher runs the
registry in order and records each analysis as run or not run, with the reason, from this
declaration alone; nothing else lists the analyses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

import pycountry

from shared.events import AnalysisRun, ArticleEvent

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from services.enricher.inputs import ArticleInputs

# text: the article's words, sentences and paragraphs; ner: the spaCy NER mentions (the
# enricher runs the model, batched, only for languages where an analysis needs them);
# places: the gazetteer's places and countries located in the article; redis: state every
# replica shares, so the analysis runs in the stage and not in process (`newsflow enrich`).
Need = Literal["text", "ner", "places", "redis"]

NOT_FOR_LANGUAGE = "not available for language '{language}' ({languages} only so far)"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one analysis made of one article: the fields it fills, or why it did not run."""

    fields: Mapping[str, object] = field(default_factory=dict)
    ran: bool = True
    # What it ran with, when it differs per article (the NER model), or why it did not run.
    detail: str | None = None


def not_run(reason: str) -> Outcome:
    return Outcome(ran=False, detail=reason)


class OnRedis(Protocol):
    """An analysis opened on the stage's Redis connection."""

    def analyse(self, event: ArticleEvent) -> Awaitable[Outcome]: ...


@dataclass(frozen=True, slots=True)
class Analysis:
    name: str
    fills: tuple[str, ...]
    what: str  # README's description of what the fields hold
    run: Callable[[ArticleInputs], Outcome]
    # None: every language. The reason recorded for another language is `unavailable`,
    # formatted with `language` and `languages` (the names of those it runs for).
    languages: frozenset[str] | None = None
    unavailable: str = NOT_FOR_LANGUAGE
    needs: frozenset[Need] = frozenset({"text"})
    detail: str | None = None  # what it runs with (model, lexicon), recorded when it ran
    # For "redis": opens the analysis on the stage's client and stream prefix; `run` then
    # only says why it did not run in process.
    on_redis: Callable[[Redis, str], OnRedis] | None = None

    def __post_init__(self) -> None:
        if ("redis" in self.needs) != (self.on_redis is not None):
            raise ValueError(f"analysis {self.name!r}: `on_redis` is for what needs redis")

    def runs_for(self, language: str) -> bool:
        return self.languages is None or language in self.languages

    def skipped_for(self, language: str) -> AnalysisRun:
        reason = self.unavailable.format(
            language=language, languages=language_names(self.languages or frozenset())
        )
        return AnalysisRun(name=self.name, ran=False, detail=reason)

    def record(self, outcome: Outcome) -> AnalysisRun:
        """The run to list in `analyses`, after checking the analysis filled only its own."""
        unexpected = set(outcome.fields) - set(self.fills)
        if unexpected:
            raise ValueError(f"analysis {self.name!r} filled {sorted(unexpected)}, not its own")
        detail = outcome.detail
        if detail is None and outcome.ran:
            detail = self.detail
        return AnalysisRun(name=self.name, ran=outcome.ran, detail=detail)


@lru_cache(maxsize=32)
def language_names(codes: frozenset[str]) -> str:
    """`{"en"}` -> "English": for the reason an analysis did not run, and README."""
    names = []
    for code in sorted(codes):
        language = pycountry.languages.get(alpha_2=code)
        names.append(language.name if language is not None else code)
    return ", ".join(names)
