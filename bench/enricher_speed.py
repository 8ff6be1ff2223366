"""Enricher speed: articles per second per core, NER included.

    python bench/enricher_speed.py [CORPUS_DIR] [--repeat N]

CORPUS_DIR holds `html/*.html.gz` (default: ../shared/corpus/mediacloud-2020 next to the
repo). Every page is parsed first with the parser's `parse_event`, outside the timing; then
`enrich_event` runs on each, one after the other, in this one process. "Per core" divides
by the process's CPU time (all its threads), so the figure holds on a busy machine too;
wall-clock rates and the load average are printed beside it. Models load once, before the
clock starts, and their load time is printed separately.

The second figure is a ~600-word English article (the seed's text with paragraphs of
English corpus pages appended), enriched repeatedly, single and in batches.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from services.enricher.enrich import count_words, enrich_event, enrich_events
from services.enricher.entities import load_ner
from services.enricher.gazetteers import gazetteer
from services.parser.parse import parse_event
from services.parser.plaintext import parse_plain_text
from shared.errors import Rejected
from shared.events import Article, ArticleEvent, Raw, Source, article_id_for_content
from shared.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "mediacloud-2020"
SEED = REPO / "seeds" / "000_64a0eaf4a3ce9dd3.txt"
MAX_BYTES = 10 * 1024 * 1024


def parsed_pages(corpus: Path) -> list[ArticleEvent]:
    events = []
    for path in sorted((corpus / "html").glob("*.html.gz")):
        data = gzip.decompress(path.read_bytes())
        raw = ArticleEvent(
            id=article_id_for_content(path.name),
            trace_id="bench",
            source=Source(via="cli"),
            raw=Raw(content_b64=base64.b64encode(data).decode(), content_type="text/html"),
        )
        try:
            event = parse_event(raw, max_bytes=MAX_BYTES)
        except Rejected:
            continue
        if event.article is not None and event.article.text.strip():
            events.append(event)
    return events


def timed(run: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def english_600_words(pages: Sequence[ArticleEvent]) -> ArticleEvent:
    article = parse_plain_text(SEED.read_text(encoding="utf-8"))
    text = article.text
    for event in pages:
        enrichment = event.enrichment
        if event.article is None or enrichment is None or enrichment.language is None:
            continue
        if enrichment.language.code == "en":
            for paragraph in event.article.text.split("\n\n"):
                if count_words(text) >= 600:
                    break
                text += "\n\n" + paragraph
    return ArticleEvent(
        id="bench-600",
        trace_id="bench",
        source=Source(),
        raw=Raw(),
        article=Article(title=article.title, text=text, dateline=article.dateline),
    )


def rate(label: str, n: int, wall: float, cpu: float, words: int) -> None:
    print(
        f"{label}: {n} articles, {words / max(n, 1):.0f} words on average: "
        f"{n / cpu:.1f} articles/s per core (CPU {cpu:.2f} s), "
        f"{n / wall:.1f} articles/s wall ({wall:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=30, help="runs of the 600-word article")
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    pages = parsed_pages(args.corpus)
    print(f"parsed {len(pages)} corpus pages (not timed)")

    model = get_settings().ner_model
    load_wall, _ = timed(lambda: (load_ner(model), gazetteer("en")))
    print(f"model + gazetteer load, once per process: {load_wall:.2f} s")
    enrich_event(pages[0])  # first-call costs (language model, lexicons) outside the clock

    enriched: list[ArticleEvent] = []
    wall, cpu = timed(lambda: enriched.extend(enrich_event(e) for e in pages))
    words = sum(e.enrichment.word_count for e in enriched if e.enrichment)
    rate("corpus pages, one by one", len(enriched), wall, cpu, words)
    languages = Counter(
        e.enrichment.language.code for e in enriched if e.enrichment and e.enrichment.language
    )
    print(f"  languages: {dict(languages.most_common(8))}")
    english = [e for e in pages if e.id in {x.id for x in enriched if _is_english(x)}]
    wall, cpu = timed(lambda: [enrich_event(e) for e in english])
    rate("  English corpus pages (NER runs)", len(english), wall, cpu, _words(english))

    article = english_600_words(enriched)
    n = args.repeat
    words_600 = count_words(article.article.text if article.article else "")
    wall, cpu = timed(lambda: [enrich_event(article) for _ in range(n)])
    rate(f"{words_600}-word English article, one by one", n, wall, cpu, words_600 * n)
    wall, cpu = timed(lambda: enrich_events([article] * n))
    rate(f"{words_600}-word English article, batched", n, wall, cpu, words_600 * n)
    nlp = load_ner(model)
    text = article.article.text if article.article else ""
    if nlp is not None:
        wall, cpu = timed(lambda: [nlp(text) for _ in range(n)])
        rate("  of which the spaCy NER alone", n, wall, cpu, words_600 * n)
    print(f"load average after: {os.getloadavg()}")


def _is_english(event: ArticleEvent) -> bool:
    language = event.enrichment.language if event.enrichment else None
    return language is not None and language.code == "en"


def _words(events: Sequence[ArticleEvent]) -> int:
    return sum(count_words(e.article.text) for e in events if e.article)


if __name__ == "__main__":
    main()
