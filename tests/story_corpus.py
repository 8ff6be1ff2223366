"""The ECB+ development stories (tests/fixtures/stories) as parsed events, in a shuffled
order, for the story-assignment tests and bench."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

from shared.events import Article, ArticleEvent, Raw, Source, article_id_for_content

CORPUS = Path(__file__).resolve().parent / "fixtures" / "stories" / "stories.jsonl.gz"
# The order the README's figures were measured in.
SEED = 20261202


@dataclass(frozen=True, slots=True)
class Corpus:
    events: list[ArticleEvent]  # parsed, not enriched, in the shuffled order
    gold: dict[str, str]  # article id -> story label


def load_corpus(seed: int = SEED) -> Corpus:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    random.Random(seed).shuffle(rows)
    events: list[ArticleEvent] = []
    gold: dict[str, str] = {}
    for row in rows:
        # An id as the pipeline makes it (the corpus's own ids name the half of ECB+,
        # which gives the label away).
        article_id = article_id_for_content(f"{row['title']}\n{row['text']}")
        events.append(
            ArticleEvent(
                id=article_id,
                trace_id=article_id,
                source=Source(url=row["url"]),
                raw=Raw(),
                article=Article(title=row["title"], text=row["text"]),
            )
        )
        gold[article_id] = row["story"]
    return Corpus(events, gold)
