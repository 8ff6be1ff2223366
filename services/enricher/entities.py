"""Named entities with spaCy: people, organisations, places, groups and events.

Only the NER component (and a shared tok2vec when the NER listens to one) is loaded: the
tagger, parser and lemmatizer cost as much time again and nothing here uses them. Models
load once per process and name, on first use, so the CLI and every replica pay it once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from shared.events import Entity, EntityType

ENTITY_TYPES: Final[dict[str, EntityType]] = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
}
_KEEP_COMPONENTS: Final = frozenset({"tok2vec", "ner"})
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
# A dateline's dash comes with the city ("NEW YORK -"), a possessive with the name.
_TRAILING_NOISE = re.compile(r"(?:['’]s|['’]|\s*[-–—:]+|\s+(?:of|and|the|in|for|to))+$")
# What the model sometimes labels of "don’t", "they’ll": a contraction's piece, no name.
_CONTRACTION = re.compile(r"^(?:n['’]t|['’](?:s|ll|re|ve|d|m))$", re.IGNORECASE)
# spaCy's tokenizer strips a run without spaces one prefix or suffix at a time, each time
# searching the rest: quadratic in a run of punctuation or emoji ("!!!..." of 16,000 took
# 25 s). No name is such a run, and the news texts we have hold none longer than 60.
_LONG_RUN = re.compile(r"\S{100,}")


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention as the model labelled it, already canonical."""

    label: str
    type: EntityType
    text: str
    start: int
    end: int


@lru_cache(maxsize=4)
def load_ner(model_name: str) -> Language | None:
    """The model's NER pipeline, or None when the model is not installed."""
    try:
        # A model package carries its meta.json at the top: its components are known
        # before loading, so the unneeded ones are never deserialized.
        meta = spacy.util.get_model_meta(spacy.util.get_package_path(model_name))
        components: list[str] = list(meta.get("components", []))
    except Exception:
        components = []
    exclude = [name for name in components if name not in _KEEP_COMPONENTS]
    try:
        nlp = spacy.load(model_name, exclude=exclude)
    except OSError:
        return None
    tok2vec = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
    if tok2vec is not None and not getattr(tok2vec, "listening_components", None):
        # en_core_web_sm's NER embeds its own tok2vec; the shared one would only feed the
        # excluded tagger and parser.
        nlp.remove_pipe("tok2vec")
    return nlp


def canonical_span(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """The mention without a leading 'the', a possessive 's or a dangling 'of'."""
    span = text[start:end]
    if lead := _LEADING_ARTICLE.match(span):
        start += lead.end()
        span = span[lead.end() :]
    if tail := _TRAILING_NOISE.search(span):
        end -= len(span) - tail.start()
        span = span[: tail.start()]
    canonical = " ".join(span.split())
    if not canonical or not any(ch.isalpha() for ch in canonical):
        return None
    if _CONTRACTION.match(canonical):
        return None
    return canonical, start, end


def mentions_in(doc: Doc) -> list[Mention]:
    found: list[Mention] = []
    doc_text = doc.text  # rebuilt from the tokens on every access
    for ent in doc.ents:
        entity_type = ENTITY_TYPES.get(ent.label_)
        if entity_type is None:
            continue
        canonical = canonical_span(doc_text, ent.start_char, ent.end_char)
        if canonical is None:
            continue
        text, start, end = canonical
        found.append(Mention(ent.label_, entity_type, text, start, end))
    return found


def recognise(nlp: Language, texts: Sequence[str], batch_size: int = 16) -> list[list[Mention]]:
    """Mentions in each text, the texts run through the model in batches."""
    blanked = (_LONG_RUN.sub(_spaces, text) for text in texts)
    return [mentions_in(doc) for doc in nlp.pipe(blanked, batch_size=batch_size)]


def _spaces(run: re.Match[str]) -> str:
    # As many spaces as characters: the mentions' offsets stay those of the text.
    return " " * len(run.group())


def group_mentions(mentions: Iterable[Mention]) -> list[Entity]:
    """One entity per (type, text), most mentioned first, offsets in text order."""
    groups: dict[tuple[EntityType, str], list[Mention]] = {}
    for mention in mentions:
        groups.setdefault((mention.type, mention.text.casefold()), []).append(mention)
    entities = [
        Entity(
            type=group[0].type,
            text=group[0].text,
            # Ties go to the label mentioned first: a set's order changes with the process's
            # string hashing, so a replay (another process) could label it otherwise.
            label=Counter(m.label for m in group).most_common(1)[0][0],
            count=len(group),
            offsets=[(m.start, m.end) for m in group],
        )
        for group in groups.values()
    ]
    entities.sort(key=lambda e: (-e.count, e.offsets[0][0]))
    return entities
