"""Enricher speed per language: words per second per core, the development set's texts.

    python bench/enricher_languages.py [--repeat N]

Each language's article is its development-set texts (tests/fixtures/enricher/languages/)
joined as paragraphs, English the seed's text; each is enriched N times in this process,
one after the other. Per core divides by CPU time, as bench/enricher_speed.py does.
Gazetteers, lemma dictionaries and the NER model load once, before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from services.enricher.enrich import count_words, enrich_event
from services.parser.plaintext import parse_plain_text
from shared.events import Article, ArticleEvent, Raw, Source

REPO = Path(__file__).resolve().parent.parent
DEV_SET = REPO / "tests" / "fixtures" / "enricher" / "languages"
SEED = REPO / "seeds" / "000_64a0eaf4a3ce9dd3.txt"


def article_of(language: str) -> ArticleEvent:
    if language == "en":
        text = parse_plain_text(SEED.read_text(encoding="utf-8")).text
    else:
        cases = json.loads((DEV_SET / f"{language}.json").read_text(encoding="utf-8"))
        text = "\n\n".join(case["text"] for case in cases)
    return ArticleEvent(
        id=f"bench-{language}", trace_id="bench", source=Source(), raw=Raw(),
        article=Article(text=text),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    languages = ["en", *sorted(p.stem for p in DEV_SET.glob("*.json"))]
    print("| language | words | ran | articles/s per core | words/s per core |")
    print("|---|---|---|---|---|")
    for language in languages:
        event = article_of(language)
        first = enrich_event(event).enrichment  # loads, outside the clock
        assert first is not None and event.article is not None
        ran = ", ".join(r.name for r in first.analyses if r.ran)
        words = count_words(event.article.text)
        cpu = time.process_time()
        for _ in range(args.repeat):
            enrich_event(event)
        cpu = time.process_time() - cpu
        rate = args.repeat / cpu
        print(f"| {language} | {words} | {ran} | {rate:.1f} | {rate * words:,.0f} |")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
