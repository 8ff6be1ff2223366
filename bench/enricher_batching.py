"""Does batching NER pay? `enrich_event` one article at a time against `enrich_events`
(spaCy's `nlp.pipe` across the batch) over batches of the size a replica holds.

    python bench/enricher_batching.py [-n 96] [--rounds 3]

Copies of the six real English pages of bench/pages, parsed outside the clock. Each round
runs every variant once, in turn, so background load hits them alike; the figure is CPU time
(`time.process_time`) per article, the best round of each, with the load average printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import MAX_BYTES, load_pages, submissions
from services.enricher.enrich import enrich_event, enrich_events
from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.events import ArticleEvent


def cpu_ms_per_article(events: list[ArticleEvent], batch: int) -> float:
    start = time.process_time()
    if batch == 1:
        for event in events:
            enrich_event(event)
    else:
        for i in range(0, len(events), batch):
            enrich_events(events[i : i + batch])
    return (time.process_time() - start) * 1000 / len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=96, help="articles per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before {os.getloadavg()[0]:.1f}")
    events = [
        parse_event(event_from_content(s, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES)
        for s in submissions(load_pages(), args.n, "batching")
    ]
    enrich_events(events[:8])  # models and first-call costs outside the clock
    batches = (1, 4, 16)
    best = {b: float("inf") for b in batches}
    for _ in range(args.rounds):
        for b in batches:
            best[b] = min(best[b], cpu_ms_per_article(events, b))
    print(f"load average after {os.getloadavg()[0]:.1f}")
    for b in batches:
        gain = best[1] / best[b] - 1
        label = "one at a time" if b == 1 else f"batches of {b}"
        print(f"  {label:15s} {best[b]:6.1f} CPU ms per article  ({gain:+.1%} articles/s)")


if __name__ == "__main__":
    main()
